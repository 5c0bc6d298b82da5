import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  DEFAULT_RETRIES,
  JobTimeoutError,
  retryDelay,
  type EnqueueOptions,
  type HandlerOptions,
  type JobHandle,
  type JobHandler,
  type JobRef,
  type Queue,
} from './queue.js';

interface Pending {
  id: string;
  name: string;
  data: unknown;
  options: EnqueueOptions;
  attempt: number;
  events: EventEmitter;
}

interface Lane {
  handler: JobHandler<unknown, unknown>;
  concurrency: number;
  active: number;
}

/**
 * The embedded default: jobs run in this process, with the same retry and
 * back-off rules as the Redis queue. Jobs live in memory, so a crash loses
 * what was queued; scaled-out deployments use Redis for durability.
 */
export class MemoryQueue implements Queue {
  readonly kind = 'memory' as const;
  private readonly lanes = new Map<string, Lane>();
  private readonly waiting = new Map<string, Pending[]>();
  private readonly known = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private processing = false;
  private closed = false;

  register<T, R>(ref: JobRef<T, R>, handler: JobHandler<T, R>, options: HandlerOptions = {}): void {
    if (this.lanes.has(ref.name)) throw new Error(`a handler for job "${ref.name}" is already registered`);
    this.lanes.set(ref.name, { handler: handler as JobHandler<unknown, unknown>, concurrency: Math.max(1, options.concurrency ?? 1), active: 0 });
    this.pump(ref.name);
  }

  async enqueue<T, R>(ref: JobRef<T, R>, data: T, options: EnqueueOptions = {}): Promise<JobHandle<R>> {
    if (this.closed) throw new Error('the queue is closed');
    const id = options.id ?? randomUUID();
    const events = new EventEmitter();
    // A caller that never asks for the outcome must not crash the process on failure.
    events.on('error', () => undefined);
    const result = new Promise<R>((resolve, reject) => {
      events.once('succeeded', resolve);
      events.once('failed', reject);
    });
    result.catch(() => undefined);
    if (!this.known.has(id)) {
      this.known.add(id);
      const job: Pending = { id, name: ref.name, data: structuredClone(data), options, attempt: 1, events };
      this.queueOf(ref.name).push(job);
      // Deferred, so the caller can attach progress listeners before the job starts.
      setImmediate(() => this.pump(ref.name));
    }
    return { id, finished: () => result, onProgress: (listener) => void events.on('progress', listener) };
  }

  async process(): Promise<void> {
    this.processing = true;
    for (const name of this.lanes.keys()) this.pump(name);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    let waiting = 0;
    for (const list of this.waiting.values()) waiting += list.length;
    return { ok: !this.closed, detail: `in-process: ${waiting} waiting, ${this.running.size} active` };
  }

  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private queueOf(name: string): Pending[] {
    let list = this.waiting.get(name);
    if (!list) this.waiting.set(name, (list = []));
    return list;
  }

  private pump(name: string): void {
    const lane = this.lanes.get(name);
    const list = this.waiting.get(name);
    if (!this.processing || this.closed || !lane || !list) return;
    while (lane.active < lane.concurrency && list.length > 0) {
      const job = list.shift()!;
      lane.active++;
      const run = this.run(lane, job).finally(() => {
        lane.active--;
        this.running.delete(run);
        this.pump(name);
      });
      this.running.add(run);
    }
  }

  private async run(lane: Lane, job: Pending): Promise<void> {
    try {
      const work = lane.handler({ id: job.id, name: job.name, data: job.data, attempt: job.attempt, progress: (value) => job.events.emit('progress', value) });
      const result = job.options.timeoutMs ? await withTimeout(work, job.options.timeoutMs, job.name) : await work;
      this.known.delete(job.id);
      job.events.emit('succeeded', result);
    } catch (error) {
      const retries = job.options.retries ?? DEFAULT_RETRIES;
      if (job.attempt > retries || this.closed) {
        this.known.delete(job.id);
        job.events.emit('failed', error);
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.queueOf(job.name).push({ ...job, attempt: job.attempt + 1 });
        this.pump(job.name);
      }, retryDelay(job.options, job.attempt));
      this.timers.add(timer);
    }
  }
}

function withTimeout<R>(work: Promise<R>, ms: number, name: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobTimeoutError(name, ms)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
