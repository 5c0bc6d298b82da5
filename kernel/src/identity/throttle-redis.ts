import type { Redis } from 'ioredis';
import { FAIL_FAST_OPTIONS, redisUnavailable } from '../events/redis-errors.js';
import { BUCKET_TTL_MS, type StoreBucket, type ThrottleStore } from './throttle-store.js';

/*
 * The login throttle's buckets in Redis (identity/throttle.ts has the rules and
 * the in-memory store): one Lua script per change, so every API process sees
 * the same counts and no two attempts race.
 */

/** KEYS: buckets; ARGV: now, maxMs, ttlMs, then free and baseMs of each bucket. */
const TAKE = `
local now = tonumber(ARGV[1])
local maxMs = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local wait = 0
local kept = {}
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'failures', 'last')
  local failures = tonumber(state[1]) or 0
  local last = tonumber(state[2]) or 0
  local free = tonumber(ARGV[2 + 2 * i])
  local base = tonumber(ARGV[3 + 2 * i])
  local elapsed = now - last
  if elapsed < 0 then elapsed = 0 end
  failures = failures - math.floor(elapsed / maxMs)
  if failures < 0 then failures = 0 end
  kept[i] = failures
  if failures >= free then
    local delay = base * 2 ^ (failures - free)
    if delay > maxMs then delay = maxMs end
    local left = last + delay - now
    if left > wait then wait = left end
  end
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'failures', kept[i] + 1, 'last', now)
  redis.call('PEXPIRE', key, ttl)
end
return 0
`;

/** KEYS: buckets. One failure fewer in each, never below zero. */
const REFUND = `
for _, key in ipairs(KEYS) do
  local failures = tonumber(redis.call('HGET', key, 'failures'))
  if failures and failures > 0 then redis.call('HSET', key, 'failures', failures - 1) end
end
return 0
`;

/** KEYS: buckets; ARGV: now. */
const TOUCH = `
for _, key in ipairs(KEYS) do
  local last = tonumber(redis.call('HGET', key, 'last'))
  if last and last < tonumber(ARGV[1]) then redis.call('HSET', key, 'last', ARGV[1]) end
end
return 0
`;

type ThrottleRedis = Redis & {
  throttleTake(numKeys: number, ...args: Array<string | number>): Promise<number>;
  throttleRefund(numKeys: number, ...keys: string[]): Promise<number>;
  throttleTouch(numKeys: number, ...args: Array<string | number>): Promise<number>;
};

/** The throttle's state in Redis: every API process sees the same buckets. */
export class RedisThrottleStore implements ThrottleStore {
  constructor(private readonly redis: ThrottleRedis, private readonly prefix: string) {}

  static async connect(url: string, prefix: string): Promise<RedisThrottleStore> {
    const { Redis } = await import('ioredis');
    // While Redis is unreachable, commands fail at once (no offline queue) or within
    // a second, and the caller gets 503 redis_unavailable instead of a long wait and a 500.
    const redis = new Redis(url, FAIL_FAST_OPTIONS);
    redis.on('error', () => undefined); // reported per request, as redis_unavailable
    redis.defineCommand('throttleTake', { lua: TAKE });
    redis.defineCommand('throttleRefund', { lua: REFUND });
    redis.defineCommand('throttleTouch', { lua: TOUCH });
    await redis.connect();
    return new RedisThrottleStore(redis as ThrottleRedis, prefix);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:${key}`;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisUnavailable('Signing in is not possible right now', error);
    }
  }

  async take(buckets: readonly StoreBucket[], now: number, maxMs: number): Promise<number> {
    if (buckets.length === 0) return 0;
    const args = buckets.flatMap((b) => [b.free, b.baseMs]);
    return Number(await this.run(() => this.redis.throttleTake(buckets.length, ...buckets.map((b) => this.keyOf(b.key)), now, maxMs, BUCKET_TTL_MS, ...args)));
  }

  async refund(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.run(() => this.redis.throttleRefund(keys.length, ...keys.map((k) => this.keyOf(k))));
  }

  async touch(keys: readonly string[], now: number): Promise<void> {
    if (keys.length) await this.run(() => this.redis.throttleTouch(keys.length, ...keys.map((k) => this.keyOf(k)), now));
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.run(() => this.redis.del(...keys.map((k) => this.keyOf(k))));
  }

  async remember(keys: readonly string[], ttlMs: number): Promise<void> {
    const multi = this.redis.multi();
    for (const key of keys) multi.set(this.keyOf(key), '1', 'PX', ttlMs);
    await this.run(() => multi.exec());
  }

  async known(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const values = await this.run(() => this.redis.mget(...keys.map((k) => this.keyOf(k))));
    return values.map((v) => v !== null);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
