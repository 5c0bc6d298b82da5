import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { InputError, NotFoundError } from '../errors.js';
import { unix } from '../identity/models.js';
import type { App } from '../apps/app-row.js';
import { isUuid } from '../http/validate.js';
import type { MessageRow } from './conversations.js';

/** Filters of the console's logs: a time window (Unix seconds, both ends included), user feedback, a keyword, the source. */
export interface LogFilter {
  start?: number | undefined;
  end?: number | undefined;
  rating?: 'like' | 'dislike' | undefined;
  keyword?: string | undefined;
  source?: 'api' | 'console' | undefined;
}

export interface Paging {
  page: number;
  limit: number;
}

export type ConversationSort = 'created_at' | '-created_at' | 'updated_at' | '-updated_at';
export const CONVERSATION_SORTS: readonly ConversationSort[] = ['created_at', '-created_at', 'updated_at', '-updated_at'];

type Rating = 'like' | 'dislike';
type FeedbackStats = Record<Rating, number>;

interface ConversationLogRow {
  id: string;
  name: string;
  from_source: string;
  end_user_id: string | null;
  account_id: string | null;
  from_end_user_session_id: string | null;
  message_count: number;
  status: string;
  created_at: Date;
  updated_at: Date;
}

type MessageLogRow = MessageRow & { from_end_user_session_id: string | null };

const DAY_S = 86_400;

