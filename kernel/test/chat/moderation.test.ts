import { expect } from 'chai';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, post, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { AssistantRef, DatabaseRef, ModelRuntimeRef } from '../../src/services.js';

const INPUT_PRESET = 'I cannot help with that.';
const OUTPUT_PRESET = '[removed by moderation]';

/** Provider moderation settings (Dify's `sensitive_word_avoidance`). */
const moderation = (type: 'moderation' | 'openai_moderation', extra: Record<string, unknown> = {}) => ({
  sensitive_word_avoidance: {
    enabled: true,
    type,
    configs: { ...extra, inputs_config: { enabled: true, preset_response: INPUT_PRESET }, outputs_config: { enabled: true, preset_response: OUTPUT_PRESET } },
  },
});

describe('provider moderation of app messages against an OpenAI-wire provider', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
  });
  afterEach(() => stopAppKernel(t, upstream));

  const moderationRequests = () => upstream.requests.filter((r) => r.path === '/v1/moderations');
  const appWith = (config: Record<string, unknown>): Promise<TestApp> =>
    createPublishedApp(t, token, 'chat', { user_input_form: [{ 'text-input': { label: 'Company', variable: 'company', required: true, max_length: 20 } }], ...config });
  const chat = (app: TestApp, query: string) => t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: { company: 'Acme' }, query, user: 'u1', auto_generate_name: false } });

  it('answers flagged input with the preset response without calling the chat model (Dify’s openai_moderation)', async () => {
    const app = await appWith(moderation('openai_moderation'));
    const res = await chat(app, 'How do I kill a process?');
    expect(res.status).to.equal(200);
    expect(res.body.answer).to.equal(INPUT_PRESET);
    expect(upstream.chatRequests()).to.have.length(0);
    const sent = moderationRequests();
    expect(sent).to.have.length(1);
    // Defaults: the `openai` provider and omni-moderation-latest; the query and the string inputs are checked together.
    expect(sent[0]!.body).to.deep.equal({ model: 'omni-moderation-latest', input: ['How do I kill a process?', 'Acme'] });
    const stored = await t.kernel.get(DatabaseRef).knex('messages').where({ id: res.body.message_id }).first();
    expect(stored.answer).to.equal(INPUT_PRESET);
  });

  it('keeps flagged input out of the conversation name and out of the next turn’s memory (#14)', async () => {
    const app = await createPublishedApp(t, token, 'chat', {
      sensitive_word_avoidance: { enabled: true, type: 'keywords', configs: { keywords: 'forbidden', inputs_config: { enabled: true, preset_response: INPUT_PRESET }, outputs_config: { enabled: false, preset_response: '' } } },
    });
    const first = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Tell me the forbidden recipe', user: 'u1', auto_generate_name: true } });
    expect(first.body.answer).to.equal(INPUT_PRESET);
    await t.kernel.get(AssistantRef).settled();
    // Naming would have sent the flagged query to the model.
    expect(upstream.chatRequests()).to.have.length(0);
    upstream.scripts = [{ kind: 'stream', words: ['Hi'] }];
    const second = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Hello', user: 'u1', conversation_id: first.body.conversation_id, auto_generate_name: false } });
    expect(second.body.answer).to.equal('Hi');
    const sent = JSON.stringify(upstream.chatRequests()[0]!.body);
    expect(sent).to.include('Hello');
    expect(sent).not.to.include('forbidden');
    expect(sent).not.to.include(INPUT_PRESET);
  });

  it('lets clean input through, checks the answer too, and books the calls as model type moderation', async () => {
    const app = await appWith(moderation('moderation', { provider: 'openai', model: 'text-moderation-latest' }));
    upstream.scripts = [{ kind: 'stream', words: ['All', ' good'] }];
    const res = await chat(app, 'Hello');
    expect(res.body.answer).to.equal('All good');
    expect(upstream.chatRequests()).to.have.length(1);
    expect(moderationRequests().map((r) => r.body)).to.deep.equal([
      { model: 'text-moderation-latest', input: ['Hello', 'Acme'] },
      { model: 'text-moderation-latest', input: ['All good'] },
    ]);
    await t.kernel.get(ModelRuntimeRef).usage.flush();
    const usage = await t.kernel.get(DatabaseRef).knex('model_usage').where({ model_type: 'moderation' });
    expect(usage).to.have.length(2);
    expect(usage.every((u: Record<string, unknown>) => u.model === 'text-moderation-latest' && u.status === 'success' && u.provider_id === 'openai')).to.equal(true);
  });

  it('replaces a flagged streamed answer with message_replace and stores the preset', async () => {
    const app = await appWith(moderation('moderation'));
    upstream.scripts = [{ kind: 'stream', words: ['You could ', 'kill', ' it'] }];
    const response = await post(t, app.key, '/chat-messages', { inputs: { company: 'Acme' }, query: 'How do I stop a process?', user: 'u1', response_mode: 'streaming' });
    expect(response.status).to.equal(200);
    const { events } = parseSse(await response.text());
    const kinds = events.map((e) => e.event);
    expect(kinds.indexOf('message_replace')).to.be.greaterThan(kinds.lastIndexOf('message'));
    expect(kinds.indexOf('message_replace')).to.be.lessThan(kinds.indexOf('message_end'));
    const replace = events.find((e) => e.event === 'message_replace');
    expect(replace).to.include({ answer: OUTPUT_PRESET });
    expect(replace.conversation_id).to.be.a('string');
    expect(moderationRequests().map((r) => r.body.input)).to.deep.equal([['How do I stop a process?', 'Acme'], ['You could kill it']]);
    const stored = await t.kernel.get(DatabaseRef).knex('messages').where({ id: replace.message_id }).first();
    expect(stored.answer).to.equal(OUTPUT_PRESET);
  });

  it('replaces a flagged answer in blocking mode too', async () => {
    const app = await appWith(moderation('moderation'));
    upstream.scripts = [{ kind: 'stream', words: ['kill', ' it'] }];
    const res = await chat(app, 'Hi');
    expect(res.body.answer).to.equal(OUTPUT_PRESET);
  });

  it('lets the chat answer when the moderation upstream fails (logged, not fatal)', async () => {
    const app = await appWith(moderation('moderation'));
    upstream.moderationError = { status: 500, message: 'The server had an error while processing your request.' };
    upstream.scripts = [{ kind: 'stream', words: ['Still', ' here'] }];
    const res = await chat(app, 'I will kill this bug');
    expect(res.status).to.equal(200);
    expect(res.body.event).to.equal('message');
    expect(res.body.answer).to.equal('Still here');
    expect(upstream.chatRequests()).to.have.length(1);
    // Tried (with one retry) for the input and for the answer.
    expect(moderationRequests().length).to.be.at.least(2);
    await t.kernel.get(ModelRuntimeRef).usage.flush();
    const failed = await t.kernel.get(DatabaseRef).knex('model_usage').where({ model_type: 'moderation', status: 'error' });
    expect(failed.length).to.be.at.least(2);
  });

  it('lets the chat answer when the moderation provider is not configured', async () => {
    const app = await appWith(moderation('moderation', { provider: 'anthropic' }));
    upstream.scripts = [{ kind: 'stream', words: ['Fine'] }];
    const res = await chat(app, 'kill');
    expect(res.body.answer).to.equal('Fine');
    expect(moderationRequests()).to.have.length(0);
  });

  it('skips the checks that are switched off, and everything when moderation is disabled', async () => {
    const inputOnly = await appWith({
      sensitive_word_avoidance: { enabled: true, type: 'moderation', configs: { inputs_config: { enabled: true, preset_response: INPUT_PRESET }, outputs_config: { enabled: false, preset_response: OUTPUT_PRESET } } },
    });
    upstream.scripts = [{ kind: 'stream', words: ['kill'] }];
    expect((await chat(inputOnly, 'Hi')).body.answer).to.equal('kill');
    expect(moderationRequests()).to.have.length(1);
    const disabled = await appWith({ sensitive_word_avoidance: { ...moderation('moderation').sensitive_word_avoidance, enabled: false } });
    expect((await chat(disabled, 'kill')).body.answer).to.equal('kill');
    expect(moderationRequests()).to.have.length(1);
  });

  it('offers moderation as a model type in the console', async () => {
    const res = await t.api('GET', '/console/api/workspaces/current/models/model-types/moderation', { token });
    expect(res.status).to.equal(200);
    expect(res.body.data).to.be.an('array');
  });
});
