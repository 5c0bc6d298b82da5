import { linkSignals } from '@tessera/sdk/runtime';
import type { RunnableApp } from '../apps/apps.js';
import type { Owner } from '../conversations/conversations.js';
import type { Limiter } from './limits.js';
import type { RunEvent } from './run-events.js';
import type { PreparedRun, RunRequest, Runners } from './runner.js';
import type { Tasks } from './tasks.js';

export interface StartRunDeps {
  readonly runners: Runners;
  readonly tasks: Tasks;
  readonly limiter: Limiter;
}

/** The API key's limits; the console preview has none. */
export interface RunLimits {
  readonly keyId: string;
  /** Concurrent runs allowed per API key (0 = unlimited). */
  readonly keyConcurrency: number;
}

export interface StartRunInput {
  readonly runnable: RunnableApp;
  readonly request: Omit<RunRequest, 'owner'>;
  /** Resolved after the rate limit is checked, so a refused call creates no end user. */
  readonly owner: Owner | (() => Promise<Owner>);
  readonly limits?: RunLimits;
}

export interface StartedRun {
  readonly prepared: PreparedRun;
  /** The run's events; the task is registered (stoppable) while they stream. `signal` is the client's. */
  events(signal: AbortSignal): AsyncGenerator<RunEvent>;
  /** Frees the concurrency slots (idempotent; the events' end calls it too). */
  release(): void;
}

/**
 * The one copy of the request sequence every adapter shares: rate limit →
 * prepare (all request errors surface here, before a stream opens) →
 * concurrency slots of the app and the key → a registered task around the
 * runner's events. Adapters map their wire format onto it and back.
 */
export async function startRun(deps: StartRunDeps, input: StartRunInput): Promise<StartedRun> {
  const { runnable, limits } = input;
  const { app } = runnable;
  const runner = deps.runners.for(app.mode);
  if (limits) await deps.limiter.hit(`key:${limits.keyId}`, app.api_rpm);
  const owner = typeof input.owner === 'function' ? await input.owner() : input.owner;
  const prepared = await runner.prepare(runnable, { ...input.request, owner });
  const slots: Array<() => void> = [];
  if (limits) {
    slots.push(await deps.limiter.acquire(`app:${app.id}`, app.max_active_requests));
    try {
      slots.push(await deps.limiter.acquire(`key:${limits.keyId}`, limits.keyConcurrency));
    } catch (error) {
      slots.pop()!();
      throw error;
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const free of slots) free();
  };
  return {
    prepared,
    release,
    async *events(signal) {
      const task = deps.tasks.start(prepared.taskId, `${owner.kind}:${owner.id}`);
      try {
        yield* runner.run(prepared, linkSignals(signal, task.signal));
      } finally {
        task.done();
        release();
      }
    },
  };
}
