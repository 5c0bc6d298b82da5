/**
 * The messages between the API process and the plugin-host process
 * (process-runtime.ts ↔ process-host-child.ts), over Node's IPC channel with
 * the advanced serialisation (structured clone: Uint8Array crosses as bytes).
 *
 * The API process asks (`open`, `run`, `next`, `return`, `abort`); the host
 * answers (`res`) and asks back for capabilities (`cap`, `capabort`, `log`),
 * which the API process serves from the call's scope and answers (`capres`).
 * Async iterables cross as handles read in batches: an answer carries every
 * item that was ready within one loop turn (`Batch`).
 */
import { PluginError, isPluginErrorCode } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { CallTarget } from './plugin-runtime.js';
import type { IsolateRuntimeOptions } from './isolate-runtime.js';

/** What an isolate runtime is opened with in the host process (its log sink stays in the API process). */
export type OpenOptions = Omit<IsolateRuntimeOptions, 'onLog'>;

export type RunKind = 'activate' | 'describe' | 'call' | 'stream' | 'dispose';

export type ToHost =
  | { readonly k: 'open'; readonly rid: number; readonly options: OpenOptions }
  /** `abortable`: the caller has a signal, so an `abort` may follow (without one the host makes no controller for the call). */
  | { readonly k: 'run'; readonly id: number; readonly rid: number; readonly kind: RunKind; readonly target?: CallTarget; readonly args?: readonly JsonValue[]; readonly workspaceId?: string; readonly abortable?: boolean }
  /** The next batch of a stream started by `run` `id`. */
  | { readonly k: 'next'; readonly id: number }
  /** The consumer of stream `id` stopped reading; answered (as `reply`) once the plugin's stream is closed. */
  | { readonly k: 'return'; readonly id: number; readonly reply: number }
  | { readonly k: 'abort'; readonly id: number }
  | { readonly k: 'capres'; readonly id: number; readonly ok: boolean; readonly value?: unknown; readonly error?: WireError };

export type FromHost =
  | { readonly k: 'ready' }
  /** `stats`: the runtime's generation, faults, fast and slow calls, as of the answer. */
  | { readonly k: 'res'; readonly id: number; readonly ok: boolean; readonly value?: unknown; readonly error?: WireError; readonly stats?: StatsTuple }
  /** A capability request of the call (`scope`: the id of its `run`). */
  | { readonly k: 'cap'; readonly id: number; readonly scope: number; readonly op: CapOp; readonly args: unknown }
  /** The plugin aborted the request of capability request `id` (a fetch, a model call). */
  | { readonly k: 'capabort'; readonly id: number }
  /** A log line of a call (`scope`; its runtime's own log when the call has ended here) or of runtime `rid` outside calls. */
  | { readonly k: 'log'; readonly scope?: number; readonly rid?: number; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string; readonly fields: unknown };

export type StatsTuple = readonly [generation: number, faults: number, fastCalls: number, slowCalls: number];

export type CapOp =
  | 'fetch'
  | 'kv.get'
  | 'kv.set'
  | 'kv.delete'
  | 'kv.list'
  | 'kv.quota'
  | 'secrets.get'
  | 'secrets.getAll'
  | 'models.chat'
  | 'models.embed'
  | 'models.rerank'
  | 'iter.next'
  | 'iter.return';

/** Items of an async iterable that were ready together; `handle` reads on (absent once done). */
export interface Batch<T> {
  readonly values: T[];
  readonly done: boolean;
}

