import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { InputError, NotFoundError } from '../errors.js';
import { isUuid } from '../http/validate.js';
import { unix } from '../identity/models.js';
import type { Logger } from '../logger.js';
import { type ConversationChange, MessageWriter } from './message-writer.js';
import type { ConversationRow, MessageRow } from './rows.js';

/** Who a conversation belongs to: an end user of the Service API, or a console account (preview). */
export type Owner = { kind: 'end_user'; id: string; sessionId: string } | { kind: 'account'; id: string };

export type { ConversationRow, MessageRow } from './rows.js';


export function conversationView(c: ConversationRow) {
  return { id: c.id, name: c.name, inputs: JSON.parse(c.inputs) as Record<string, unknown>, status: c.status, introduction: c.introduction, created_at: unix(c.created_at), updated_at: unix(c.updated_at) };
}

function ownerWhere(owner: Owner): Record<string, string> {
  return owner.kind === 'end_user' ? { end_user_id: owner.id } : { account_id: owner.id };
}

const END_USER_CACHE = 10_000;

/**
 * End users, conversations and messages. A conversation is visible only to
 * the end user (or console account) that started it, in the app it belongs to.
 */
export class Conversations {
  private readonly endUsers = new Map<string, Promise<string>>();

  private readonly writer: MessageWriter;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly knex: Knex) {
    this.writer = new MessageWriter(knex);
  }

  /** The end user for a Service API `user` string, created on first sight (cached). */
  endUser(workspaceId: string, appId: string, sessionId: string, type = 'service_api'): Promise<string> {
    const key = `${appId}\u0000${type}\u0000${sessionId}`;
    let hit = this.endUsers.get(key);
    if (hit) return hit;
    hit = (async () => {
      const row = { id: randomUUID(), workspace_id: workspaceId, app_id: appId, type, session_id: sessionId, is_anonymous: false };
      await this.knex('end_users').insert(row).onConflict(['app_id', 'type', 'session_id']).ignore();
      const found = (await this.knex('end_users').where({ app_id: appId, type, session_id: sessionId }).first('id')) as { id: string };
      return found.id;
    })();
    hit.catch(() => this.endUsers.delete(key));
    if (this.endUsers.size >= END_USER_CACHE) this.endUsers.delete(this.endUsers.keys().next().value!);
    this.endUsers.set(key, hit);
    return hit;
  }

  async endUserById(appId: string, id: string) {
    if (!isUuid(id)) throw new NotFoundError('End user not found.', 'end_user_not_found');
    const row = (await this.knex('end_users').where({ app_id: appId, id }).first()) as Record<string, unknown> | undefined;
    if (!row) throw new NotFoundError('End user not found.', 'end_user_not_found');
    return row;
  }

  /** A live conversation of `owner` in `appId`; 404 `not_found` "Conversation Not Exists." otherwise. */
  async get(appId: string, owner: Owner, conversationId: string): Promise<ConversationRow> {
    const row = isUuid(conversationId) ? ((await this.knex('conversations').where({ id: conversationId, app_id: appId, is_deleted: false, ...ownerWhere(owner) }).first()) as ConversationRow | undefined) : undefined;
    if (!row) throw new NotFoundError('Conversation Not Exists.', 'not_found');
    return row;
  }

  async list(appId: string, owner: Owner, options: { lastId?: string | undefined; limit: number; sortBy: string }) {
    const desc = options.sortBy.startsWith('-');
    const column = options.sortBy.replace(/^-/, '') === 'created_at' ? 'created_at' : 'updated_at';
    const query = this.knex('conversations').where({ app_id: appId, is_deleted: false, ...ownerWhere(owner) });
    if (options.lastId) {
      const last = await this.get(appId, owner, options.lastId).catch(() => {
        throw new NotFoundError('Last Conversation Not Exists.', 'not_found');
      });
      // Keyset paging on (column, id) so equal timestamps neither repeat nor vanish.
      query.where((q) => {
        q.where(column, desc ? '<' : '>', last[column]).orWhere((q2) => q2.where(column, last[column]).andWhere('id', desc ? '<' : '>', last.id));
      });
    }
    const rows = (await query.orderBy([{ column, order: desc ? 'desc' : 'asc' }, { column: 'id', order: desc ? 'desc' : 'asc' }]).limit(options.limit + 1)) as ConversationRow[];
    return { limit: options.limit, has_more: rows.length > options.limit, data: rows.slice(0, options.limit).map(conversationView) };
  }

  async rename(appId: string, owner: Owner, conversationId: string, name: string): Promise<ConversationRow> {
    const conversation = await this.get(appId, owner, conversationId);
    await this.knex('conversations').where({ id: conversation.id }).update({ name: name.slice(0, 255), updated_at: this.knex.fn.now() });
    return this.get(appId, owner, conversationId);
  }

  async remove(appId: string, owner: Owner, conversationId: string): Promise<void> {
    const conversation = await this.get(appId, owner, conversationId);
    await this.knex('conversations').where({ id: conversation.id }).update({ is_deleted: true, updated_at: this.knex.fn.now() });
  }

  async setInputs(conversationId: string, inputs: Record<string, unknown>): Promise<void> {
    await this.knex('conversations').where({ id: conversationId }).update({ inputs: JSON.stringify(inputs), updated_at: this.knex.fn.now() });
  }

  /** The newest messages of a conversation first, for memory. */
  async recent(conversationId: string, limit: number): Promise<Array<Pick<MessageRow, 'query' | 'answer' | 'files' | 'status'>>> {
    const rows = (await this.knex('messages').where({ conversation_id: conversationId }).whereIn('status', ['normal', 'stopped']).orderBy('created_at', 'desc').limit(limit).select('query', 'answer', 'files', 'status', 'metadata')) as Array<Pick<MessageRow, 'query' | 'answer' | 'files' | 'status' | 'metadata'>>;
    // A turn whose input moderation flagged is not memory: the model never saw it, and must not later (#14).
    return rows.filter((r) => !r.metadata.includes('"input_moderated":true')).map(({ metadata: _, ...turn }) => turn);
  }

  /** Messages of a conversation, `limit` at a time, newest page first, each page oldest → newest. */
  async messages(appId: string, owner: Owner, conversationId: string, firstId: string | undefined, limit: number) {
    const conversation = await this.get(appId, owner, conversationId);
    const query = this.knex('messages').where({ conversation_id: conversation.id });
    if (firstId) {
      const first = isUuid(firstId) ? ((await this.knex('messages').where({ id: firstId, conversation_id: conversation.id }).first('id', 'created_at')) as MessageRow | undefined) : undefined;
      if (!first) throw new NotFoundError('First Message Not Exists.', 'not_found');
      query.where((q) => q.where('created_at', '<', first.created_at).orWhere((q2) => q2.where('created_at', first.created_at).andWhere('id', '<', first.id)));
    }
    const rows = (await query.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1)) as MessageRow[];
    const page = rows.slice(0, limit).reverse();
    const feedback = await this.feedbackOf(page.map((m) => m.id), 'user');
    return { limit, has_more: rows.length > limit, data: page.map((m) => ({ ...messageView(m), feedback: feedback.get(m.id) ?? null })) };
  }

  /** A message the owner can see (for feedback, suggestions). */
  async message(appId: string, owner: Owner, messageId: string): Promise<MessageRow> {
    const row = isUuid(messageId) ? ((await this.knex('messages').where({ id: messageId, app_id: appId, ...ownerWhere(owner) }).first()) as MessageRow | undefined) : undefined;
    if (!row) throw new NotFoundError('Message Not Exists.', 'not_found');
    return row;
  }

  async feedback(appId: string, owner: Owner, messageId: string, rating: 'like' | 'dislike' | null, content: string | undefined): Promise<void> {
    const message = await this.message(appId, owner, messageId);
    const source = owner.kind === 'end_user' ? 'user' : 'admin';
    if (rating === null) {
      const deleted = await this.knex('message_feedbacks').where({ message_id: message.id, from_source: source }).delete();
      if (deleted === 0) throw new InputError('There is no feedback to revoke.', 'rating', 'invalid_param');
      return;
    }
    await this.knex('message_feedbacks')
      .insert({ id: randomUUID(), app_id: appId, conversation_id: message.conversation_id, message_id: message.id, rating, content: content ?? null, from_source: source, end_user_id: owner.kind === 'end_user' ? owner.id : null, account_id: owner.kind === 'account' ? owner.id : null })
      .onConflict(['message_id', 'from_source'])
      .merge({ rating, content: content ?? null, updated_at: this.knex.fn.now() });
  }

  async feedbackOf(messageIds: string[], source: 'user' | 'admin'): Promise<Map<string, { rating: string }>> {
    if (messageIds.length === 0) return new Map();
    const rows = (await this.knex('message_feedbacks').whereIn('message_id', messageIds).andWhere({ from_source: source }).select('message_id', 'rating')) as Array<{ message_id: string; rating: string }>;
    return new Map(rows.map((r) => [r.message_id, { rating: r.rating }]));
  }

  /** Feedback left on an app's messages (`GET /app/feedbacks`). */
  async appFeedbacks(appId: string, page: number, limit: number) {
    const rows = (await this.knex('message_feedbacks').where({ app_id: appId }).orderBy('created_at', 'desc').offset((page - 1) * limit).limit(limit + 1)) as Array<Record<string, unknown>>;
    return {
      page,
      limit,
      has_more: rows.length > limit,
      data: rows.slice(0, limit).map((r) => ({ id: r.id, app_id: r.app_id, conversation_id: r.conversation_id, message_id: r.message_id, rating: r.rating, content: r.content, from_source: r.from_source, from_end_user_id: r.end_user_id, from_account_id: r.account_id, created_at: unix(r.created_at as Date), updated_at: unix(r.updated_at as Date) })),
    };
  }

  /**
   * Stores a message at the start of its generation (status `generating`), so
   * a crash cannot lose it: a new conversation is created with it, in the same
   * statement, so a half-made conversation never exists. Saves under load share
   * statements (group commit, {@link MessageWriter}).
   */
  async begin(message: Omit<MessageRow, 'created_at' | 'updated_at'>, conversation: { isNew: boolean; name?: string; inputs?: Record<string, unknown>; mode: string; introduction?: string } | undefined): Promise<void> {
    let change: ConversationChange = { kind: 'none' };
    if (message.conversation_id && conversation?.isNew) {
      change = {
        kind: 'create',
        row: {
          id: message.conversation_id,
          workspace_id: message.workspace_id,
          app_id: message.app_id,
          mode: conversation.mode,
          name: conversation.name ?? '',
          inputs: JSON.stringify(conversation.inputs ?? {}),
          introduction: conversation.introduction ?? '',
          end_user_id: message.end_user_id,
          account_id: message.account_id,
          from_source: message.from_source,
          message_count: 1,
        },
      };
    } else if (message.conversation_id) {
      change = { kind: 'touch', id: message.conversation_id };
    }
    await this.writer.save({ message, conversation: change });
  }

  /** Checkpoints a generating message's answer so far; also its heartbeat for {@link sweepInterrupted}. */
  progress(id: string, answer: string): Promise<void> {
    return this.writer.save({ progress: { id, answer } });
  }

  /** Stores a message's outcome (finished, stopped or failed) over the row {@link begin} wrote. */
  async finish(message: Omit<MessageRow, 'created_at' | 'updated_at'>): Promise<void> {
    await this.writer.save({ message, conversation: { kind: 'none' }, replaces: true });
  }

  /**
   * At start: sweeps what a dead process left generating — every such row when
   * this process is the database's only one, else those whose heartbeat is
   * stale — and, with a shared database, keeps sweeping for the other
   * processes that die.
   */
  async recoverInterrupted(options: { soleProcess: boolean; logger: Logger }): Promise<number> {
    const swept = await this.sweepInterrupted(options.soleProcess ? 0 : STALE_AFTER_MS);
    if (!options.soleProcess) {
      this.sweeper = setInterval(() => {
        this.sweepInterrupted(STALE_AFTER_MS).then(
          (n) => n && options.logger.warn({ messages: n }, 'messages of a process that stopped heartbeating marked as error'),
          (err: unknown) => options.logger.warn({ err }, 'sweeping interrupted messages failed'),
        );
      }, SWEEP_EVERY_MS);
      this.sweeper.unref();
    }
    return swept;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Marks as `error` the messages left `generating` by a process that died
   * (kill -9, a crash, power loss): those whose heartbeat is older than
   * `staleMs` (0: every one, for a database only this process opens).
   * Returns how many.
   */
  async sweepInterrupted(staleMs: number): Promise<number> {
    const stale = this.knex('messages').where({ status: 'generating' });
    if (staleMs > 0) stale.where('updated_at', '<', this.knex.raw(`now() - interval '${Math.round(staleMs)} milliseconds'`));
    return stale.update({ status: 'error', error: INTERRUPTED, updated_at: this.knex.fn.now() });
  }
}

