import { expect } from 'chai';
import { DatabaseRef } from '../../src/services.js';
import { createPublishedApp, parseSse, post, startAppKernel } from '../support/apps.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { startKernel, type TestKernel } from '../support/kernel.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Issue #14 item 3: a stream longer than SHUTDOWN_TIMEOUT_MS gets a final event and its partial answer is stored. */
describe('shutdown with a chat stream in flight (#14)', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let upstream: OpenAiWireServer;

  afterEach(async () => {
    await t.stop().catch(() => undefined);
    await upstream.stop();
  });

  it('ends the stream with a 503 server_shutting_down error event and stores the partial answer as stopped', async () => {
    let token: string;
    ({ t, token, upstream } = await startAppKernel({ env: { SHUTDOWN_TIMEOUT_MS: '1000' } }));
    const app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 60 }, (_, i) => ` w${i}`), delayMs: 200 }];
    const response = await post(t, app.key, '/chat-messages', { inputs: {}, query: 'Tell me a long story', user: 'u1', response_mode: 'streaming', auto_generate_name: false });
    const text = response.text();
    await sleep(700);
    const started = performance.now();
    await t.kernel.stop();
    const stopMs = performance.now() - started;
    const { events } = parseSse(await text);
    const last = events.at(-1);
    expect(last).to.include({ event: 'error', status: 503, code: 'server_shutting_down' });
    expect(stopMs, 'stop took too long').to.be.lessThan(1000 + 1000);
    // The partial answer survives a restart on the same data.
    t = await startKernel({ dataDir: t.dataDir, schema: t.schema });
    const row = await t.kernel.get(DatabaseRef).knex('messages').where({ id: last.message_id }).first();
    expect(row, 'the message row').to.exist;
    expect(row.status).to.equal('stopped');
    expect(row.answer).to.match(/^ w0 w1/);
  });

  it('aborts background conversation naming at shutdown instead of waiting for the model', async () => {
    let token: string;
    ({ t, token, upstream } = await startAppKernel({ env: { SHUTDOWN_TIMEOUT_MS: '1000' } }));
    const app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
    // The answer streams; the naming call that follows never answers.
    upstream.scripts = [{ kind: 'stream', words: ['Hi'] }, { kind: 'hang' }];
    const res = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Name this please', user: 'u1', response_mode: 'blocking', auto_generate_name: true } });
    expect(res.status).to.equal(200);
    await sleep(200);
    expect(upstream.chatRequests()).to.have.length(2);
    const started = performance.now();
    await t.kernel.stop();
    expect(performance.now() - started, 'stop waited for the naming call').to.be.lessThan(1000 + 1000);
  });
});
