import type { Context, Middleware, Next } from 'koa';
import { ForbiddenError, InputError, TesseraError } from '../errors.js';
import { callerOf } from '../http/auth.js';
import type { Apps, RunnableApp } from '../apps/apps.js';
import type { AppConfig } from '../apps/config.js';
import type { Conversations, Owner } from '../conversations/conversations.js';

/**
 * The Service API's request gate: the app behind the key, its published
 * config, and the end user a request acts for.
 */

/** Dify's session id for calls that name no user. */
export const ANONYMOUS_USER = 'DEFAULT-USER';

/** The app behind the key, checked runnable; set on `ctx.state.app`. */
export function appGate(apps: Apps): Middleware {
  return async (ctx: Context, next: Next) => {
    const caller = callerOf(ctx);
    const runnable = await apps.runnableById(caller.appId!);
    if (!runnable || runnable.app.workspace_id !== caller.workspaceId) throw new ForbiddenError('The app no longer exists.', 'app_unavailable');
    if (runnable.app.status !== 'normal') throw new ForbiddenError('The app is not available.', 'app_unavailable');
    if (!runnable.app.enable_api) throw new ForbiddenError("The app's API service has been disabled.", 'forbidden');
    ctx.state.runnable = runnable;
    await next();
  };
}

export function runnableOf(ctx: Context): RunnableApp<AppConfig | null> {
  return ctx.state.runnable as RunnableApp<AppConfig | null>;
}

/** The published config; 400 `app_unavailable` before the app is first published. */
export function publishedOf(ctx: Context): RunnableApp {
  const runnable = runnableOf(ctx);
  if (!runnable.config) throw new TesseraError(400, 'app_unavailable', 'App unavailable, please check your app configurations: the app has not been published.');
  return runnable as RunnableApp;
}

/** The `user` of a request (body for writes, query for reads); required unless `optional`. */
export function userOf(ctx: Context, where: 'body' | 'query' | 'form', optional = false, form?: Record<string, string>): string {
  const source = where === 'query' ? ctx.query.user : where === 'form' ? form?.user : (ctx.request.body as Record<string, unknown> | undefined)?.user;
  const user = Array.isArray(source) ? source[0] : source;
  if (typeof user === 'string' && user.trim() !== '') {
    if (user.length > 255) throw new InputError('user must be at most 255 characters.', 'user');
    return user;
  }
  if (optional) return ANONYMOUS_USER;
  throw new InputError('Arg user must be provided.', 'user');
}

/** The end user a request acts for. */
export async function ownerOf(ctx: Context, conversations: Conversations, user: string): Promise<Owner> {
  const { app } = runnableOf(ctx);
  return { kind: 'end_user', id: await conversations.endUser(app.workspace_id, app.id, user), sessionId: user };
}
