import { expect } from 'chai';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, post, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef } from '../../src/services.js';

/** Issue #14: a stream's `error` event carries a coded, human message — never the driver's words. */
describe('Stream error events (#14)', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
  });
  afterEach(() => stopAppKernel(t, upstream));

  it('maps a provider connection reset mid-stream to a coded message without driver text', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Partial', ' answer', ' that', ' never', ' ends'], delayMs: 300 }];
    const response = await post(t, app.key, '/chat-messages', { inputs: {}, query: 'Hi', user: 'u1', response_mode: 'streaming' });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let reset = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // Once the first word reached the client, the provider drops every connection (a reset mid-stream).
      if (!reset && text.includes('"event":"message"')) {
        reset = true;
        (upstream as unknown as { server: { closeAllConnections(): void } }).server.closeAllConnections();
      }
    }
    const { events } = parseSse(text);
    const error = events.at(-1);
    expect(error.event).to.equal('error');
    expect(error.code).to.be.oneOf(['provider_connection_error', 'completion_request_error']);
    expect(error.status).to.be.a('number');
    expect(error.message).to.not.match(/ECONNRESET|ECONNREFUSED|socket|terminated|other side closed|fetch failed|undici|aborted|127\.0\.0\.1|plugin @/i);
    expect(error.message).to.match(/model provider/i);
    const row = await t.kernel.get(DatabaseRef).knex('messages').where({ id: error.message_id }).first();
    expect(row).to.include({ status: 'error' });
    expect(row.answer).to.contain('Partial');
    expect(row.error).to.not.match(/ECONNRESET|terminated|other side closed/i);
  });
});
