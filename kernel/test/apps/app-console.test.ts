import { expect } from 'chai';
import { addMember, type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef } from '../../src/services.js';

describe('console: configuring, publishing and previewing apps', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
  });
  afterEach(() => stopAppKernel(t, upstream));

  it('creates an app with the mode’s defaults, saves a draft, publishes versions and runs only the published one over the API', async () => {
    const created = await t.api('POST', '/console/api/apps', { token, body: { name: ' Helper ', mode: 'chat', icon: '🦊', model_config: { model: { provider: 'openai', name: 'gpt-4o-mini' }, pre_prompt: 'Version one.' } } });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ name: 'Helper', mode: 'chat', icon: '🦊', enable_api: true, published_at: null, has_unpublished_changes: true, published_model_config: null });
    expect(created.body.model_config.memory).to.deep.equal({ max_tokens: 2000 });
    expect(created.body.model_config.agent_mode.enabled).to.equal(false);
    const id = created.body.id as string;
    const published = await t.api('POST', `/console/api/apps/${id}/publish`, { token });
    expect(published.body.has_unpublished_changes).to.equal(false);
    expect(published.body.published_at).to.be.a('number');
    const key = (await t.api('POST', `/console/api/apps/${id}/api-keys`, { token })).body.token as string;

    const draft = await t.api('PUT', `/console/api/apps/${id}/model-config`, { token, body: { pre_prompt: 'Version two.' } });
    expect(draft.body.model_config.pre_prompt).to.equal('Version two.');
    expect(draft.body.published_model_config.pre_prompt).to.equal('Version one.');
    expect(draft.body.has_unpublished_changes).to.equal(true);
    await t.api('POST', '/v1/chat-messages', { token: key, body: { query: 'hi', user: 'u', inputs: {}, auto_generate_name: false } });
    expect(upstream.chatRequests()[0]!.body.messages[0].content).to.equal('Version one.');

    // The console preview runs the draft.
    const preview = await t.api('POST', `/console/api/apps/${id}/chat-messages`, { token, body: { query: 'hi', inputs: {}, auto_generate_name: false } });
    expect(preview.status).to.equal(200);
    expect(preview.body.answer).to.equal('Hello there!');
    expect(upstream.chatRequests()[1]!.body.messages[0].content).to.equal('Version two.');

    await t.api('POST', `/console/api/apps/${id}/publish`, { token });
    await t.api('POST', '/v1/chat-messages', { token: key, body: { query: 'hi', user: 'u', inputs: {}, auto_generate_name: false } });
    expect(upstream.chatRequests()[2]!.body.messages[0].content).to.equal('Version two.');
    const versions = await t.api('GET', `/console/api/apps/${id}/versions`, { token });
    expect(versions.body.data.map((v: { version: number; current: boolean }) => [v.version, v.current])).to.deep.equal([[2, true], [1, false]]);
  });

  it('streams the preview chat and stops it as the signed-in account', async () => {
    const app = await createPublishedApp(t, token, 'chat');
    upstream.scripts = [{ kind: 'stream', words: ['a', 'b', 'c'] }];
    const response = await fetch(`${t.url}/console/api/apps/${app.id}/chat-messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ query: 'go', inputs: {}, response_mode: 'streaming' }) });
    const { events } = parseSse(await response.text());
    expect(events.filter((e) => e.event === 'message').map((e) => e.answer).join('')).to.equal('abc');
    expect(events.at(-1).event).to.equal('message_end');
    const stored = await t.kernel.get(DatabaseRef).knex('messages').where({ id: events[0].message_id }).first();
    expect(stored).to.include({ from_source: 'console', end_user_id: null });
    const stop = await t.api('POST', `/console/api/apps/${app.id}/chat-messages/${events[0].task_id}/stop`, { token });
    expect(stop.body).to.deep.equal({ result: 'success' });
  });

  it('rejects bad configs with the field named, and leaves the draft unchanged', async () => {
    const app = await createPublishedApp(t, token, 'chat');
    const before = (await t.api('GET', `/console/api/apps/${app.id}`, { token })).body.model_config;
    const cases: Array<[unknown, string]> = [
      [{ user_input_form: [{ 'text-input': { variable: 'bad name', label: 'x' } }] }, 'model_config.user_input_form[0].variable'],
      [{ user_input_form: [{ select: { variable: 'tone', label: 'Tone' } }] }, 'model_config.user_input_form[0].options'],
      [{ user_input_form: [{ 'text-input': { variable: 'a' } }, { paragraph: { variable: 'a' } }] }, 'model_config.user_input_form[1].variable'],
      [{ user_input_form: [{ slider: { variable: 'a' } }] }, 'model_config.user_input_form[0]'],
      [{ memory: { max_tokens: -1 } }, 'model_config.memory.max_tokens'],
      [{ agent_mode: { max_iteration: 0 } }, 'model_config.agent_mode.max_iteration'],
      [{ model: { completion_params: 'hot' } }, 'model_config.model.completion_params'],
      [[1, 2], 'model_config'],
    ];
    for (const [body, field] of cases) {
      const res = await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body });
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.params, JSON.stringify(body)).to.equal(field);
    }
    expect((await t.api('GET', `/console/api/apps/${app.id}`, { token })).body.model_config).to.deep.equal(before);
  });

  it('copies an app with its published and draft configs but no keys, updates details, filters the list and deletes', async () => {
    const app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Published.' }, 'Original');
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { pre_prompt: 'Draft.' } });
    const copy = await t.api('POST', `/console/api/apps/${app.id}/copy`, { token, body: { name: 'Clone' } });
    expect(copy.status).to.equal(201);
    expect(copy.body).to.include({ name: 'Clone', mode: 'chat' });
    expect(copy.body.model_config.pre_prompt).to.equal('Draft.');
    expect(copy.body.published_model_config.pre_prompt).to.equal('Published.');
    expect((await t.api('GET', `/console/api/apps/${copy.body.id}/api-keys`, { token })).body.data).to.deep.equal([]);
    const updated = await t.api('PUT', `/console/api/apps/${copy.body.id}`, { token, body: { description: 'A clone', max_active_requests: 3, api_rpm: 60 } });
    expect(updated.body).to.include({ description: 'A clone', max_active_requests: 3, api_rpm: 60 });
    await createPublishedApp(t, token, 'completion', {}, 'Writer');
    const chats = await t.api('GET', '/console/api/apps?mode=chat', { token });
    expect(chats.body.data.map((a: { name: string }) => a.name).sort()).to.deep.equal(['Clone', 'Original']);
    const byName = await t.api('GET', '/console/api/apps?name=writ', { token });
    expect(byName.body.data.map((a: { name: string }) => a.name)).to.deep.equal(['Writer']);
    expect(byName.body.data[0]).to.not.have.property('model_config');
    expect((await t.api('DELETE', `/console/api/apps/${app.id}`, { token })).status).to.equal(204);
    const orphan = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query: 'x', user: 'u' } });
    expect(orphan.status).to.equal(401);
  });

  it('lets a normal member view apps but not change, publish or preview them', async () => {
    const app = await createPublishedApp(t, token, 'chat');
    const member = await addMember(t.api, token, 'norm@example.com', 'normal');
    expect((await t.api('GET', `/console/api/apps/${app.id}`, { token: member.token })).status).to.equal(200);
    for (const [method, path] of [
      ['PUT', `/console/api/apps/${app.id}/model-config`],
      ['POST', `/console/api/apps/${app.id}/publish`],
      ['POST', `/console/api/apps/${app.id}/copy`],
      ['POST', `/console/api/apps/${app.id}/chat-messages`],
      ['POST', `/console/api/apps/${app.id}/api-enable`],
    ] as const) {
      const res = await t.api(method, path, { token: member.token, body: {} });
      expect(res.status, path).to.equal(403);
    }
  });
});

describe('Service API completion-messages and limits', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
  });
  afterEach(() => stopAppKernel(t, upstream));

  it('renders the completion prompt from inputs, answers without a conversation, and refuses chat calls', async () => {
    const app = await createPublishedApp(t, token, 'completion', {
      pre_prompt: 'Translate into {{language}}: {{query}}',
      user_input_form: [
        { select: { label: 'Language', variable: 'language', required: true, options: ['French', 'German'] } },
        { paragraph: { label: 'Text', variable: 'query', required: true } },
      ],
    });
    upstream.scripts = [{ kind: 'stream', words: ['Bonjour'] }];
    const res = await t.api('POST', '/v1/completion-messages', { token: app.key, body: { inputs: { language: 'French', query: 'Hello' }, user: 'u', response_mode: 'blocking' } });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ event: 'message', mode: 'completion', answer: 'Bonjour' });
    expect(res.body).to.not.have.property('conversation_id');
    expect(upstream.chatRequests()[0]!.body.messages).to.deep.equal([{ role: 'user', content: 'Translate into French: Hello' }]);
    const stream = await fetch(`${t.url}/v1/completion-messages`, { method: 'POST', headers: { Authorization: `Bearer ${app.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: { language: 'German', query: 'Hi' }, user: 'u', response_mode: 'streaming' }) });
    const { events } = parseSse(await stream.text());
    expect(events.map((e) => e.event)).to.deep.equal(['message', 'message_end']);
    expect(events[0]).to.not.have.property('conversation_id');
    const badOption = await t.api('POST', '/v1/completion-messages', { token: app.key, body: { inputs: { language: 'Klingon', query: 'x' }, user: 'u' } });
    expect(badOption.body.message).to.equal('language in input form must be one of the following: ["French","German"]');
    const chat = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query: 'x', user: 'u' } });
    expect(chat.body.code).to.equal('not_chat_app');
    const chatApp = await createPublishedApp(t, token, 'chat');
    expect((await t.api('POST', '/v1/completion-messages', { token: chatApp.key, body: { inputs: {}, user: 'u' } })).body.code).to.equal('not_completion_app');
    expect((await t.api('GET', '/v1/conversations?user=u', { token: app.key })).body.code).to.equal('not_chat_app');
  });

  it('limits concurrent generations per app and requests per minute per key with 429', async () => {
    const app = await createPublishedApp(t, token, 'chat');
    await t.api('PUT', `/console/api/apps/${app.id}`, { token, body: { max_active_requests: 1, api_rpm: 3 } });
    upstream.scripts = [{ kind: 'stream', words: ['slow', ' answer'], delayMs: 150 }];
    const body = JSON.stringify({ query: 'x', user: 'u', inputs: {} });
    const send = () => fetch(`${t.url}/v1/chat-messages`, { method: 'POST', headers: { Authorization: `Bearer ${app.key}`, 'Content-Type': 'application/json' }, body });
    const [a, b] = await Promise.all([send(), send()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).to.deep.equal([200, 429]);
    const refused = (await (a.status === 429 ? a : b).json()) as { code: string };
    expect(refused.code).to.equal('too_many_requests');
    expect((await send()).status).to.equal(200);
    const overRate = await send();
    expect(overRate.status).to.equal(429);
    expect(Number(overRate.headers.get('retry-after'))).to.be.within(1, 60);
  });
});
