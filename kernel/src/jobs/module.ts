import { defineModule } from '../boot/module.js';
import { QueueRef } from '../services.js';
import { MemoryQueue } from './memory-queue.js';
import type { Queue } from './queue.js';

/** Background jobs: in-process, or bee-queue on Redis when REDIS_URL is set (processed by `tessera worker`). */
export const jobsModule = defineModule({
  name: 'jobs',
  deps: {},
  provides: { queue: QueueRef },
  async start(_deps, { config, options, logger }) {
    const queue: Queue = config.redisUrl
      ? new (await import('./redis-queue.js')).RedisQueue({ url: config.redisUrl, prefix: `${config.redisPrefix}:jobs`, stallIntervalMs: config.jobStallIntervalMs, onError: (err) => logger.error({ err }, 'job queue error') })
      : new MemoryQueue();
    if (options.runJobs ?? config.runJobs) await queue.process();
    return { queue };
  },
  stop: ({ queue }, { config }) => queue.close(config.shutdownTimeoutMs),
});
