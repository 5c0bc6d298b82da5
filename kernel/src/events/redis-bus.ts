import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryBus, type EventMap, type KernelEvents } from './bus.js';

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
