import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryBus, type EventMap, type KernelEvents } from './bus.js';
import { FAIL_FAST_OPTIONS, redisUnavailable } from './redis-errors.js';

interface Wire {
  /** Origin process, so the publisher skips its own echo. */
  o: string;
  e?: string;
  p: unknown;
}

export interface RedisBusOptions {
  /** How often both connections are pinged; a missed answer (1 s) counts as an outage. */
  heartbeatMs?: number;
  /** What ioredis reports (a refused or dropped connection); without it, nothing. */
  onError?: (error: Error) => void;
}

/** Events kept for replay while Redis does not take them; the oldest go first (the caches' own lifetimes still bound them). */
const OUTBOX_MAX = 1000;

/**
 * The event bus over Redis pub/sub. Pub/sub forgets what a disconnected
 * subscriber missed, and a connection whose packets are dropped looks healthy
 * to ioredis for minutes; so (issue #14) both connections are pinged every
 * second: a silent one is replaced, and while the subscription is not known to
 * work `listening` is false and `onMissed` listeners (the caches) are called
 * when it drops and again when it is back. `notify`'s events that Redis did
 * not take are re-sent once it answers.
 */
export class RedisBus<E extends EventMap<E> = KernelEvents> extends MemoryBus<E> {
  override readonly kind = 'redis' as const;
  private readonly origin = randomUUID();
  private pub!: Redis;
  private sub!: Redis;
  private readonly eventsChannel: string;
  private readonly outbox: string[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private live = false;
  private checking = false;

  constructor(private readonly url: string, private readonly prefix = 'tessera', private readonly options: RedisBusOptions = {}) {
    super();
    this.eventsChannel = `${prefix}:events`;
  }

  async connect(): Promise<this> {
    // ioredis (~40 MB of RSS) is loaded only when REDIS_URL asks for it; this module is
    // imported statically, so its errors are the kernel's own TesseraError class.
    const { Redis } = await import('ioredis');
    this.pub = new Redis(this.url, FAIL_FAST_OPTIONS);
    // The subscriber keeps its offline queue: ioredis resubscribes through it after a reconnect.
    this.sub = new Redis(this.url, { ...FAIL_FAST_OPTIONS, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.sub.on('message', (channel: string, raw: string) => this.receive(channel, raw));
    this.sub.on('close', () => this.setLive(false));
    this.sub.on('ready', () => void this.check());
    for (const client of [this.pub, this.sub]) client.on('error', (error: Error) => this.options.onError?.(error));
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.eventsChannel);
    this.live = true;
    this.heartbeat = setInterval(() => void this.check(), this.options.heartbeatMs ?? 1000);
    this.heartbeat.unref();
    return this;
  }

  override get listening(): boolean {
    return this.live;
  }

  override async publish<K extends keyof E & string>(event: K, payload: E[K]): Promise<void> {
    this.deliver(event, payload);
    try {
      await this.pub.publish(this.eventsChannel, this.wire(event, payload));
    } catch (error) {
      throw redisUnavailable('The other server processes cannot be reached right now', error);
    }
  }

  override async notify<K extends keyof E & string>(event: K, payload: E[K]): Promise<void> {
    this.deliver(event, payload);
    const raw = this.wire(event, payload);
    // Behind earlier events still waiting: order is kept, and this one waits its turn.
    if (this.outbox.length > 0) return void this.keep(raw);
    await this.pub.publish(this.eventsChannel, raw).catch(() => this.keep(raw));
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
    try {
      await this.pub.publish(this.topicChannel(topic), JSON.stringify({ o: this.origin, p: message } satisfies Wire));
    } catch (error) {
      throw redisUnavailable('The other server processes cannot be reached right now', error);
    }
  }

  override async health(): Promise<{ ok: boolean; detail: string }> {
    if (!this.live) return { ok: false, detail: 'redis: not subscribed (events from other processes may be missed)' };
    try {
      await this.pub.ping();
      return { ok: true, detail: this.outbox.length ? `redis: reachable (${this.outbox.length} events to re-send)` : 'redis: reachable' };
    } catch (error) {
      return { ok: false, detail: `redis: ${(error as Error).message}` };
    }
  }

  override async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await super.close();
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }

  /** Events `notify` could not send; the oldest dropped beyond OUTBOX_MAX. */
  get pending(): number {
    return this.outbox.length;
  }

  private wire(event: string, payload: unknown): string {
    return JSON.stringify({ o: this.origin, e: event, p: payload } satisfies Wire);
  }

  private keep(raw: string): void {
    this.outbox.push(raw);
    if (this.outbox.length > OUTBOX_MAX) this.outbox.shift();
  }

  /** The heartbeat: is the subscription alive (replace it if silent), and can the outbox go out. */
  private async check(): Promise<void> {
    if (this.checking || !this.heartbeat) return;
    this.checking = true;
    try {
      const [subOk, pubOk] = await Promise.all([answers(this.sub), answers(this.pub)]);
      // A connection that is up but silent would stay so for minutes (TCP retransmits): start a new one.
      if (!subOk && this.sub.status === 'ready') this.sub.disconnect(true);
      if (!pubOk && this.pub.status === 'ready') this.pub.disconnect(true);
      // The ping went after the resubscription, so an answer means the channels are subscribed again.
      this.setLive(subOk);
      if (pubOk) await this.flush();
    } finally {
      this.checking = false;
    }
  }

  private async flush(): Promise<void> {
    while (this.outbox.length > 0) {
      try {
        await this.pub.publish(this.eventsChannel, this.outbox[0]!);
      } catch {
        return; // the next heartbeat tries again
      }
      this.outbox.shift();
    }
  }

  private setLive(live: boolean): void {
    if (live === this.live || !this.heartbeat) return;
    this.live = live;
    for (const listener of this.missed) {
      try {
        listener();
      } catch {
        /* listeners own their errors */
      }
    }
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

/** Whether `client` is connected and answers a PING within its command time-out. */
async function answers(client: Redis): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    await client.ping();
    return true;
  } catch {
    return false;
  }
}