/** An error as it crosses: PluginErrors keep their code, details and retry hint; others their name, code and HTTP status. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
  readonly details?: JsonValue;
  readonly retryAfterMs?: number;
}

export function toWire(error: unknown): WireError {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; status?: unknown; details?: unknown; retryAfterMs?: unknown };
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(e.details !== undefined ? { details: e.details as JsonValue } : {}),
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
  };
}

export function fromWire(wire: WireError | undefined): Error {
  const w = wire ?? { name: 'Error', message: 'unknown error' };
  if (isPluginErrorCode(w.code)) return new PluginError(w.code, w.message, { ...(w.details !== undefined ? { details: w.details } : {}), ...(w.retryAfterMs !== undefined ? { retryAfterMs: w.retryAfterMs } : {}) });
  const error = new Error(w.message) as Error & { code?: string; status?: number };
  error.name = w.name;
  if (w.code !== undefined) error.code = w.code;
  if (w.status !== undefined) error.status = w.status;
  return error;
}

/**
 * The first message of a loop turn goes out at once (no added latency); further ones posted
 * within the same turn go out together at its end, as one array: under load, one write and
 * one read of the pipe for many calls instead of one each.
 */
export class Outbox<T> {
  private queue: T[] = [];
  private turn = false;

  constructor(private readonly write: (message: T | T[]) => void) {}

  push(message: T): void {
    if (!this.turn) {
      this.turn = true;
      setImmediate(() => this.flush());
      this.write(message);
      return;
    }
    this.queue.push(message);
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0) {
      this.turn = false;
      return;
    }
    // What was held back goes now; the next turn's first message waits for nothing.
    setImmediate(() => this.flush());
    this.write(queue.length === 1 ? queue[0]! : queue);
  }
}

/**
 * Items one batch may carry, and about how large it may grow (body chunks by their bytes, other
 * items by their strings and numbers) before it goes: more wait for the next read. The first item
 * goes whatever its size (each is within the isolate's own caps), so large items cross one by one.
 */
export const BATCH_MAX_ITEMS = 256;
export const BATCH_MAX_BYTES = 256 * 1024;

/** About how many bytes `value` takes (strings, numbers, bytes), walking no further than `budget`. */
export function roughSize(value: unknown, budget: number): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value === null || typeof value !== 'object') return 8;
  let size = 8;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    size += roughSize(item, budget - size) + 8;
    if (size > budget) return size;
  }
  return size;
}

const LATER = Symbol('later');
const afterThisTurn = (): Promise<typeof LATER> => new Promise((resolve) => setImmediate(() => resolve(LATER)));

/** An iterator read in batches; `pending` is a read already asked for, taken first by the next batch. */
export interface BatchSource<T> {
  readonly iterator: AsyncIterator<T>;
  pending: Promise<IteratorResult<T>> | undefined;
}

/**
 * Waits for the first item (unless `waitFirst` is false: then what is ready within
 * this loop turn, possibly nothing), then takes what else is ready within this
 * turn (up to the batch caps). A read still in flight stays in `source.pending`;
 * a failure after some items is kept there too, for the next batch to throw.
 */
export async function readBatch<T>(source: BatchSource<T>, waitFirst = true): Promise<Batch<T>> {
  const first = source.pending ?? source.iterator.next();
  source.pending = undefined;
  const values: T[] = [];
  let bytes = 0;
  let later: Promise<typeof LATER> | undefined;
  let step: IteratorResult<T>;
  if (waitFirst) step = await first;
  else {
    later = afterThisTurn();
    let raced: IteratorResult<T> | typeof LATER;
    try {
      raced = await Promise.race([first, later]);
    } catch {
      raced = LATER;
    }
    if (raced === LATER) {
      first.catch(() => undefined);
      source.pending = first;
      return { values, done: false };
    }
    step = raced;
  }
  for (;;) {
    if (step.done) return { values, done: true };
    values.push(step.value);
    bytes += roughSize(step.value, BATCH_MAX_BYTES - bytes);
    if (values.length >= BATCH_MAX_ITEMS || bytes >= BATCH_MAX_BYTES) return { values, done: false };
    const next = source.iterator.next();
    later ??= afterThisTurn();
    let raced: IteratorResult<T> | typeof LATER;
    try {
      raced = await Promise.race([next, later]);
    } catch {
      raced = LATER;
    }
    if (raced === LATER) {
      next.catch(() => undefined);
      source.pending = next;
      return { values, done: false };
    }
    step = raced;
  }
}
