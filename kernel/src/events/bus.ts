import { TypedEmitter } from 'tiny-typed-emitter';

/**
 * Events every kernel process may need to hear about. Modules add theirs by
 * declaration merging (`declare module '…/events/bus.js' { interface KernelEvents {…} }`).
 * Payloads are plain JSON: they cross processes.
 */
export interface KernelEvents {
  /** Stop a running generation (chat message, workflow run) wherever it runs. */
  'task.stop': { taskId: string; by?: string };
  /** A plugin was installed, upgraded, rolled back or removed: every process reloads it. */
  'plugins.changed': { name: string; version?: string; action: 'installed' | 'upgraded' | 'rolled-back' | 'uninstalled' | 'enabled' | 'disabled'; workspaceId?: string };
  /** Cached configuration (an app, a workspace's model settings) changed. */
  'cache.invalidate': { scope: string; key: string };
}

/** Any interface whose values are payload objects. */
export type EventMap<E> = { [K in keyof E]: object };
type Listeners<E extends EventMap<E>> = { [K in keyof E]: (payload: E[K]) => void };

/**
 * A typed event bus. In one process it is a typed emitter; with Redis it fans
 * out to every process over pub/sub (the publisher hears its own events at
 * once, locally, and ignores their echo). Topics carry per-run streams (a
 * workflow run's events): only processes subscribed to a topic receive it.
 */
export interface EventBus<E extends EventMap<E> = KernelEvents> {
  readonly kind: 'memory' | 'redis';
  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void;
  /** Delivers at once here and to every other process; with Redis, rejects with 503 redis_unavailable (within about a second) when they cannot be told. */
  publish<K extends keyof E & string>(event: K, payload: E[K]): Promise<void>;
  /**
   * For what follows a committed change (a cache invalidation): delivers at once
   * here, then to the other processes; never rejects. With Redis it resolves once
   * Redis took the event or after about a second, and an event Redis did not take
   * is kept and sent again once Redis answers (issue #14: the change is committed,
   * so the request must not fail, and the invalidation must not be lost).
   */
  notify<K extends keyof E & string>(event: K, payload: E[K]): Promise<void>;
  /**
   * Whether this process is known to hear the other processes' events now (always
   * in memory). While false, a cache kept fresh by `cache.invalidate` must not answer
   * from memory: an invalidation may be missed.
   */
  readonly listening: boolean;
  /** Calls `listener` when events may have been missed — the subscription dropped, or came back — so caches drop what those would have invalidated. */
  onMissed(listener: () => void): () => void;
  /** Receives what is published to `topic` from any process until the returned function is called. */
  subscribe(topic: string, listener: (message: unknown) => void): Promise<() => Promise<void>>;
  publishTopic(topic: string, message: unknown): Promise<void>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

export class MemoryBus<E extends EventMap<E> = KernelEvents> implements EventBus<E> {
  readonly kind: 'memory' | 'redis' = 'memory';
  protected readonly emitter = new TypedEmitter<Listeners<E>>();
  protected readonly topics = new Map<string, Set<(message: unknown) => void>>();
  protected readonly missed = new Set<() => void>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void {
    this.emitter.on(event, listener as Listeners<E>[K]);
    return () => void this.emitter.off(event, listener as Listeners<E>[K]);
  }

  async publish<K extends keyof E & string>(event: K, payload: E[K]): Promise<void> {
    this.deliver(event, payload);
  }

  notify<K extends keyof E & string>(event: K, payload: E[K]): Promise<void> {
    return this.publish(event, payload);
  }

  get listening(): boolean {
    return true;
  }

  onMissed(listener: () => void): () => void {
    this.missed.add(listener);
    return () => void this.missed.delete(listener);
  }

  async subscribe(topic: string, listener: (message: unknown) => void): Promise<() => Promise<void>> {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0) this.topics.delete(topic);
    };
  }

  async publishTopic(topic: string, message: unknown): Promise<void> {
    this.deliverTopic(topic, message);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    return { ok: true, detail: 'in-process' };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    this.topics.clear();
    this.missed.clear();
  }

  protected deliver(event: string, payload: unknown): void {
    // A throwing listener must not stop the others, nor reach the publisher.
    for (const listener of this.emitter.listeners(event as keyof E & string)) {
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch {
        /* listeners own their errors */
      }
    }
  }

  protected deliverTopic(topic: string, message: unknown): void {
    for (const listener of this.topics.get(topic) ?? []) {
      try {
        listener(message);
      } catch {
        /* listeners own their errors */
      }
    }
  }
}

