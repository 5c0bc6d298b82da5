import { defineModule } from '../boot/module.js';
import { ChatRunnerRef, EventBusRef, LimiterRef, RunsRef, TasksRef } from '../services.js';
import { MemoryLimiter, RedisLimiter, type Limiter } from './limits.js';
import { Runners } from './runner.js';
import { Tasks } from './tasks.js';

/** Runners by app mode, running tasks (stoppable from any process), and the limits `startRun` applies. */
export const runsModule = defineModule({
  name: 'runs',
  deps: { events: EventBusRef, chat: ChatRunnerRef },
  provides: { tasks: TasksRef, limiter: LimiterRef, runs: RunsRef },
  async start({ events, chat }, { config }) {
    const tasks = new Tasks(events);
    const limiter: Limiter = config.redisUrl ? await RedisLimiter.connect(config.redisUrl, `${config.redisPrefix}:limits`) : new MemoryLimiter();
    return { tasks, limiter, runs: { runners: new Runners([chat]), tasks, limiter } };
  },
  stop: ({ limiter }) => limiter.close(),
});
