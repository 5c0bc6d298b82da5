import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { defineJob } from '../../src/jobs/queue.js';
import { RedisQueue } from '../../src/jobs/redis-queue.js';
import { describeWith, freshRedisPrefix, TEST_REDIS_URL } from '../support/env.js';

const WORKER = fileURLToPath(new URL('../fixtures/job-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startWorker(prefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', WORKER, TEST_REDIS_URL!, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  while (!out.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    await sleep(50);
  }
  return child;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error('timed out waiting');
}

describeWith('redis', 'tessera worker processes and stalled jobs', () => {
  const children: ChildProcess[] = [];
  let redis: Redis;
  beforeEach(() => {
    redis = new Redis(TEST_REDIS_URL!);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    redis.disconnect();
  });

  it('completes exactly once when the worker running a job is killed mid-way', async function () {
    this.timeout(30_000);
    const prefix = freshRedisPrefix();
    const producer = new RedisQueue({ url: TEST_REDIS_URL!, prefix: `${prefix}:jobs`, stallIntervalMs: 1000 });
    const slow = defineJob<{ ms: number }, string>('test.slow');
    try {
      const first = await startWorker(prefix);
      children.push(first);
      const handle = await producer.enqueue(slow, { ms: 1500 }, { retries: 0 });

      // The first worker has the job: kill it before it can finish.
      await waitFor(async () => ((await redis.llen(`${prefix}:started:${handle.id}`)) === 1 ? true : undefined), 10_000);
      first.kill('SIGKILL');
      await once(first, 'exit');

      const second = await startWorker(prefix);
      children.push(second);
      const result = await handle.finished();
      expect(result).to.equal(`done by ${second.pid}`);

      // Stall detection re-ran the job on the second worker; it completed once, and only there.
      await sleep(2500);
      expect(await redis.lrange(`${prefix}:started:${handle.id}`, 0, -1)).to.deep.equal([String(first.pid), String(second.pid)]);
      expect(await redis.lrange(`${prefix}:completed:${handle.id}`, 0, -1)).to.deep.equal([String(second.pid)]);
    } finally {
      await producer.close(1000);
    }
  });

  it('shares the work of one queue between several worker processes', async function () {
    this.timeout(30_000);
    const prefix = freshRedisPrefix();
    const producer = new RedisQueue({ url: TEST_REDIS_URL!, prefix: `${prefix}:jobs` });
    const slow = defineJob<{ ms: number }, string>('test.slow');
    try {
      children.push(await startWorker(prefix), await startWorker(prefix));
      const handles = await Promise.all(Array.from({ length: 6 }, () => producer.enqueue(slow, { ms: 200 })));
      const results = await Promise.all(handles.map((h) => h.finished()));
      const pids = new Set(results.map((r) => r.replace('done by ', '')));
      expect(pids).to.deep.equal(new Set(children.map((c) => String(c.pid))));
    } finally {
      await producer.close(1000);
    }
  });
});
