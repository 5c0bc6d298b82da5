import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Context } from 'koa';
import type { LoginThrottleConfig } from '../boot/config.js';
import { type ErrorCode, TooManyRequestsError } from '../errors.js';
import { randomToken } from '../security/tokens.js';
import { RedisThrottleStore } from './throttle-redis.js';
import { BUCKET_TTL_MS, type StoreBucket, type ThrottleStore } from './throttle-store.js';

export { BUCKET_TTL_MS, type StoreBucket, type ThrottleStore } from './throttle-store.js';

/**
 * Brute-force limits of login, activation and password reset (issue #13).
 *
 * Every attempt is counted in *buckets* — one per account (email) and one per
 * client address — before the password or code is checked, atomically across
 * processes (Redis when REDIS_URL is set). A bucket with `free` or more failures
 * makes the next attempt wait `base × 2^(failures − free)` after the last one
 * (capped at `max`); an attempt that comes too early is answered 429 with
 * Retry-After and is not counted, so waiting is always enough: nobody is locked
 * out for good. One failure is forgiven for every `max` without failures, and a
 * bucket is dropped 24 h after its last failure. A success clears the account's
 * bucket and takes its own attempt back from the address's.
 *
 * Known clients: a successful login remembers the client for that account for
 * 30 days — its device (the `tessera_device` cookie, set at login) and its
 * address. A known client's attempts for that account count in a bucket of its
 * own instead of the account's and the address's, so failures made elsewhere
 * (an attacker guessing the password) never slow the account's real user down
 * on a device or network they have used before, while guesses from that client
 * are limited just the same.
 */
export type ThrottleAction = 'login' | 'activate' | 'reset-mail' | 'reset-code';

/** Who is attempting: the client address (ctx.ip, see TRUST_PROXY) and, for logins, a device id. */
export interface ThrottleClient {
  readonly address: string;
  /** The `tessera_device` cookie: the one it sent, or a fresh id the login route sets if the login succeeds. */
  readonly device?: string | undefined;
}

const KNOWN_CLIENT_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const DEVICE_COOKIE = 'tessera_device';
const DEVICE_ID = /^[A-Za-z0-9_-]{20,100}$/;

/** The wait after `failures` failures of a bucket, before one forgiven per `maxMs` passed since `last`. */
function waitMs(failures: number, last: number, now: number, bucket: Pick<StoreBucket, 'free' | 'baseMs'>, maxMs: number): { failures: number; wait: number } {
  const kept = Math.max(0, failures - Math.floor(Math.max(0, now - last) / maxMs));
  if (kept < bucket.free) return { failures: kept, wait: 0 };
  const delay = Math.min(bucket.baseMs * 2 ** (kept - bucket.free), maxMs);
  return { failures: kept, wait: Math.max(0, last + delay - now) };
}

export class MemoryThrottleStore implements ThrottleStore {
  private readonly buckets = new Map<string, { failures: number; last: number }>();
  private readonly remembered = new Map<string, number>();

  async take(buckets: readonly StoreBucket[], now: number, maxMs: number): Promise<number> {
    let wait = 0;
    const kept: number[] = [];
    for (const bucket of buckets) {
      const state = this.buckets.get(bucket.key);
      const result = state && state.last > now - BUCKET_TTL_MS ? waitMs(state.failures, state.last, now, bucket, maxMs) : { failures: 0, wait: 0 };
      wait = Math.max(wait, result.wait);
      kept.push(result.failures);
    }
    if (wait > 0) return wait;
    buckets.forEach((bucket, i) => {
      this.buckets.delete(bucket.key); // re-inserted last: the map stays ordered by last use
      this.buckets.set(bucket.key, { failures: kept[i]! + 1, last: now });
    });
    this.trim(this.buckets, (state) => state.last <= now - BUCKET_TTL_MS);
    return 0;
  }

