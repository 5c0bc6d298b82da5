/**
 * The login throttle's store contract (identity/throttle.ts has the rules): a
 * leaf, so the Redis store (throttle-redis.ts, loaded only with REDIS_URL) and
 * the throttle can both use it without importing each other (no import cycle;
 * docs/architecture.md, "Layering").
 */

export interface StoreBucket {
  readonly key: string;
  /** Failures before the back-off starts. */
  readonly free: number;
  /** The first wait, ms. */
  readonly baseMs: number;
}

/** Shared state of the throttle: in memory for one process, Redis for several. */
export interface ThrottleStore {
  /**
   * Atomically: if a bucket must still wait, returns the longest wait (ms) and
   * counts nothing; otherwise counts one failure in every bucket and returns 0.
   */
  take(buckets: readonly StoreBucket[], now: number, maxMs: number): Promise<number>;
  /** Takes back one counted failure from each bucket (the attempt was not a failure). */
  refund(keys: readonly string[]): Promise<void>;
  /** Moves the last failure of each existing bucket to `now` (when the guess was found wrong: a slow check does not shorten the wait). */
  touch(keys: readonly string[], now: number): Promise<void>;
  clear(keys: readonly string[]): Promise<void>;
  remember(keys: readonly string[], ttlMs: number): Promise<void>;
  /** Which of `keys` are remembered. */
  known(keys: readonly string[]): Promise<boolean[]>;
  close(): Promise<void>;
}

/** A bucket is dropped this long after its last failure. */
export const BUCKET_TTL_MS = 24 * 60 * 60 * 1000;
