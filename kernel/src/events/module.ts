import { defineModule } from '../boot/module.js';
import { EventBusRef } from '../services.js';
import { MemoryBus } from './bus.js';
import { RedisBus } from './redis-bus.js';

/** Cross-process typed events: in memory, or Redis pub/sub when REDIS_URL is set. */
export const eventsModule = defineModule({
  name: 'events',
  deps: {},
  provides: { events: EventBusRef },
  async start(_deps, { config, logger }) {
    // Redis clients cost ~40 MB of RSS: RedisBus loads ioredis only when REDIS_URL asks for it.
    if (!config.redisUrl) return { events: new MemoryBus() };
    // Each failed (re)connect is reported by ioredis; at most one every 2 s (its back-off).
    const onError = (err: Error) => logger.warn({ err }, 'event bus: redis error');
    return { events: await new RedisBus(config.redisUrl, config.redisPrefix, { onError }).connect() };
  },
  stop: ({ events }) => events.close(),
});
