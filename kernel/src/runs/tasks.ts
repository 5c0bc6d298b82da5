import type { EventBus } from '../events/bus.js';

interface RunningTask {
  readonly controller: AbortController;
  /** Who may stop it: the end user or account that started it. */
  readonly owner: string;
}

/**
 * Generations running in this process, by task id. A stop request is published
 * on the event bus, so it reaches the task wherever it runs (any API process);
 * the process that runs it checks the owner and aborts, which cancels the
 * upstream model request.
 */
export class Tasks {
  private readonly running = new Map<string, RunningTask>();

  constructor(private readonly events: EventBus) {
    events.on('task.stop', ({ taskId, by }) => {
      const task = this.running.get(taskId);
      if (task && task.owner === by) task.controller.abort(new StoppedError());
    });
  }

  /** Registers a task; the returned signal aborts when someone stops it. Call `done` when it ends. */
  start(taskId: string, owner: string): { signal: AbortSignal; done(): void } {
    const controller = new AbortController();
    this.running.set(taskId, { controller, owner });
    return { signal: controller.signal, done: () => this.running.delete(taskId) };
  }

  /** Asks whichever process runs `taskId` to stop it; unknown or finished tasks are ignored, as in Dify. */
  async stop(taskId: string, owner: string): Promise<void> {
    const here = this.running.has(taskId);
    try {
      await this.events.publish('task.stop', { taskId, by: owner });
    } catch (error) {
      // Redis is unreachable: a task of this process was stopped all the same; another's can only be told over Redis (503).
      if (!here) throw error;
    }
  }

  get size(): number {
    return this.running.size;
  }
}

/** The reason a stopped task's signal carries. */
export class StoppedError extends Error {
  constructor() {
    super('stopped by the user');
    this.name = 'StoppedError';
  }
}