  async refund(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const state = this.buckets.get(key);
      if (state) state.failures = Math.max(0, state.failures - 1);
    }
  }

  async touch(keys: readonly string[], now: number): Promise<void> {
    for (const key of keys) {
      const state = this.buckets.get(key);
      if (state) state.last = Math.max(state.last, now);
    }
  }

  async clear(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.buckets.delete(key);
  }

  async remember(keys: readonly string[], ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    for (const key of keys) {
      this.remembered.delete(key);
      this.remembered.set(key, until);
    }
    this.trim(this.remembered, (expires) => expires <= Date.now());
  }

  async known(keys: readonly string[]): Promise<boolean[]> {
    const now = Date.now();
    return keys.map((key) => (this.remembered.get(key) ?? 0) > now);
  }

  async close(): Promise<void> {}

  /** Bounds memory under a flood of distinct keys: expired entries go first, then the least recently used. */
  private trim<V>(map: Map<string, V>, expired: (value: V) => boolean): void {
    if (map.size <= 100_000) return;
    for (const [key, value] of map) if (expired(value)) map.delete(key);
    for (const key of map.keys()) {
      if (map.size <= 90_000) break;
      map.delete(key);
    }
  }
}

/** Keys never hold an email or a device id in clear. */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/**
 * The address a bucket is kept for: IPv4 as is (an IPv4-mapped IPv6 address
 * as its IPv4), IPv6 by its /64 — one subscriber usually holds a whole /64.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip || 'unknown';
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The client of a request: its address and its device cookie (or a fresh device id for the login to set). */
export function clientOf(ctx: Context): ThrottleClient {
  const cookie = ctx.cookies.get(DEVICE_COOKIE);
  return { address: addressKey(ctx.ip), device: cookie && DEVICE_ID.test(cookie) ? cookie : randomToken() };
}

/** After a successful login: keeps the device id in a cookie only the login route receives. */
export function setDeviceCookie(ctx: Context, client: ThrottleClient): void {
  if (!client.device) return;
  ctx.cookies.set(DEVICE_COOKIE, client.device, { httpOnly: true, sameSite: 'strict', path: '/console/api/login', maxAge: KNOWN_CLIENT_TTL_MS, secure: ctx.secure, overwrite: true });
}

/** One counted attempt: report how it ended. */
export interface Attempt {
  /** The credentials were right: the subject's bucket is cleared, the address's attempt refunded (and, for a login, the client remembered). */
  succeeded(): Promise<void>;
  /** The guess was wrong: it stays counted, and the wait runs from now. */
  failed(): Promise<void>;
  /** It was not a guess at all (a server error, an invalid new password): every bucket gets its attempt back. */
  refund(): Promise<void>;
}

interface ActionPolicy {
  /** Free failures per subject (account); 0 = no subject bucket. */
  subjectFree: number;
  addressFree: number;
  baseMs: number;
  code: ErrorCode;
  message: string;
}

export class Throttle {
  private readonly policies: Record<ThrottleAction, ActionPolicy>;

  constructor(private readonly store: ThrottleStore, private readonly options: LoginThrottleConfig, private readonly clock: () => number = Date.now) {
    const { maxFailures, addressMaxFailures, backoffBaseMs } = options;
    this.policies = {
      login: { subjectFree: maxFailures, addressFree: addressMaxFailures, baseMs: backoffBaseMs, code: 'login_rate_limited', message: 'Too many failed logins. Try again later.' },
      // Invitation tokens cannot be guessed; what is limited is trying many.
      activate: { subjectFree: 0, addressFree: addressMaxFailures, baseMs: backoffBaseMs, code: 'activation_rate_limited', message: 'Too many invalid invitation links. Try again later.' },
      // Every reset mail counts: 3 to one address, then at least a minute between them.
      'reset-mail': { subjectFree: 3, addressFree: addressMaxFailures, baseMs: Math.max(backoffBaseMs, 60_000), code: 'password_reset_rate_limit_exceeded', message: 'Too many password reset emails have been requested. Try again later.' },
      'reset-code': { subjectFree: maxFailures, addressFree: addressMaxFailures, baseMs: backoffBaseMs, code: 'email_password_reset_limit', message: 'Too many failed password reset attempts. Try again later.' },
    };
  }

