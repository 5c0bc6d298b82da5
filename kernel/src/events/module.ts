import { defineModule } from '../boot/module.js';
import { EventBusRef } from '../services.js';
import { MemoryBus } from './bus.js';

/** Cross-process typed events: in memory, or Redis pub/sub when REDIS_URL is set. */
export const eventsModule = defineModule({
  name: 'events',
  deps: {},
  provides: { events: EventBusRef },
  async start(_deps, { config }) {
    // Redis clients cost ~40 MB of RSS: loaded only when REDIS_URL asks for them.
    if (!config.redisUrl) return { events: new MemoryBus() };
    const { RedisBus } = await import('./redis-bus.js');
    return { events: await new RedisBus(config.redisUrl, config.redisPrefix).connect() };
  },
  stop: ({ events }) => events.close(),
});