/** `%keyword%` for LIKE, with the pattern characters of the keyword escaped. */
function likePattern(keyword: string): string {
  return `%${keyword.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
}

const toDate = (seconds: number) => new Date(seconds * 1000);
const num = (value: unknown) => Number(value ?? 0) || 0;

/**
 * What an app's users and testers did, for the console: conversations and
 * messages with their usage and feedback (the logs), admin feedback, and daily
 * statistics. Every query is scoped by the app, itself already checked against
 * the caller's workspace.
 */
export class AppLogs {
  constructor(private readonly knex: Knex) {}

  /**
   * Conversations, newest first (by `sort`, default `-updated_at`); the time
   * window applies to the sorted column. Completion apps have no conversations:
   * their messages are listed instead, each as a one-message conversation
   * (`id` = the message id) with the message under `message`, as Dify does.
   */
  async conversations(app: App, filter: LogFilter, paging: Paging, sort: ConversationSort = '-updated_at') {
    if (app.mode === 'completion') return this.completionConversations(app, filter, paging);
    const column = sort.replace(/^-/, '');
    const order = sort.startsWith('-') ? 'desc' : 'asc';
    const query = this.knex('conversations as c').where('c.app_id', app.id).andWhere('c.is_deleted', false);
    if (filter.source) query.andWhere('c.from_source', filter.source);
    if (filter.start !== undefined) query.andWhere(`c.${column}`, '>=', toDate(filter.start));
    if (filter.end !== undefined) query.andWhere(`c.${column}`, '<', toDate(filter.end + 1));
    if (filter.rating) {
      const rating = filter.rating;
      query.whereExists((q) => q.select(this.knex.raw('1')).from('message_feedbacks as f').whereRaw('f.conversation_id = c.id').andWhere({ 'f.from_source': 'user', 'f.rating': rating }));
    }
    if (filter.keyword) {
      const pattern = likePattern(filter.keyword);
      query.whereExists((q) =>
        q
          .select(this.knex.raw('1'))
          .from('messages as m')
          .whereRaw('m.conversation_id = c.id')
          .andWhere((w) => w.whereRaw('lower(m.query) like ?', [pattern]).orWhereRaw('lower(m.answer) like ?', [pattern])),
      );
    }
    const total = num(((await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined)?.n);
    const rows = (await query
      .leftJoin('end_users as eu', 'eu.id', 'c.end_user_id')
      .select('c.id', 'c.name', 'c.from_source', 'c.end_user_id', 'c.account_id', 'c.message_count', 'c.status', 'c.created_at', 'c.updated_at', 'eu.session_id as from_end_user_session_id')
      .orderBy([{ column: `c.${column}`, order }, { column: 'c.id', order }])
      .offset((paging.page - 1) * paging.limit)
      .limit(paging.limit)) as ConversationLogRow[];
    const stats = await this.feedbackStats('conversation_id', rows.map((r) => r.id));
    return {
      page: paging.page,
      limit: paging.limit,
      total,
      has_more: paging.page * paging.limit < total,
      data: rows.map((r) => ({
        id: r.id,
        name: r.name,
        from_source: r.from_source,
        from_end_user_id: r.end_user_id,
        from_end_user_session_id: r.from_end_user_session_id,
        from_account_id: r.account_id,
        message_count: num(r.message_count),
        status: r.status,
        created_at: unix(r.created_at),
        updated_at: unix(r.updated_at),
        user_feedback_stats: stats.get(r.id)?.user ?? { like: 0, dislike: 0 },
        admin_feedback_stats: stats.get(r.id)?.admin ?? { like: 0, dislike: 0 },
      })),
    };
  }

  private async completionConversations(app: App, filter: LogFilter, paging: Paging) {
    const page = await this.messages(app, filter, paging);
    return {
      ...page,
      data: page.data.map((m) => ({
        id: m.id,
        name: m.query.replace(/\s+/g, ' ').trim().slice(0, 40),
        from_source: m.from_source,
        from_end_user_id: m.from_end_user_id,
        from_end_user_session_id: m.from_end_user_session_id,
        from_account_id: m.from_account_id,
        message_count: 1,
        status: 'normal',
        created_at: m.created_at,
        updated_at: m.created_at,
        user_feedback_stats: countRatings(m.feedbacks, 'user'),
        admin_feedback_stats: countRatings(m.feedbacks, 'admin'),
        message: m,
      })),
    };
  }

  /** A conversation's messages with usage and feedback, oldest first. For a completion app, `conversationId` may name a message. */
  async conversationMessages(app: App, conversationId: string, paging: Paging) {
    let where: Record<string, string>;
    if (app.mode === 'completion') {
      where = { 'm.id': conversationId };
      if (!isUuid(conversationId) || !(await this.knex('messages').where({ id: conversationId, app_id: app.id }).first('id'))) throw new NotFoundError('Conversation Not Exists.', 'not_found');
    } else {
      const found = isUuid(conversationId) ? await this.knex('conversations').where({ id: conversationId, app_id: app.id, is_deleted: false }).first('id') : undefined;
      if (!found) throw new NotFoundError('Conversation Not Exists.', 'not_found');
      where = { 'm.conversation_id': conversationId };
    }
    const query = this.knex('messages as m').where('m.app_id', app.id).andWhere(where);
    const total = num(((await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined)?.n);
    const rows = (await query
      .leftJoin('end_users as eu', 'eu.id', 'm.end_user_id')
      .select('m.*', 'eu.session_id as from_end_user_session_id')
      .orderBy([{ column: 'm.created_at', order: 'asc' }, { column: 'm.id', order: 'asc' }])
      .offset((paging.page - 1) * paging.limit)
      .limit(paging.limit)) as MessageLogRow[];
    return { page: paging.page, limit: paging.limit, total, has_more: paging.page * paging.limit < total, data: await this.messageViews(rows) };
  }

  /** Messages of the app in any mode, newest first; the time window applies to `created_at`. */
  async messages(app: App, filter: LogFilter & { conversationId?: string | undefined }, paging: Paging) {
    const query = this.knex('messages as m').where('m.app_id', app.id);
    if (filter.conversationId) {
      if (!isUuid(filter.conversationId)) throw new InputError('conversation_id must be a UUID.', 'conversation_id');
      query.andWhere('m.conversation_id', filter.conversationId);
    }
    if (filter.source) query.andWhere('m.from_source', filter.source);
    if (filter.start !== undefined) query.andWhere('m.created_at', '>=', toDate(filter.start));
    if (filter.end !== undefined) query.andWhere('m.created_at', '<', toDate(filter.end + 1));
    if (filter.rating) {
      const rating = filter.rating;
      query.whereExists((q) => q.select(this.knex.raw('1')).from('message_feedbacks as f').whereRaw('f.message_id = m.id').andWhere({ 'f.from_source': 'user', 'f.rating': rating }));
    }
    if (filter.keyword) {
      const pattern = likePattern(filter.keyword);
      // A completion app's text is its `query` input, stored with the inputs.
      query.andWhere((w) => w.whereRaw('lower(m.query) like ?', [pattern]).orWhereRaw('lower(m.answer) like ?', [pattern]).orWhereRaw('lower(m.inputs) like ?', [pattern]));
    }
    const total = num(((await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined)?.n);
    const rows = (await query
      .leftJoin('end_users as eu', 'eu.id', 'm.end_user_id')
      .select('m.*', 'eu.session_id as from_end_user_session_id')
      .orderBy([{ column: 'm.created_at', order: 'desc' }, { column: 'm.id', order: 'desc' }])
      .offset((paging.page - 1) * paging.limit)
      .limit(paging.limit)) as MessageLogRow[];
    return { page: paging.page, limit: paging.limit, total, has_more: paging.page * paging.limit < total, data: await this.messageViews(rows) };
  }

  /** Feedback of the app's builders on a message (`from_source` `admin`); `null` revokes it. */
  async adminFeedback(app: App, accountId: string, messageId: string, rating: Rating | null, content: string | null | undefined): Promise<void> {
    const message = isUuid(messageId) ? ((await this.knex('messages').where({ id: messageId, app_id: app.id }).first('id', 'conversation_id')) as { id: string; conversation_id: string | null } | undefined) : undefined;
    if (!message) throw new NotFoundError('Message Not Exists.', 'not_found');
    if (rating === null) {
      const deleted = await this.knex('message_feedbacks').where({ message_id: message.id, from_source: 'admin' }).delete();
      if (deleted === 0) throw new InputError('rating cannot be None when feedback not exists', 'rating');
      return;
    }
    await this.knex('message_feedbacks')
      .insert({ id: randomUUID(), app_id: app.id, conversation_id: message.conversation_id, message_id: message.id, rating, content: content ?? null, from_source: 'admin', end_user_id: null, account_id: accountId })
      .onConflict(['message_id', 'from_source'])
      .merge({ rating, content: content ?? null, account_id: accountId, updated_at: this.knex.fn.now() });
  }

  /**
   * One row per UTC day with messages in [start, end] (Unix seconds; default
   * the last 7 days): messages, distinct conversations and end users, tokens,
   * cost, and mean latency.
   */
  async statistics(app: App, window: { start?: number | undefined; end?: number | undefined; source?: 'api' | 'console' | undefined }) {
    const end = window.end ?? Math.floor(Date.now() / 1000);
    const start = window.start ?? end - 7 * DAY_S;
    if (start > end) throw new InputError('start must not be after end.', 'start');
    const day = this.knex.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`);
    const query = this.knex('messages')
      .where('app_id', app.id)
      .andWhere('created_at', '>=', toDate(start))
      .andWhere('created_at', '<', toDate(end + 1));
    if (window.source) query.andWhere('from_source', window.source);
    const rows = (await query
      .select({ date: day })
      .count({ messages: '*' })
      .countDistinct({ conversations: 'conversation_id', end_users: 'end_user_id' })
      .sum({ tokens: this.knex.raw('message_tokens + answer_tokens'), total_price: 'total_price' })
      .avg({ avg_latency: 'latency' })
      .groupBy(day)
      .orderBy('date', 'asc')) as Array<Record<string, unknown>>;
    return {
      data: rows.map((r) => ({
        date: String(r.date),
        messages: num(r.messages),
        conversations: num(r.conversations),
        end_users: num(r.end_users),
        tokens: num(r.tokens),
        total_price: Math.round(num(r.total_price) * 1e7) / 1e7,
        currency: 'USD',
        avg_latency_ms: Math.round(num(r.avg_latency) * 1000),
      })),
    };
  }

  private async messageViews(rows: MessageLogRow[]) {
    const feedbacks = new Map<string, Array<{ rating: string; content: string | null; from_source: string }>>();
    if (rows.length > 0) {
      const found = (await this.knex('message_feedbacks').whereIn('message_id', rows.map((r) => r.id)).orderBy('created_at', 'asc').select('message_id', 'rating', 'content', 'from_source')) as Array<{ message_id: string; rating: string; content: string | null; from_source: string }>;
      for (const f of found) {
        const list = feedbacks.get(f.message_id) ?? [];
        list.push({ rating: f.rating, content: f.content, from_source: f.from_source });
        feedbacks.set(f.message_id, list);
      }
    }
    return rows.map((m) => logMessageView(m, feedbacks.get(m.id) ?? []));
  }

  /** Like/dislike counts per conversation, by who gave them. */
  private async feedbackStats(column: 'conversation_id', ids: string[]): Promise<Map<string, { user: FeedbackStats; admin: FeedbackStats }>> {
    const out = new Map<string, { user: FeedbackStats; admin: FeedbackStats }>();
    if (ids.length === 0) return out;
    const rows = (await this.knex('message_feedbacks').whereIn(column, ids).groupBy(column, 'from_source', 'rating').select({ key: column }, 'from_source', 'rating').count({ n: '*' })) as Array<{ key: string; from_source: string; rating: string; n: unknown }>;
    for (const r of rows) {
      const entry = out.get(r.key) ?? { user: { like: 0, dislike: 0 }, admin: { like: 0, dislike: 0 } };
      const who = r.from_source === 'admin' ? entry.admin : entry.user;
      if (r.rating === 'like' || r.rating === 'dislike') who[r.rating] += num(r.n);
      out.set(r.key, entry);
    }
    return out;
  }
}