  /**
   * Counts one attempt of `action` by `client` for `subject` (an email, for the
   * actions that have one) — 429 with Retry-After when it must wait.
   */
  async begin(action: ThrottleAction, client: ThrottleClient, subject?: string): Promise<Attempt> {
    const policy = this.policies[action];
    const who = subject !== undefined && policy.subjectFree > 0 ? digest(subject.trim().toLowerCase()) : undefined;
    const address = `${action}:addr:${client.address}`;
    let known: string[] = [];
    let subjectKey: string | undefined;
    let addressKeyName: string | undefined = address;
    if (who !== undefined && action === 'login') {
      // The device first: a client with both is counted by its device.
      known = [...(client.device ? [`known:${who}:d:${digest(client.device)}`] : []), `known:${who}:a:${client.address}`];
      const found = await this.store.known(known);
      const hit = known.find((_, i) => found[i]);
      if (hit) {
        subjectKey = `login:${hit}`;
        addressKeyName = undefined;
      }
    }
    subjectKey ??= who !== undefined ? `${action}:subject:${who}` : undefined;
    const buckets: StoreBucket[] = [];
    if (subjectKey) buckets.push({ key: subjectKey, free: policy.subjectFree, baseMs: policy.baseMs });
    if (addressKeyName) buckets.push({ key: addressKeyName, free: policy.addressFree, baseMs: policy.baseMs });
    const wait = await this.store.take(buckets, this.clock(), Math.max(this.options.backoffMaxMs, policy.baseMs));
    if (wait > 0) throw new TooManyRequestsError(policy.message, Math.max(1, Math.ceil(wait / 1000)), policy.code);
    const keys = buckets.map((b) => b.key);
    let settled = false;
    const once = (run: () => Promise<void>) => async () => {
      if (settled) return;
      settled = true;
      await run();
    };
    return {
      succeeded: once(async () => {
        if (subjectKey) await this.store.clear([subjectKey]);
        if (addressKeyName) await this.store.refund([addressKeyName]);
        if (known.length) await this.store.remember(known, KNOWN_CLIENT_TTL_MS);
      }),
      failed: once(() => this.store.touch(keys, this.clock())),
      refund: once(() => this.store.refund(keys)),
    };
  }

  /** Runs `run` as one counted attempt: a rejection that `isFailure` calls a guess stays counted, anything else is refunded. */
  async guard<T>(action: ThrottleAction, client: ThrottleClient, subject: string | undefined, run: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const attempt = await this.begin(action, client, subject);
    let result: T;
    try {
      result = await run();
    } catch (error) {
      await (isFailure(error) ? attempt.failed() : attempt.refund());
      throw error;
    }
    await attempt.succeeded();
    return result;
  }

  /** Forgets the failed logins of an account (after its password was reset by its owner). */
  async forgive(email: string): Promise<void> {
    await this.store.clear([`login:subject:${digest(email.trim().toLowerCase())}`]);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** A throttle for the kernel's configuration: Redis-backed when REDIS_URL is set. */
export async function createThrottle(options: LoginThrottleConfig, redis?: { url: string; prefix: string }): Promise<Throttle> {
  // ioredis is loaded only when REDIS_URL asks for it (RedisThrottleStore.connect imports it). The store
  // itself is imported statically: its redis_unavailable must be the kernel's own TesseraError class,
  // which a second module instance (a dynamic import under the test loader) is not.
  const store = redis ? await RedisThrottleStore.connect(redis.url, redis.prefix) : new MemoryThrottleStore();
  return new Throttle(store, options);
}