/**
 * A generating message checkpoints at least every HEARTBEAT_MS (chat/generate.ts);
 * one silent for four heartbeats belongs to a process that is gone.
 */
export const HEARTBEAT_MS = 15_000;
const STALE_AFTER_MS = 4 * HEARTBEAT_MS;
const SWEEP_EVERY_MS = 30_000;

/** What an interrupted message says: its process stopped before the answer was finished. */
export const INTERRUPTED = 'Interrupted: the server stopped before the answer was finished.';

export function messageView(m: MessageRow) {
  const files = JSON.parse(m.files) as Array<{ id: string; type: string; url: string; belongs_to: string }>;
  return {
    id: m.id,
    conversation_id: m.conversation_id,
    parent_message_id: null,
    inputs: JSON.parse(m.inputs) as Record<string, unknown>,
    query: m.query,
    answer: m.answer,
    message_files: files.map((f) => ({ id: f.id, type: f.type, url: f.url, belongs_to: f.belongs_to ?? 'user' })),
    retriever_resources: [] as unknown[],
    agent_thoughts: JSON.parse(m.agent_thoughts) as unknown[],
    created_at: unix(m.created_at),
    // Still streaming reads as Dify's `normal` (its answer so far); `stopped` and `error` as they are.
    status: m.status === 'generating' ? 'normal' : m.status,
    error: m.error,
  };
}