function countRatings(feedbacks: Array<{ rating: string; from_source: string }>, source: string): FeedbackStats {
  const stats = { like: 0, dislike: 0 };
  for (const f of feedbacks) if (f.from_source === source && (f.rating === 'like' || f.rating === 'dislike')) stats[f.rating]++;
  return stats;
}

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** A message as the logs show it: the exchange, its usage and cost, and all feedback on it. */
export function logMessageView(m: MessageLogRow, feedbacks: Array<{ rating: string; content: string | null; from_source: string }>) {
  const inputs = parseJson<Record<string, unknown>>(m.inputs, {});
  const metadata = parseJson<Record<string, unknown>>(m.metadata, {});
  const files = parseJson<Array<{ id: string; type: string; url: string; belongs_to?: string }>>(m.files, []);
  const messageTokens = num(m.message_tokens);
  const answerTokens = num(m.answer_tokens);
  return {
    id: m.id,
    conversation_id: m.conversation_id,
    // A completion app stores its text as the `query` input.
    query: m.query || (typeof inputs.query === 'string' ? inputs.query : ''),
    answer: m.answer,
    inputs,
    status: m.status,
    error: m.error,
    from_source: m.from_source,
    from_end_user_id: m.end_user_id,
    from_end_user_session_id: m.from_end_user_session_id,
    from_account_id: m.account_id,
    message_tokens: messageTokens,
    answer_tokens: answerTokens,
    total_tokens: messageTokens + answerTokens,
    total_price: num(m.total_price),
    currency: m.currency,
    latency: num(m.latency),
    provider: m.provider,
    model: m.model,
    feedbacks,
    annotation_reply: (metadata.annotation_reply as Record<string, unknown> | undefined) ?? null,
    agent_thoughts: parseJson<unknown[]>(m.agent_thoughts, []),
    message_files: files.map((f) => ({ id: f.id, type: f.type, url: f.url, belongs_to: f.belongs_to ?? 'user' })),
    created_at: unix(m.created_at),
  };
}
