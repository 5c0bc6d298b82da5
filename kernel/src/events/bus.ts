import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
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
  publish<K extends keyof E & string>(event: K, payload: E[K]): Promise<void>;
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

interface Wire {
  /** Origin process, so the publisher skips its own echo. */
  o: string;
  e?: string;
  p: unknown;
}

export class RedisBus<E extends EventMap<E> = KernelEvents> extends MemoryBus<E> {
  override readonly kind = 'redis' as const;
  private readonly origin = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly eventsChannel: string;

  constructor(url: string, private readonly prefix = 'tessera') {
    super();
    const options = { maxRetriesPerRequest: 3, lazyConnect: true };
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, options);
    this.eventsChannel = `${prefix}:events`;
    this.sub.on('message', (channel: string, raw: string) => this.receive(channel, raw));
  }

  async connect(): Promise<this> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.eventsChannel);
    return this;
  }

  override async publish<K extends keyof E & string>(event: K, payload: E[K]): Promise<void> {
    this.deliver(event, payload);
    await this.pub.publish(this.eventsChannel, JSON.stringify({ o: this.origin, e: event, p: payload } satisfies Wire));
  }

  override async subscribe(topic: string, listener: (message: unknown) => void): Promise<() => Promise<void>> {
    const first = !this.topics.has(topic);
    const unsubscribe = await super.subscribe(topic, listener);
    if (first) await this.sub.subscribe(this.topicChannel(topic));
    return async () => {
      await unsubscribe();
      if (!this.topics.has(topic)) await this.sub.unsubscribe(this.topicChannel(topic));
    };
  }

  override async publishTopic(topic: string, message: unknown): Promise<void> {
    this.deliverTopic(topic, message);
    await this.pub.publish(this.topicChannel(topic), JSON.stringify({ o: this.origin, p: message } satisfies Wire));
  }

  override async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.pub.ping();
      return { ok: true, detail: 'redis: reachable' };
    } catch (error) {
      return { ok: false, detail: `redis: ${(error as Error).message}` };
    }
  }

  override async close(): Promise<void> {
    await super.close();
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }

  private topicChannel(topic: string): string {
    return `${this.prefix}:topic:${topic}`;
  }

  private receive(channel: string, raw: string): void {
    let wire: Wire;
    try {
      wire = JSON.parse(raw) as Wire;
    } catch {
      return;
    }
    if (wire.o === this.origin) return;
    if (channel === this.eventsChannel && wire.e) this.deliver(wire.e, wire.p);
    else if (channel.startsWith(`${this.prefix}:topic:`)) this.deliverTopic(channel.slice(this.prefix.length + 7), wire.p);
  }
}
