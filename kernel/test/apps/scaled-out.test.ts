import { expect } from 'chai';
import { describeWith, freshRedisPrefix, freshSchema, TEST_DATABASE_URL } from '../support/env.js';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { OpenAiWireServer } from '../support/openai-server.js';
import { configureOpenAi, createPublishedApp, parseSse, post } from '../support/apps.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
});
