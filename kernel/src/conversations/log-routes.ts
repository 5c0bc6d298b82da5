import type Router from '@koa/router';
import { queryInt, queryString } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import type { Context } from 'koa';
import { InputError } from '../errors.js';
import type { Apps } from '../apps/apps.js';
import { type AppLogs, CONVERSATION_SORTS, type ConversationSort, type LogFilter, type Paging } from './logs.js';

export interface LogRouteDeps {
  readonly apps: Apps;
  readonly logs: AppLogs;
}



/** A time: Unix seconds, or a date / date-time string (`2025-01-31`, `2025-01-31 08:00`, ISO; UTC unless it names a zone). */
function timeParam(ctx: Context, name: string): number | undefined {
  const raw = queryString(ctx, name);
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return inRange(Math.floor(Number(raw)), name);
  let text = raw.trim().replace(' ', 'T');
  if (!text.includes('T')) text += 'T00:00:00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += 'Z';
  const parsed = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(parsed)) throw new InputError(`${name} must be a Unix timestamp in seconds.`, name);
  return inRange(Math.floor(parsed / 1000), name);
}

/** The last second of year 9999: past it a timestamp names no date the database can compare (a 500 before, issue #14). */
const LAST_SECOND = 253_402_300_799;

function inRange(seconds: number, name: string): number {
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > LAST_SECOND) throw new InputError(`${name} must be a Unix timestamp in seconds from 0 to ${LAST_SECOND}.`, name);
  return seconds;
}

function paging(ctx: Context): Paging {
  return { page: queryInt(ctx, 'page', 1, 1, 99999), limit: queryInt(ctx, 'limit', 20, 1, 100) };
}

function filterOf(ctx: Context): LogFilter {
  const rating = queryString(ctx, 'rating');
  if (rating !== undefined && rating !== 'like' && rating !== 'dislike') throw new InputError('rating must be "like" or "dislike".', 'rating');
  const source = queryString(ctx, 'source');
  if (source !== undefined && source !== 'api' && source !== 'console') throw new InputError('source must be "api" or "console".', 'source');
  const keyword = queryString(ctx, 'keyword');
  if (keyword !== undefined && keyword.length > 255) throw new InputError('keyword must be at most 255 characters.', 'keyword');
  return { start: timeParam(ctx, 'start'), end: timeParam(ctx, 'end'), rating, source, keyword };
}

/** `/console/api/apps/{id}/…`: the logs of an app (conversations, messages, feedback) and its daily statistics. */
export function registerLogRoutes(console: Router, deps: LogRouteDeps): void {
  const { apps, logs } = deps;
  const appOf = (ctx: Context) => apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);

  console.get('/apps/:app_id/conversations', async (ctx) => {
    const app = await appOf(ctx);
    const sort = (queryString(ctx, 'sort_by') ?? '-updated_at') as ConversationSort;
    if (!CONVERSATION_SORTS.includes(sort)) throw new InputError(`sort_by must be one of ${CONVERSATION_SORTS.join(', ')}.`, 'sort_by');
    ctx.body = await logs.conversations(app, filterOf(ctx), paging(ctx), sort);
  });
  console.get('/apps/:app_id/conversations/:conversation_id/messages', async (ctx) => {
    const app = await appOf(ctx);
    ctx.body = await logs.conversationMessages(app, ctx.params.conversation_id!, paging(ctx));
  });
  console.get('/apps/:app_id/messages', async (ctx) => {
    const app = await appOf(ctx);
    ctx.body = await logs.messages(app, { ...filterOf(ctx), conversationId: queryString(ctx, 'conversation_id') }, paging(ctx));
  });
  console.post('/apps/:app_id/feedbacks', async (ctx) => {
    const app = await appOf(ctx);
    const input = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof input.message_id !== 'string' || input.message_id === '') throw new InputError('message_id is required.', 'message_id');
    const rating = input.rating ?? null;
    if (rating !== null && rating !== 'like' && rating !== 'dislike') throw new InputError('rating must be "like", "dislike" or null.', 'rating');
    if (input.content !== undefined && input.content !== null && (typeof input.content !== 'string' || input.content.length > 10_000)) throw new InputError('content must be a string of at most 10000 characters.', 'content');
    await logs.adminFeedback(app, authOf(ctx).accountId, input.message_id, rating, input.content as string | null | undefined);
    ctx.body = { result: 'success' };
  });
  console.get('/apps/:app_id/statistics', async (ctx) => {
    const app = await appOf(ctx);
    const { start, end, source } = filterOf(ctx);
    ctx.body = await logs.statistics(app, { start, end, source });
  });
}
