import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeWith, freshRedisPrefix, freshSchema, TEST_DATABASE_URL } from '../support/env.js';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, post, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef, PackagesRef, PluginHostRef } from '../../src/services.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The raw frames of an OpenAI-style stream: every `data:` payload, `[DONE]` included. */
function frames(text: string): string[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((f) => {
      expect(f.startsWith('data: ') || f.startsWith(':'), `unexpected frame ${JSON.stringify(f)}`).to.equal(true);
      return f;
    })
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6));
}

describe('OpenAI-compatible API on the wire', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    app = await createPublishedApp(t, token, 'chat', {
      pre_prompt: 'You help customers of {{company}}.',
      user_input_form: [{ 'text-input': { label: 'Company', variable: 'company', required: true, max_length: 20 } }],
    });
  });
  afterEach(() => stopAppKernel(t, upstream));

  const complete = (body: Record<string, unknown>, key = app.key) => t.api('POST', '/v1/chat/completions', { token: key, body: { model: app.id, inputs: { company: 'Acme' }, ...body } });

  it('answers in chat.completion shape and stores the exchange for the end user', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Hi', ' there'], usage: { prompt_tokens: 9, completion_tokens: 2 } }];
    const res = await complete({ messages: [{ role: 'user', content: 'Hello' }], user: 'u1' });
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body).sort()).to.deep.equal(['choices', 'created', 'id', 'model', 'object', 'usage']);
    expect(res.body).to.include({ object: 'chat.completion', model: app.id });
    expect(res.body.id).to.match(/^chatcmpl-[0-9a-f-]{36}$/);
    expect(res.body.created).to.be.a('number');
    expect(res.body.choices).to.deep.equal([{ index: 0, message: { role: 'assistant', content: 'Hi there', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    expect(res.body.usage).to.deep.equal({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    const stored = await t.kernel.get(DatabaseRef).knex('messages').where({ id: res.body.id.slice('chatcmpl-'.length) }).first();
    expect(stored).to.include({ query: 'Hello', answer: 'Hi there', from_source: 'api', status: 'normal' });
    const users = await t.kernel.get(DatabaseRef).knex('end_users').where({ id: stored.end_user_id }).first();
    expect(users.session_id).to.equal('u1');
  });

  it('streams chat.completion.chunk frames, a usage chunk on request, then [DONE]', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['One', ' two'] }];
    const response = await post(t, app.key, '/chat/completions', { model: app.id, inputs: { company: 'Acme' }, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Count' }] });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.contain('text/event-stream');
    const data = frames(await response.text());
    expect(data.at(-1)).to.equal('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0]).to.deep.include({ object: 'chat.completion.chunk', model: app.id });
    expect(chunks[0].choices).to.deep.equal([{ index: 0, delta: { role: 'assistant', content: 'One' }, logprobs: null, finish_reason: null }]);
    expect(chunks[1].choices[0].delta).to.deep.equal({ content: ' two' });
    expect(chunks[2].choices).to.deep.equal([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    expect(chunks[3]).to.deep.include({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } });
    expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);
  });

  it('maps messages: client system text after the app prompt, pairs as history, trailing user messages as the query', async () => {
    await complete({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'A?' },
        { role: 'assistant', content: 'a.' },
        { role: 'user', content: [{ type: 'text', text: 'B?' }] },
        { role: 'assistant', content: 'b.' },
        { role: 'developer', content: 'Use English.' },
        { role: 'user', content: 'C' },
        { role: 'user', content: 'D?' },
      ],
    });
    expect(upstream.chatRequests()[0]!.body.messages).to.deep.equal([
      { role: 'system', content: 'You help customers of Acme.\n\nBe brief.\n\nUse English.' },
      { role: 'user', content: 'A?' },
      { role: 'assistant', content: 'a.' },
      { role: 'user', content: 'B?' },
      { role: 'assistant', content: 'b.' },
      { role: 'user', content: 'C\n\nD?' },
    ]);
  });

  it('holds client history to the app’s memory budget, newest turns kept', async () => {
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { memory: { max_tokens: 40 } } });
    await t.api('POST', `/console/api/apps/${app.id}/publish`, { token });
    await complete({ messages: [{ role: 'user', content: 'alpha '.repeat(30) }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'beta' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'gamma' }] });
    expect(upstream.chatRequests()[0]!.body.messages.map((m: { content: string }) => m.content)).to.deep.equal(['You help customers of Acme.', 'beta', 'ok', 'gamma']);
  });

  it('answers errors in OpenAI’s shape with the right status', async () => {
    const unknown = await complete({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error).to.include({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    expect(unknown.body.error.message).to.contain('`gpt-4o`');
    const noModel = await complete({ model: undefined, messages: [{ role: 'user', content: 'x' }] });
    expect(noModel.status).to.equal(400);
    expect(noModel.body).to.deep.equal({ error: { message: 'you must provide a model parameter', type: 'invalid_request_error', param: 'model', code: 'invalid_param' } });
    const noMessages = await complete({ messages: [] });
    expect(noMessages.body.error).to.include({ param: 'messages', type: 'invalid_request_error' });
    const lastAssistant = await complete({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] });
    expect(lastAssistant.body.error.message).to.equal('The last message must be a user message.');
    const tool = await complete({ messages: [{ role: 'tool', content: 'x', tool_call_id: '1' }, { role: 'user', content: 'x' }] });
    expect(tool.status).to.equal(400);
    const missingInput = await complete({ inputs: {}, messages: [{ role: 'user', content: 'x' }] });
    expect(missingInput.body.error).to.include({ param: 'inputs.company', code: 'invalid_param', message: 'company is required in input form' });
    const badKey = await complete({ messages: [{ role: 'user', content: 'x' }] }, 'app-nonsense');
    expect(badKey.status).to.equal(401);
    expect(badKey.body.error).to.include({ code: 'invalid_api_key', type: 'invalid_request_error' });
    expect(badKey.headers.get('www-authenticate')).to.equal('Bearer realm="api"');
    upstream.scripts = [{ kind: 'error', status: 400, message: 'Bad request from model', type: 'invalid_request_error' }];
    const provider = await complete({ messages: [{ role: 'user', content: 'x' }] });
    expect(provider.status).to.equal(400);
    expect(provider.body.error).to.include({ code: 'completion_request_error', type: 'invalid_request_error' });
    expect(provider.body.error.message).to.contain('Bad request from model');
    await t.api('POST', `/console/api/apps/${app.id}/api-enable`, { token, body: { enable_api: false } });
    const disabled = await complete({ messages: [{ role: 'user', content: 'x' }] });
    expect(disabled.status).to.equal(403);
    expect(disabled.body.error).to.include({ type: 'permission_error', message: "The app's API service has been disabled." });
  });

  it('applies the app’s rate limit, answered as OpenAI’s 429', async () => {
    await t.api('PUT', `/console/api/apps/${app.id}`, { token, body: { api_rpm: 1 } });
    expect((await complete({ messages: [{ role: 'user', content: 'x' }] })).status).to.equal(200);
    const limited = await complete({ messages: [{ role: 'user', content: 'x' }] });
    expect(limited.status).to.equal(429);
    expect(limited.body.error).to.include({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(0);
  });

  it('refuses an unpublished app with app_unavailable', async () => {
    const draft = await t.api('POST', '/console/api/apps', { token, body: { name: 'Draft', mode: 'chat' } });
    const key = (await t.api('POST', `/console/api/apps/${draft.body.id}/api-keys`, { token })).body.token;
    const res = await complete({ model: draft.body.id, messages: [{ role: 'user', content: 'x' }] }, key);
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('app_unavailable');
  });

  it('runs a completion app with the last user message as its query input', async () => {
    const completion = await createPublishedApp(t, token, 'completion', { pre_prompt: 'Summarise: {{query}}' }, 'Summariser');
    upstream.scripts = [{ kind: 'stream', words: ['Short.'] }];
    const res = await complete({ model: 'Summariser', inputs: undefined, messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: 'A long text' }] }, completion.key);
    expect(res.status).to.equal(200);
    expect(res.body.choices[0].message.content).to.equal('Short.');
    expect(upstream.chatRequests()[0]!.body.messages).to.deep.equal([{ role: 'user', content: 'Summarise: A long text' }]);
  });

  it('streams only an agent’s final answer as content, not its tool steps', async () => {
    const calculator = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'calculator');
    const pkg = await t.kernel.get(PackagesRef).installFolder(calculator, 'bundled', null, null, (p, code) => t.kernel.get(PluginHostRef).verify(p, code));
    expect((await t.api('POST', `/console/api/plugins/${encodeURIComponent(pkg.name)}/enable`, { token, body: { granted_permissions: {} } })).status).to.equal(200);
    const agent = await createPublishedApp(t, token, 'agent-chat', { pre_prompt: 'You are precise.', agent_mode: { enabled: true, strategy: 'function_call', max_iteration: 3, tools: [{ provider_id: 'calculator', provider_type: 'builtin', tool_name: 'calculate', tool_parameters: {}, enabled: true }] } }, 'Agent');
    upstream.scripts = [
      { kind: 'tool_calls', calls: [{ id: 'call_1', name: 'calculate', arguments: '{"expression": "2/3"}' }] },
      { kind: 'stream', words: ['It is', ' about', ' 0.67.'] },
    ];
    const response = await post(t, agent.key, '/chat/completions', { model: 'Agent', stream: true, messages: [{ role: 'user', content: 'What is 2/3?' }] });
    expect(response.status).to.equal(200);
    const data = frames(await response.text());
    expect(data.at(-1)).to.equal('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).to.equal('It is about 0.67.');
    expect(chunks[0].choices[0].delta.role).to.equal('assistant');
    expect(chunks.at(-1).choices[0].finish_reason).to.equal('stop');
    expect(upstream.chatRequests()).to.have.length(2);
    upstream.scripts = [
      { kind: 'tool_calls', calls: [{ id: 'call_2', name: 'calculate', arguments: '{"expression": "1+1"}' }] },
      { kind: 'stream', words: ['Two.'] },
    ];
    const blocking = await t.api('POST', '/v1/chat/completions', { token: agent.key, body: { model: agent.id, messages: [{ role: 'user', content: '1+1?' }] } });
    expect(blocking.body.choices[0].message.content).to.equal('Two.');
  });

  it('lists the key’s app as the only model', async () => {
    const res = await t.api('GET', '/v1/models', { token: app.key });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ object: 'list', data: [{ id: app.id, object: 'model', created: res.body.data[0].created, owned_by: 'tessera', name: 'Test app' }] });
    expect((await t.api('GET', `/v1/models/${app.id}`, { token: app.key })).body.id).to.equal(app.id);
    expect((await t.api('GET', '/v1/models/other', { token: app.key })).body.error.code).to.equal('model_not_found');
    // The workspace model listing of the Service API is a different route.
    const types = await t.api('GET', '/v1/workspaces/current/models/model-types/llm', { token: app.key });
    expect(types.status).to.equal(200);
    expect(types.body.data).to.be.an('array');
  });

  it('aborts the upstream request when the client goes away mid-stream, storing the partial answer as stopped', async () => {
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 20 }];
    const controller = new AbortController();
    const response = await post(t, app.key, '/chat/completions', { model: app.id, inputs: { company: 'Acme' }, stream: true, messages: [{ role: 'user', content: 'Talk' }] }, controller.signal);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/"content"/g) ?? []).length < 3) text += decoder.decode((await reader.read()).value);
    const id = JSON.parse(text.split('\n\n')[0]!.slice(6)).id.slice('chatcmpl-'.length) as string;
    controller.abort();
    for (let i = 0; i < 50 && upstream.closedEarly === 0; i++) await sleep(20);
    expect(upstream.closedEarly).to.equal(1);
    let row: { status: string; answer: string } | undefined;
    // The row exists from the start (#14), 'generating' until the stop is stored.
    for (let i = 0; i < 50 && (!row || row.status === 'generating'); i++) {
      row = await t.kernel.get(DatabaseRef).knex('messages').where({ id }).first();
      if (!row || row.status === 'generating') await sleep(20);
    }
    expect(row!.status).to.equal('stopped');
    expect(row!.answer.length).to.be.greaterThan(0);
  });
});

