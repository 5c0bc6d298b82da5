import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeWith, freshRedisPrefix, freshSchema, TEST_DATABASE_URL } from '../support/env.js';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { OpenAiWireServer } from '../support/openai-server.js';
import { configureOpenAi, createPublishedApp, parseSse, post } from '../support/apps.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHAT_DSL = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dsl', 'chat-app.yml'), 'utf8');

describeWith('redis', 'apps scaled out: two API processes sharing PostgreSQL and Redis', () => {
  let a: TestKernel;
  let b: TestKernel;
  let upstream: OpenAiWireServer;

  before(function () {
    if (!TEST_DATABASE_URL) this.skip();
  });
  beforeEach(async () => {
    upstream = await new OpenAiWireServer().start();
    const schema = freshSchema();
    const env = { REDIS_PREFIX: freshRedisPrefix(), LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' };
    a = await startKernel({ schema, env });
    b = await startKernel({ schema, env });
  });
  afterEach(async () => {
    await b.kernel.stop();
    await a.stop();
    await upstream.stop();
  });

  it('stops a stream running on one process from a stop request sent to the other', async () => {
    const { token } = await setupOwner(a.api);
    await configureOpenAi(a, token, upstream);
    const app = await createPublishedApp(a, token, 'chat');
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 300 }, (_, i) => `w${i} `), delayMs: 15 }];
    const response = await post(a, app.key, '/chat-messages', { inputs: {}, query: 'Talk', user: 'u1', response_mode: 'streaming', auto_generate_name: false });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"event":"message"')) text += decoder.decode((await reader.read()).value);
    const taskId = JSON.parse(text.split('\n\n')[0]!.slice(6)).task_id as string;
    const stop = await b.api('POST', `/v1/chat-messages/${taskId}/stop`, { token: app.key, body: { user: 'u1' } });
    expect(stop.body).to.deep.equal({ result: 'success' });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const { events } = parseSse(text);
    expect(events.at(-1).event).to.equal('message_end');
    expect(events.filter((e) => e.event === 'message').length).to.be.lessThan(300);
    for (let i = 0; i < 50 && upstream.closedEarly === 0; i++) await sleep(20);
    expect(upstream.closedEarly).to.equal(1);
    // The other process reads the stored, stopped message.
    const messages = await b.api('GET', `/v1/messages?user=u1&conversation_id=${events[0].conversation_id}`, { token: app.key });
    expect(messages.body.data[0].status).to.equal('stopped');
  });

  it('shares the per-app concurrency limit across processes', async () => {
    const { token } = await setupOwner(a.api);
    await configureOpenAi(a, token, upstream);
    const app = await createPublishedApp(a, token, 'chat');
    await a.api('PUT', `/console/api/apps/${app.id}`, { token, body: { max_active_requests: 1 } });
    upstream.scripts = [{ kind: 'stream', words: ['slow'], delayMs: 300 }];
    // The app's settings are cached per process for a short while; b reads them fresh on first use.
    const body = { query: 'x', user: 'u', inputs: {}, auto_generate_name: false };
    const [first, second] = await Promise.all([a.api('POST', '/v1/chat-messages', { token: app.key, body }), sleep(50).then(() => b.api('POST', '/v1/chat-messages', { token: app.key, body }))]);
    expect([first.status, second.status], JSON.stringify(second.body)).to.deep.equal([200, 429]);
  });
  it('confirms on one process a DSL import that the other answered pending, once', async () => {
    const { token } = await setupOwner(a.api);
    // A newer DSL version than this build knows: Dify asks to confirm first.
    const newer = [...CHAT_DSL.split('\n').filter((l) => !l.startsWith('version:')), 'version: 0.7.0'].join('\n').replace('provider: langgenius/openai/openai', 'provider: openai');
    const pending = await a.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-content', yaml_content: newer, name: 'Confirmed elsewhere' } });
    expect(pending.status).to.equal(202);
    const confirmed = await b.api('POST', `/console/api/apps/imports/${pending.body.id}/confirm`, { token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
    expect(confirmed.body).to.include({ status: 'completed', error: '' });
    expect((await a.api('GET', `/console/api/apps/${confirmed.body.app_id}`, { token })).body.name).to.equal('Confirmed elsewhere');
    const again = await a.api('POST', `/console/api/apps/imports/${pending.body.id}/confirm`, { token });
    expect(again.status).to.equal(400);
  });

  it('answers the status of an annotation-reply job on the process that did not run it', async () => {
    const { token } = await setupOwner(a.api);
    await configureOpenAi(a, token, upstream);
    const app = await createPublishedApp(a, token, 'chat');
    const enable = await a.api('POST', '/v1/apps/annotation-reply/enable', { token: app.key, body: { embedding_provider_name: 'local', embedding_model_name: 'hashed-ngrams-384', score_threshold: 0.9 } });
    expect(enable.status, JSON.stringify(enable.body)).to.equal(200);
    const status = await b.api('GET', `/v1/apps/annotation-reply/enable/status/${enable.body.job_id}`, { token: app.key });
    expect(status.body).to.deep.equal({ job_id: enable.body.job_id, job_status: 'completed', error_msg: '' });
  });
});
