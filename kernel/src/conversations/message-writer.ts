import type { Knex } from 'knex';
import { runSimple, sqlWithLiterals } from '../db/database.js';
import type { MessageRow } from './rows.js';

/** What one exchange does to its conversation when it is stored. */
export type ConversationChange =
  | { kind: 'create'; row: Record<string, unknown> }
  | { kind: 'touch'; id: string }
  | { kind: 'none' };

/**
 * A message row as written: the first write inserts it (status `generating`,
 * with its conversation change); the last one updates it in place, keeping
 * `created_at` (the start of the generation, as in Dify).
 */
export interface SaveItem {
  readonly message: Omit<MessageRow, 'created_at' | 'updated_at'>;
  readonly conversation: ConversationChange;
  /** The row may exist (a later write over the first): an upsert rather than the plain insert of a first write. */
  readonly replaces?: boolean;
}

/** A checkpoint of a message still generating: its answer so far, and a heartbeat (`updated_at`). */
export interface ProgressItem {
  readonly progress: { readonly id: string; readonly answer: string };
}

type Item = SaveItem | ProgressItem;

interface Queued {
  readonly item: Item;
  resolve(): void;
  reject(error: unknown): void;
}

/** The message columns a later write replaces; the key and `created_at` stay. */
const UPDATED_COLUMNS = ['answer', 'agent_thoughts', 'metadata', 'provider', 'model', 'message_tokens', 'answer_tokens', 'total_price', 'currency', 'latency', 'status', 'error', 'files', 'inputs', 'updated_at'] as const;

/** Rows per statement: far below PostgreSQL's 65,535 bind parameters (about 35 per exchange). */
const MAX_BATCH = 128;
/** A statement that waits longer (a lock held elsewhere, say) fails its batch, so the saves behind it go on. */
const WRITE_TIMEOUT_MS = 30_000;
/** PostgreSQL's `query_canceled`, which a statement past `statement_timeout` fails with. */
const QUERY_CANCELED = '57014';

/**
 * Stores messages with group commit — each one's first write (the start of
 * its generation), checkpoints while it streams, and its last write. A save that finds the writer
 * idle is written after the current loop turn, with every save that turn
 * reaches (PGlite runs synchronously, so nothing else could join); saves that
 * arrive while a write is in flight queue and go together in the next
 * statement. One loaded process thus pays one statement (parse, plan, commit,
 * WAL write, round trip) for many messages — on PGlite that is most of a
 * message's cost (bench/gateway) — while a lone request waits one loop turn.
 *
 * Every batch is one statement, so it is atomic: a new conversation and its
 * first message are stored together or not at all. If a batch fails, its
 * items are retried one by one, so one bad row fails only its own request; a
 * batch past its time-out fails as a whole, so the saves behind it go on.
 */
export class MessageWriter {
  private readonly queue: Queued[] = [];
  private writing = false;
  private scheduled = false;

  private readonly timeoutMs: number;

  constructor(
    private readonly knex: Knex,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? WRITE_TIMEOUT_MS;
  }

  save(item: Item): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.writing || this.scheduled) return;
      // After the I/O callbacks of this loop turn: every save they reach joins this statement.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.drain();
      });
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.write(batch.map((q) => q.item));
          for (const q of batch) q.resolve();
        } catch (error) {
          // A time-out is the database's state, not a row's: retrying row by row would only wait again.
          if (batch.length === 1 || (error as { code?: unknown }).code === QUERY_CANCELED) for (const q of batch) q.reject(error);
          else await this.oneByOne(batch);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async oneByOne(batch: Queued[]): Promise<void> {
    for (const q of batch) {
      try {
        await this.write([q.item]);
        q.resolve();
      } catch (error) {
        q.reject(error);
      }
    }
  }

  /**
   * One statement: data-modifying CTEs for the conversations, then the messages,
   * with its values as escaped literals, by the simple protocol (see runSimple),
   * under a statement time-out of its own (SET LOCAL lasts for this statement's
   * implicit transaction only).
   */
  private write(all: Item[]): Promise<void> {
    const statements: string[] = [];
    const items = all.filter((i): i is SaveItem => 'message' in i);
    const progress = all.flatMap((i) => ('progress' in i ? [i.progress] : []));
    const inserts = items.filter((i) => !i.replaces);
    const replaces = items.filter((i) => i.replaces);
    if (inserts.length) statements.push(sqlWithLiterals(this.messagesStatement(inserts, false)));
    if (replaces.length) statements.push(sqlWithLiterals(this.messagesStatement(replaces, true)));
    if (progress.length) {
      // Only a row still generating: a checkpoint queued behind its last write must not undo it.
      const values = progress.map(() => '(?::uuid, ?)').join(', ');
      const native = this.knex.raw(`UPDATE messages SET answer = p.answer, updated_at = clock_timestamp() FROM (VALUES ${values}) AS p(id, answer) WHERE messages.id = p.id AND messages.status = 'generating'`, progress.flatMap((p) => [p.id, p.answer])).toSQL().toNative();
      statements.push(sqlWithLiterals(native));
    }
    return runSimple(this.knex, `SET LOCAL statement_timeout = ${Math.max(1, Math.round(this.timeoutMs))}; ${statements.join('; ')}`);
  }

  private messagesStatement(items: SaveItem[], upsert: boolean): Knex.SqlNative {
    const parts: string[] = [];
    const bindings: Knex.Value[] = [];
    const created = items.flatMap((i) => (i.conversation.kind === 'create' ? [i.conversation.row] : []));
    if (created.length) {
      const sql = this.knex('conversations').insert(created).toSQL();
      parts.push(`new_conversations AS (${sql.sql})`);
      bindings.push(...sql.bindings);
    }
    const touched = new Map<string, number>();
    for (const i of items) if (i.conversation.kind === 'touch') touched.set(i.conversation.id, (touched.get(i.conversation.id) ?? 0) + 1);
    if (touched.size) {
      const values = [...touched].map(() => '(?::uuid, ?::int)').join(', ');
      parts.push(`touched_conversations AS (UPDATE conversations SET message_count = conversations.message_count + t.n, updated_at = now() FROM (VALUES ${values}) AS t(id, n) WHERE conversations.id = t.id)`);
      for (const [id, n] of touched) bindings.push(id, n);
    }
    // clock_timestamp(), not now(): messages started in one statement keep the order they were started in.
    const now = this.knex.raw('clock_timestamp()');
    // A plain insert where no row can exist yet: cheaper than ON CONFLICT's speculative insertion (bench/gateway).
    const insert = this.knex('messages').insert(items.map((i) => ({ ...i.message, created_at: now, updated_at: now })));
    const messages = (upsert ? insert.onConflict('id').merge([...UPDATED_COLUMNS]) : insert).toSQL();
    bindings.push(...messages.bindings);
    return this.knex.raw(parts.length ? `WITH ${parts.join(', ')} ${messages.sql}` : messages.sql, bindings).toSQL().toNative();
  }
}
