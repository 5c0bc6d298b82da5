import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { PluginError } from '@tessera/sdk';
import { TesseraError } from '../errors.js';
import { isDatabaseUnavailable } from '../db/errors.js';

/** The Service API's error body, used for console routes too. */
export interface ErrorBody {
  code: string;
  message: string;
  status: number;
  params?: string;
}

/** Maps errors to `{code, message, status}`. Unknown errors become 500 `internal_server_error`, never a stack trace. */
export function errorMiddleware(logger: Logger) {
  return async function mapErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { code: 'not_found', message: 'The requested URL was not found on the server.', status: 404 } satisfies ErrorBody;
      }
    } catch (error) {
      const body = toErrorBody(error);
      if (body.status >= 500) logger.error({ err: error, requestId: ctx.state.requestId }, 'request failed');
      if (ctx.headerSent || !ctx.writable) return; // a streaming response reports errors in-band
      ctx.status = body.status;
      ctx.body = body;
      if (error instanceof TesseraError && error.headers) ctx.set(error.headers);
      if (error instanceof PluginError && error.retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      if (body.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="api"');
    }
  };
}

export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof TesseraError) {
    const body: ErrorBody = { code: error.code, message: error.message, status: error.status };
    if (error.params !== undefined) body.params = error.params;
    return body;
  }
  // A plugin's coded failure: its code and status go to the client; its message names the plugin.
  if (error instanceof PluginError) return { code: error.code, message: error.message, status: error.status };
  // The database is down or too slow (issue #14): a code and a sentence; what the driver said goes to the log.
  if (isDatabaseUnavailable(error)) return { code: 'database_unavailable', message: 'The database is unavailable or not answering; try again shortly.', status: 503 };
  // Errors thrown by Koa/http-errors (e.g. body too large) carry an exposable status.
  const httpish = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof httpish.status === 'number' && httpish.status >= 400 && httpish.status < 500 && httpish.expose) {
    const code = httpish.status === 413 ? 'payload_too_large' : httpish.status === 415 ? 'unsupported_media_type' : 'invalid_param';
    return { code, message: String(httpish.message), status: httpish.status };
  }
  return { code: 'internal_server_error', message: 'The server encountered an internal error.', status: 500 };
}
