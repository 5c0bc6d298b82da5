/**
 * One `Queue` interface for background work, two implementations: in-process
 * (embedded default) and bee-queue on Redis (scaled out, processed by
 * `tessera worker`). Job types are typed references, so producers and handlers
 * agree on the payload and result without sharing anything but the ref.
 */

/** A named job type with its payload `T` and result `R`. Create with {@link defineJob}. */
export interface JobRef<T, R> {
  readonly name: string;
  /** Phantom fields: carry the types, never read. */
  readonly _types?: { data: T; result: R };
}

export function defineJob<T, R = void>(name: string): JobRef<T, R> {
  if (!/^[a-z][a-z0-9.-]{0,62}$/.test(name)) throw new Error(`job name "${name}" must be lower-case letters, digits, dots and dashes`);
  return { name };
}

/** What a handler sees of the job it runs. */
export interface JobContext<T> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** 1 on the first run, 2 on the first retry, … (a stalled job re-run keeps its attempt). */
  readonly attempt: number;
  /** Reports progress (any JSON value) to whoever holds the job's handle. */
  progress(value: unknown): void;
}

export type JobHandler<T, R> = (job: JobContext<T>) => Promise<R>;

export interface EnqueueOptions {
  /** Idempotency: a job with an id that is already queued is not queued twice. */
  id?: string;
  /** Retries after the first failure (default 3). */
  retries?: number;
  /** Delay before the first retry (default 1000 ms); doubles each retry unless `backoff: 'fixed'`. */
  backoffMs?: number;
  backoff?: 'exponential' | 'fixed';
  /** A run taking longer fails (and may be retried). */
  timeoutMs?: number;
}

/** The producer's view of a queued job. */
export interface JobHandle<R> {
  readonly id: string;
  /** Resolves with the result, or rejects with the last error once retries are spent. */
  finished(): Promise<R>;
  onProgress(listener: (value: unknown) => void): void;
}

export interface HandlerOptions {
  /** Jobs of this type run at once in one process (default 1). */
  concurrency?: number;
}

export interface Queue {
  readonly kind: 'memory' | 'redis';
  /** Declares how this process handles a job type. Jobs run only after {@link Queue.process}. */
  register<T, R>(ref: JobRef<T, R>, handler: JobHandler<T, R>, options?: HandlerOptions): void;
  enqueue<T, R>(ref: JobRef<T, R>, data: T, options?: EnqueueOptions): Promise<JobHandle<R>>;
  /** Starts running the registered handlers in this process (servers in embedded mode, workers). */
  process(): Promise<void>;
  /** Counts per state, for `/ready` and operations. */
  health(): Promise<{ ok: boolean; detail: string }>;
  /** Stops taking jobs, waits up to `timeoutMs` for running ones, releases connections. */
  close(timeoutMs?: number): Promise<void>;
}

export const DEFAULT_RETRIES = 3;
export const DEFAULT_BACKOFF_MS = 1000;

export function retryDelay(options: EnqueueOptions, failedAttempt: number): number {
  const base = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  return options.backoff === 'fixed' ? base : base * 2 ** (failedAttempt - 1);
}

export class JobTimeoutError extends Error {
  constructor(name: string, ms: number) {
    super(`job "${name}" did not finish within ${ms} ms`);
    this.name = 'JobTimeoutError';
  }
}