describe('resolved API keys are cached, and revoking one takes effect at once', function () {
  this.timeout(30_000);
  let t: TestKernel;

  beforeEach(async () => {
    t = await startKernel();
  });
  afterEach(() => t.stop());

  it('refuses a revoked key on the next request', async () => {
    const { token } = await setupOwner(t.api);
    const app = await t.api('POST', '/console/api/apps', { token, body: { name: 'Keys', mode: 'chat' } });
    const key = (await t.api('POST', `/console/api/apps/${app.body.id}/api-keys`, { token })).body;
    expect((await t.api('GET', '/v1/models', { token: key.token })).status).to.equal(200);
    expect((await t.api('GET', '/v1/info', { token: key.token })).status).to.equal(200);
    await t.api('DELETE', `/console/api/apps/${app.body.id}/api-keys/${key.id}`, { token });
    expect((await t.api('GET', '/v1/info', { token: key.token })).status).to.equal(401);
    expect((await t.api('GET', '/v1/models', { token: key.token })).status).to.equal(401);
  });
});

describeWith('redis', 'API key revocation across API processes', () => {
  let a: TestKernel;
  let b: TestKernel;

  before(function () {
    if (!TEST_DATABASE_URL) this.skip();
  });
  beforeEach(async () => {
    const schema = freshSchema();
    const env = { REDIS_PREFIX: freshRedisPrefix() };
    a = await startKernel({ schema, env });
    b = await startKernel({ schema, env });
  });
  afterEach(async () => {
    await b.kernel.stop();
    await a.stop();
  });

  it('drops a key revoked on one process from the other’s cache', async () => {
    const { token } = await setupOwner(a.api);
    const app = await a.api('POST', '/console/api/apps', { token, body: { name: 'Keys', mode: 'chat' } });
    const key = (await a.api('POST', `/console/api/apps/${app.body.id}/api-keys`, { token })).body;
    expect((await b.api('GET', '/v1/info', { token: key.token })).status).to.equal(200);
    await a.api('DELETE', `/console/api/apps/${app.body.id}/api-keys/${key.id}`, { token });
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await b.api('GET', '/v1/info', { token: key.token })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).to.equal(401);
  });
});
