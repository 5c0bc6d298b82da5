import { expect } from 'chai';
import { openSse } from '../../src/http/sse.js';
import { startKernel, type TestKernel } from '../support/kernel.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(response: Response): Promise<string> {
  return response.text();
}

describe('graceful shutdown', () => {
  let t: TestKernel;
  let aborted: string[];

  beforeEach(async () => {
    aborted = [];
    t = await startKernel({
      env: { SHUTDOWN_TIMEOUT_MS: '1500' },
      beforeStart(kernel) {
        kernel.http.root.get('/test/slow', async (ctx) => {
          await sleep(400);
          ctx.body = { done: true };
        });
        // A stream of `count` events, one every 100 ms: like an LLM answer in flight.
        kernel.http.root.get('/test/stream', async (ctx) => {
          const count = Number(ctx.query.count ?? 5);
          const stream = openSse(ctx, kernel.tracker, 50);
          stream.signal.addEventListener('abort', () => aborted.push(String(stream.signal.reason?.message)));
          void (async () => {
            for (let i = 0; i < count && !stream.closed; i++) {
              stream.send({ event: 'message', answer: String(i) });
              await sleep(100);
            }
            stream.send({ event: 'message_end' });
            stream.close();
          })();
        });
      },
    });
  });
  afterEach(() => t.stop());

  it('lets an in-flight request finish, then refuses new connections', async () => {
    const inflight = fetch(`${t.url}/test/slow`);
    await sleep(50);
    const stopping = t.kernel.stop();
    const response = await inflight;
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ done: true });
    await stopping;
    const refused = await fetch(`${t.url}/health`).then(() => 'answered', (error: Error) => error.message);
    expect(refused).to.equal('fetch failed');
  });

  it('drains an open SSE stream to its end within the deadline, with keep-alive pings', async () => {
    const response = await fetch(`${t.url}/test/stream?count=5`);
    const text = readAll(response);
    await sleep(60);
    await t.kernel.stop();
    const body = await text;
    expect(body).to.contain('"answer":"4"').and.contain('message_end');
    expect(body).to.contain('event: ping\n\n');
    expect(aborted).to.deep.equal([]);
  });

  it('ends streams still open at the deadline and aborts their producers', async () => {
    const response = await fetch(`${t.url}/test/stream?count=100`);
    const text = readAll(response);
    await sleep(60);
    const begun = Date.now();
    await t.kernel.stop();
    expect(Date.now() - begun).to.be.within(1400, 4000);
    const body = await text;
    expect(body).to.not.contain('"answer":"99"');
    expect(aborted).to.deep.equal(['server shutting down']);
  });
});
