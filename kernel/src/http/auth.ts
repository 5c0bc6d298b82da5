import type { Context, Next } from 'koa';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { ApiCaller, ApiKeys, ApiKeyType } from '../identity/api-keys.js';
import type { ConsoleAuth, Sessions } from '../identity/sessions.js';

/** `Authorization: Bearer <token>`; the scheme is case-insensitive, anything else is 401. */
export function bearerToken(ctx: Context): string {
  const header = ctx.get('Authorization');
  if (!header) throw new UnauthorizedError('Authorization header must be provided and start with \'Bearer\'');
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('Authorization scheme must be \'Bearer\'');
  return match[1]!;
}

/** Console routes: resolves the session and the workspace it acts in onto `ctx.state.auth`. */
export function consoleSession(sessions: Sessions) {
  return async function requireSession(ctx: Context, next: Next): Promise<void> {
    const requested = ctx.get('X-Workspace-Id') || undefined;
    ctx.state.auth = await sessions.authenticate(bearerToken(ctx), requested);
    await next();
  };
}

/** Service API routes: resolves an API key of `type` (or either type, `any`) onto `ctx.state.caller`. */
export function serviceKey(apiKeys: ApiKeys, type: ApiKeyType | 'any') {
  return async function requireApiKey(ctx: Context, next: Next): Promise<void> {
    const caller: ApiCaller = await apiKeys.resolve(bearerToken(ctx));
    if (type !== 'any' && caller.type !== type) {
      throw new UnauthorizedError(type === 'app' ? 'This endpoint requires an app API key.' : 'This endpoint requires a dataset API key.');
    }
    ctx.state.caller = caller;
    await next();
  };
}

export function callerOf(ctx: Context): ApiCaller {
  const caller = ctx.state.caller as ApiCaller | undefined;
  if (!caller) throw new ForbiddenError();
  return caller;
}

/** The console session `consoleSession` resolved (for routes behind it). */
export function authOf(ctx: Context): ConsoleAuth {
  const auth = ctx.state.auth as ConsoleAuth | undefined;
  if (!auth) throw new UnauthorizedError();
  return auth;
}
