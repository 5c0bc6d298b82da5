import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TooManyRequestsError } from '../errors.js';
import { FAIL_FAST_OPTIONS, redisUnavailable } from '../events/redis-errors.js';

/**
 * Concurrency and rate limits of the Service API. In one process they are
 * counters; scaled out (Redis) they are shared by every process.
 */
export interface Limiter {
  /** Takes one of `max` concurrent slots for `key` (0 = unlimited); 429 when none is free. */
  acquire(key: string, max: number): Promise<() => void>;
  /** Counts one request against `rpm` per minute for `key` (0 = unlimited); 429 with Retry-After when over. */
  hit(key: string, rpm: number): Promise<void>;
  close(): Promise<void>;
}

const tooMany = (what: string, retryAfter?: number) => new TooManyRequestsError(`Too many requests. ${what}`, retryAfter, 'too_many_requests');
const noop = () => undefined;
const secondsLeftInMinute = () => 60 - Math.floor((Date.now() / 1000) % 60);

export class MemoryLimiter implements Limiter {
  private readonly active = new Map<string, number>();
  private readonly windows = new Map<string, { minute: number; count: number }>();

  async acquire(key: string, max: number): Promise<() => void> {
    if (max <= 0) return noop;
    const current = this.active.get(key) ?? 0;
    if (current >= max) throw tooMany(`At most ${max} requests may run at once; please try again later.`);
    this.active.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(key) ?? 1) - 1;
      if (left <= 0) this.active.delete(key);
      else this.active.set(key, left);
    };
  }

  async hit(key: string, rpm: number): Promise<void> {
    if (rpm <= 0) return;
    const minute = Math.floor(Date.now() / 60_000);
    const window = this.windows.get(key);
    if (!window || window.minute !== minute) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(key, { minute, count: 1 });
      return;
    }
    if (window.count >= rpm) throw tooMany(`The limit is ${rpm} requests per minute.`, secondsLeftInMinute());
    window.count += 1;
  }

  async close(): Promise<void> {}
}

/** A slot older than this is a crashed process's leftover and no longer counts. */
const SLOT_TTL_MS = 10 * 60_000;

export class RedisLimiter implements Limiter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  static async connect(url: string, prefix: string): Promise<RedisLimiter> {
    const { Redis } = await import('ioredis');
    // While Redis is unreachable a limited request gets 503 redis_unavailable within a second (issue #14: 500 after up to 14 s).
    const redis = new Redis(url, FAIL_FAST_OPTIONS);
    redis.on('error', () => undefined); // reported per request, as redis_unavailable
    await redis.connect();
    return new RedisLimiter(redis, prefix);
  }

  async acquire(key: string, max: number): Promise<() => void> {
    if (max <= 0) return noop;
    const set = `${this.prefix}:active:${key}`;
    const slot = randomUUID();
    const now = Date.now();
    const [, , count] = (await this.run(() => this.redis.multi().zremrangebyscore(set, 0, now - SLOT_TTL_MS).zadd(set, now, slot).zcard(set).pexpire(set, SLOT_TTL_MS).exec())) ?? [];
    if (Number(count?.[1]) > max) {
      await this.redis.zrem(set, slot).catch(noop); // else it expires with the set
      throw tooMany(`At most ${max} requests may run at once; please try again later.`);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      void this.redis.zrem(set, slot).catch(noop);
    };
  }

  async hit(key: string, rpm: number): Promise<void> {
    if (rpm <= 0) return;
    const counter = `${this.prefix}:rpm:${key}:${Math.floor(Date.now() / 60_000)}`;
    const [[, count] = []] = ((await this.run(() => this.redis.multi().incr(counter).expire(counter, 61).exec())) ?? []) as Array<[unknown, unknown]>;
    if (Number(count) > rpm) throw tooMany(`The limit is ${rpm} requests per minute.`, secondsLeftInMinute());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisUnavailable("This app's request limits cannot be checked right now", error);
    }
  }
}
