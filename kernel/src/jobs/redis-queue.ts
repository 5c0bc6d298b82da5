import { randomUUID } from 'node:crypto';
import BeeQueue from 'bee-queue';
import { DEFAULT_BACKOFF_MS, DEFAULT_RETRIES, type EnqueueOptions, type HandlerOptions, type JobHandle, type JobHandler, type JobRef, type Queue } from './queue.js';

export interface RedisQueueOptions {
  /** `redis://host:port/db` */
  url: string;
  /** Key prefix, so several installs (or test runs) share one Redis. */
  prefix?: string;
  /**
   * A running job refreshes its lock every half of this; a job whose worker
   * died is handed to another worker about two intervals later.
   */
  stallIntervalMs?: number;
  onError?: (error: Error) => void;
}

/** What travels in Redis: the payload plus what bee-queue does not keep for us. */
interface Envelope {
  d: unknown;
  /** Retries granted at enqueue, to compute the attempt number. */
  r: number;
}

/**
 * bee-queue on Redis: durable, shared by every API and worker process, with
 * retries, back-off, time-outs and stall detection (a job whose worker died
 * mid-way is picked up again). One bee-queue per job type.
 */
export class RedisQueue implements Queue {
  readonly kind = 'redis' as const;
  private readonly queues = new Map<string, BeeQueue<Envelope>>();
  private readonly handlers = new Map<string, { handler: JobHandler<unknown, unknown>; concurrency: number }>();
  private readonly redis: { host: string; port: number; db: number; password?: string; tls?: object };
  private readonly prefix: string;
  private readonly stallIntervalMs: number;
  private processing = false;

  constructor(private readonly options: RedisQueueOptions) {
    const url = new URL(options.url);
    this.redis = {
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 6379),
      db: Number(url.pathname.slice(1) || 0),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    };
    this.prefix = options.prefix ?? 'tessera:jobs';
    this.stallIntervalMs = options.stallIntervalMs ?? 5000;
  }

  register<T, R>(ref: JobRef<T, R>, handler: JobHandler<T, R>, options: HandlerOptions = {}): void {
    if (this.handlers.has(ref.name)) throw new Error(`a handler for job "${ref.name}" is already registered`);
    this.handlers.set(ref.name, { handler: handler as JobHandler<unknown, unknown>, concurrency: Math.max(1, options.concurrency ?? 1) });
    if (this.processing) this.startWorker(ref.name);
  }

  async enqueue<T, R>(ref: JobRef<T, R>, data: T, options: EnqueueOptions = {}): Promise<JobHandle<R>> {
    const queue = this.queueFor(ref.name);
    const retries = options.retries ?? DEFAULT_RETRIES;
    const job = queue.createJob({ d: data, r: retries }).setId(options.id ?? randomUUID()).retries(retries);
    job.backoff(options.backoff ?? 'exponential', options.backoffMs ?? DEFAULT_BACKOFF_MS);
    if (options.timeoutMs) job.timeout(options.timeoutMs);
    const result = new Promise<R>((resolve, reject) => {
      job.once('succeeded', resolve);
      job.once('failed', reject);
    });
    result.catch(() => undefined);
    await job.save();
    return { id: job.id, finished: () => result, onProgress: (listener) => void job.on('progress', listener) };
  }

  async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    for (const name of this.handlers.keys()) this.startWorker(name);
    await Promise.all([...this.queues.values()].map((queue) => queue.ready()));
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const queue = this.queueFor('health');
    try {
      await queue.ready();
      const counts = await queue.checkHealth();
      return { ok: true, detail: `redis: reachable (${counts.waiting} waiting on the health lane)` };
    } catch (error) {
      return { ok: false, detail: `redis: ${(error as Error).message}` };
    }
  }

  async close(timeoutMs = 10_000): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.allSettled(queues.map((queue) => queue.close(timeoutMs)));
  }

  private queueFor(name: string): BeeQueue<Envelope> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new BeeQueue<Envelope>(name, {
        prefix: this.prefix,
        redis: this.redis as BeeQueue.QueueSettings['redis'],
        stallInterval: this.stallIntervalMs,
        isWorker: true,
        getEvents: true,
        sendEvents: true,
        activateDelayedJobs: true,
        removeOnSuccess: true,
        removeOnFailure: false,
      });
      queue.on('error', (error) => this.options.onError?.(error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private startWorker(name: string): void {
    const entry = this.handlers.get(name)!;
    const queue = this.queueFor(name);
    queue.process(entry.concurrency, async (job) => {
      const remaining = Number(job.options.retries ?? 0);
      return entry.handler({
        id: job.id,
        name,
        data: job.data.d,
        attempt: job.data.r - remaining + 1,
        progress: (value) => job.reportProgress(value),
      });
    });
    void queue.checkStalledJobs(Math.max(100, Math.floor(this.stallIntervalMs / 2)));
  }
}
