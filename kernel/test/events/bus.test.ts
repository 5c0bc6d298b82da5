import { expect } from 'chai';
import { MemoryBus, type EventBus } from '../../src/events/bus.js';
import { RedisBus } from '../../src/events/redis-bus.js';
import { describeWith, freshRedisPrefix, TEST_REDIS_URL } from '../support/env.js';
import { startKernel, type TestKernel } from '../support/kernel.js';
import { EventBusRef } from '../../src/services.js';

interface TestEvents {
  'doc.indexed': { id: string; chunks: number };
  other: { n: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('event bus in one process', () => {
  it('delivers a typed payload to every listener of that event only', async () => {
    const bus: EventBus<TestEvents> = new MemoryBus<TestEvents>();
    const seen: string[] = [];
    bus.on('doc.indexed', (e) => seen.push(`a:${e.id}:${e.chunks}`));
    bus.on('doc.indexed', (e) => seen.push(`b:${e.id}`));
    bus.on('other', (e) => seen.push(`other:${e.n}`));
    await bus.publish('doc.indexed', { id: 'd1', chunks: 3 });
    expect(seen).to.deep.equal(['a:d1:3', 'b:d1']);
  });

  it('keeps delivering to the others when one listener throws, and stops after unsubscribe', async () => {
    const bus = new MemoryBus<TestEvents>();
    const seen: number[] = [];
    bus.on('other', () => {
      throw new Error('listener bug');
    });
    const off = bus.on('other', (e) => seen.push(e.n));
    await bus.publish('other', { n: 1 });
    off();
    await bus.publish('other', { n: 2 });
    expect(seen).to.deep.equal([1]);
  });
});

describeWith('redis', 'event bus across processes over Redis pub/sub', () => {
  let a: RedisBus<TestEvents>;
  let b: RedisBus<TestEvents>;
  beforeEach(async () => {
    const prefix = freshRedisPrefix();
    a = await new RedisBus<TestEvents>(TEST_REDIS_URL!, prefix).connect();
    b = await new RedisBus<TestEvents>(TEST_REDIS_URL!, prefix).connect();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('fans an event out to the other process once, and to the publisher once (no echo)', async () => {
    const atA: number[] = [];
    const atB: number[] = [];
    a.on('other', (e) => atA.push(e.n));
    b.on('other', (e) => atB.push(e.n));
    await a.publish('other', { n: 7 });
    await sleep(150);
    expect(atA).to.deep.equal([7]);
    expect(atB).to.deep.equal([7]);
  });

  it('sends topic messages only to processes subscribed to that topic, until they unsubscribe', async () => {
    const run1: unknown[] = [];
    const run2: unknown[] = [];
    const off = await b.subscribe('run:1', (m) => run1.push(m));
    await b.subscribe('run:2', (m) => run2.push(m));
    await a.publishTopic('run:1', { event: 'node_started', node: 'llm' });
    await sleep(150);
    await off();
    await a.publishTopic('run:1', { event: 'node_finished' });
    await sleep(150);
    expect(run1).to.deep.equal([{ event: 'node_started', node: 'llm' }]);
    expect(run2).to.deep.equal([]);
  });

  it('keeps installs with different prefixes apart', async () => {
    const stranger = await new RedisBus<TestEvents>(TEST_REDIS_URL!, freshRedisPrefix()).connect();
    try {
      const heard: number[] = [];
      stranger.on('other', (e) => heard.push(e.n));
      await a.publish('other', { n: 1 });
      await sleep(150);
      expect(heard).to.deep.equal([]);
    } finally {
      await stranger.close();
    }
  });
});

describeWith('redis', 'kernels sharing one Redis', () => {
  let one: TestKernel;
  let two: TestKernel;
  afterEach(async () => {
    await one?.stop();
    await two?.stop();
  });

  it('hears a task.stop published by another kernel process', async () => {
    const prefix = freshRedisPrefix();
    one = await startKernel({ env: { REDIS_PREFIX: prefix } });
    two = await startKernel({ env: { REDIS_PREFIX: prefix } });
    const heard: string[] = [];
    two.kernel.get(EventBusRef).on('task.stop', (e) => heard.push(e.taskId));
    await one.kernel.get(EventBusRef).publish('task.stop', { taskId: 'task-42' });
    await sleep(150);
    expect(heard).to.deep.equal(['task-42']);
    const ready = await two.api('GET', '/ready');
    expect(ready.body.checks.events).to.match(/^ok \(redis/);
    expect(ready.body.checks.jobs).to.match(/^ok \(redis/);
  });
});
