import type { Context, Middleware, Next } from 'koa';
import { TesseraError } from '../errors.js';
import { toErrorBody } from '../http/error-middleware.js';

/**
 * The OpenAI-compatible API's wire mapper for errors: our coded errors (the
 * catalogue's codes and statuses) in the shape OpenAI SDKs raise.
 */

/** OpenAI's error body. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Our coded errors in OpenAI's shape (OpenAI SDKs read `error.message`, `type`, `param`, `code`). */
export function openAiError(error: unknown): { status: number; body: OpenAiErrorBody } {
  const { status, code, message, params } = toErrorBody(error);
  let type = 'invalid_request_error';
  let mapped: string | null = code;
  if (status === 401) mapped = 'invalid_api_key';
  else if (status === 403) type = 'permission_error';
  else if (status === 429) {
    type = 'requests';
    mapped = 'rate_limit_exceeded';
  } else if (status >= 500) type = 'server_error';
  if (code === 'provider_quota_exceeded') type = mapped = 'insufficient_quota';
  // Fields of the request we build from `messages` are named as the client sent them.
  const param = params === undefined ? null : params === 'query' ? 'messages' : params;
  return { status, body: { error: { message, type, param, code: mapped } } };
}

/** Answers every error below it in OpenAI's shape, with our status and headers. */
export function openAiErrors(): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      if (ctx.headerSent || !ctx.writable) throw error;
      const { status, body } = openAiError(error);
      ctx.status = status;
      ctx.body = body;
      if (error instanceof TesseraError && error.headers) ctx.set(error.headers);
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="api"');
    }
  };
}
