import { expect } from 'chai';
import { MemoryQueue } from '../../src/jobs/memory-queue.js';
import { defineJob, type Queue } from '../../src/jobs/queue.js';
import { RedisQueue } from '../../src/jobs/redis-queue.js';
import { freshRedisPrefix, TEST_REDIS_URL } from '../support/env.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const backends: Array<[string, () => Queue]> = [['in-process queue', () => new MemoryQueue()]];
const redisUrl = TEST_REDIS_URL;
if (redisUrl) backends.push(['bee-queue on Redis', () => new RedisQueue({ url: redisUrl, prefix: freshRedisPrefix(), stallIntervalMs: 1000 })]);

for (const [title, create] of backends) {
  describe(`Queue: ${title}`, () => {
    let queue: Queue;
    beforeEach(() => {
      queue = create();
    });
    afterEach(() => queue.close(2000));

    it('runs a job once processing starts and resolves its handle with the result', async () => {
      const double = defineJob<{ n: number }, number>('test.double');
      queue.register(double, async (job) => job.data.n * 2);
      const handle = await queue.enqueue(double, { n: 21 });
      await queue.process();
      expect(await handle.finished()).to.equal(42);
    });

    it('retries a failing job with back-off, numbering the attempts, until it succeeds', async () => {
      const flaky = defineJob<{ failures: number }, string>('test.flaky');
      const attempts: Array<{ attempt: number; at: number }> = [];
      queue.register(flaky, async (job) => {
        attempts.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt <= job.data.failures) throw new Error(`failure ${job.attempt}`);
        return `ok on attempt ${job.attempt}`;
      });
      await queue.process();
      const handle = await queue.enqueue(flaky, { failures: 2 }, { retries: 3, backoffMs: 100 });
      expect(await handle.finished()).to.equal('ok on attempt 3');
      expect(attempts.map((a) => a.attempt)).to.deep.equal([1, 2, 3]);
      // Exponential: ~100 ms before the 2nd attempt, ~200 ms before the 3rd.
      expect(attempts[1]!.at - attempts[0]!.at).to.be.at.least(90);
      expect(attempts[2]!.at - attempts[1]!.at).to.be.at.least(190);
    });

    it('gives up once retries are spent and rejects the handle with the last error', async () => {
      const doomed = defineJob<Record<string, never>, void>('test.doomed');
      let runs = 0;
      queue.register(doomed, async (job) => {
        runs++;
        throw new Error(`broken on attempt ${job.attempt}`);
      });
      await queue.process();
      const handle = await queue.enqueue(doomed, {}, { retries: 1, backoffMs: 10, backoff: 'fixed' });
      const error = await handle.finished().then(() => undefined, (e: Error) => e);
      expect(error?.message).to.contain('broken on attempt 2');
      expect(runs).to.equal(2);
    });

    it('fails a run that exceeds its time-out', async () => {
      const hang = defineJob<Record<string, never>, void>('test.hang');
      queue.register(hang, () => sleep(2000));
      await queue.process();
      const handle = await queue.enqueue(hang, {}, { retries: 0, timeoutMs: 100 });
      const error = await handle.finished().then(() => undefined, (e: Error) => e);
      expect(error?.message).to.match(/timed out|did not finish/);
    });

    it('runs no more jobs of a type at once than its concurrency', async () => {
      const busy = defineJob<{ i: number }, number>('test.busy');
      let running = 0;
      let peak = 0;
      queue.register(busy, async (job) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(50);
        running--;
        return job.data.i;
      }, { concurrency: 2 });
      await queue.process();
      const handles = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => queue.enqueue(busy, { i })));
      expect(await Promise.all(handles.map((h) => h.finished()))).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(peak).to.equal(2);
    });

    it('reports progress to the handle', async () => {
      const index = defineJob<{ steps: number }, void>('test.progress');
      queue.register(index, async (job) => {
        for (let step = 1; step <= job.data.steps; step++) {
          job.progress({ step, of: job.data.steps });
          await sleep(20);
        }
      });
      await queue.process();
      const handle = await queue.enqueue(index, { steps: 3 });
      const seen: unknown[] = [];
      handle.onProgress((value) => seen.push(value));
      await handle.finished();
      await sleep(50);
      expect(seen).to.deep.equal([{ step: 1, of: 3 }, { step: 2, of: 3 }, { step: 3, of: 3 }]);
    });

    it('refuses a second handler for the same job type', () => {
      const once = defineJob<Record<string, never>, void>('test.once');
      queue.register(once, async () => undefined);
      expect(() => queue.register(once, async () => undefined)).to.throw('already registered');
    });
  });
}

describe('defineJob', () => {
  it('refuses a name that is not lower-case letters, digits, dots and dashes', () => {
    expect(() => defineJob('Index Documents')).to.throw('must be lower-case');
  });
});
