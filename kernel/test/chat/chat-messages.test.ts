import { expect } from 'chai';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, post, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef } from '../../src/services.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Service API chat-messages against an OpenAI-wire provider', function () {
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
      opening_statement: 'Hello!',
    });
  });
  afterEach(() => stopAppKernel(t, upstream));

  const chat = (body: Record<string, unknown>, key = app.key) => t.api('POST', '/v1/chat-messages', { token: key, body: { inputs: { company: 'Acme' }, user: 'u1', auto_generate_name: false, ...body } });

  it('answers a blocking message with the rendered system prompt and usage in Dify’s shape', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Hi', ' from', ' Acme'], usage: { prompt_tokens: 21, completion_tokens: 3 } }];
    const res = await chat({ query: 'Who are you?' });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ event: 'message', mode: 'chat', answer: 'Hi from Acme' });
    expect(res.body.id).to.equal(res.body.message_id);
    expect(res.body.task_id).to.be.a('string');
    expect(res.body.conversation_id).to.match(/^[0-9a-f-]{36}$/);
    expect(res.body.created_at).to.be.a('number');
    expect(res.body.metadata.usage).to.include({ prompt_tokens: 21, completion_tokens: 3, total_tokens: 24, currency: 'USD' });
    expect(res.body.metadata.usage.total_price).to.match(/^\d+\.\d+$/);
    expect(res.body.metadata.retriever_resources).to.deep.equal([]);
    const sent = upstream.chatRequests()[0]!.body;
    expect(sent.model).to.equal('gpt-4o-mini');
    expect(sent.temperature).to.equal(0.3);
    expect(sent.messages).to.deep.equal([
      { role: 'system', content: 'You help customers of Acme.' },
      { role: 'user', content: 'Who are you?' },
    ]);
  });

  it('streams message events, then message_end, as data frames', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['One', ' two', ' three'] }];
    const response = await post(t, app.key, '/chat-messages', { inputs: { company: 'Acme' }, query: 'Count', user: 'u1', response_mode: 'streaming' });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.contain('text/event-stream');
    const { events } = parseSse(await response.text());
    const messages = events.filter((e) => e.event === 'message');
    expect(messages.map((e) => e.answer).join('')).to.equal('One two three');
    for (const e of events) expect(e).to.include.keys('task_id', 'message_id', 'conversation_id');
    expect(new Set(events.map((e) => e.message_id)).size).to.equal(1);
    const end = events.at(-1);
    expect(end.event).to.equal('message_end');
    expect(end.metadata.usage.total_tokens).to.be.greaterThan(0);
  });

  it('remembers earlier turns of a conversation and keeps its inputs', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Nice to meet you, Ada.'] }, { kind: 'stream', words: ['Your name is Ada.'] }];
    const first = await chat({ query: 'My name is Ada.' });
    const second = await chat({ query: 'What is my name?', conversation_id: first.body.conversation_id, inputs: { company: 'Other' } });
    expect(second.status).to.equal(200);
    expect(second.body.conversation_id).to.equal(first.body.conversation_id);
    const sent = upstream.chatRequests()[1]!.body.messages;
    expect(sent).to.deep.equal([
      { role: 'system', content: 'You help customers of Acme.' },
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Nice to meet you, Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);
  });

  it('bounds memory by tokens, dropping the oldest turns first', async () => {
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { memory: { max_tokens: 40 } } });
    await t.api('POST', `/console/api/apps/${app.id}/publish`, { token });
    upstream.scripts = [{ kind: 'stream', words: ['ok'] }];
    const first = await chat({ query: 'alpha '.repeat(20).trim() });
    await chat({ query: 'beta', conversation_id: first.body.conversation_id });
    await chat({ query: 'gamma', conversation_id: first.body.conversation_id });
    const sent = upstream.chatRequests()[2]!.body.messages.map((m: { content: string }) => m.content);
    expect(sent).to.deep.equal(['You help customers of Acme.', 'beta', 'ok', 'gamma']);
  });

  it('stops a stream mid-way: the upstream request is aborted and the partial answer is stored as stopped', async () => {
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 20 }];
    const response = await post(t, app.key, '/chat-messages', { inputs: { company: 'Acme' }, query: 'Talk', user: 'u1', response_mode: 'streaming', auto_generate_name: false });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"event":"message"')) text += decoder.decode((await reader.read()).value);
    const taskId = JSON.parse(text.split('\n\n')[0]!.slice(6)).task_id as string;
    const wrongUser = await t.api('POST', `/v1/chat-messages/${taskId}/stop`, { token: app.key, body: { user: 'someone-else' } });
    expect(wrongUser.body).to.deep.equal({ result: 'success' });
    await sleep(60);
    const stop = await t.api('POST', `/v1/chat-messages/${taskId}/stop`, { token: app.key, body: { user: 'u1' } });
    expect(stop.status).to.equal(200);
    expect(stop.body).to.deep.equal({ result: 'success' });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const { events } = parseSse(text);
    expect(events.at(-1).event).to.equal('message_end');
    const streamed = events.filter((e) => e.event === 'message').length;
    expect(streamed).to.be.greaterThan(1).and.lessThan(200);
    for (let i = 0; i < 50 && upstream.closedEarly === 0; i++) await sleep(20);
    expect(upstream.closedEarly).to.equal(1);
    const row = await t.kernel.get(DatabaseRef).knex('messages').where({ id: events[0].message_id }).first();
    expect(row.status).to.equal('stopped');
    expect(row.answer.length).to.be.greaterThan(0);
  });

  it('sends an error event when the provider fails after the stream started, and stores the failure', async () => {
    upstream.scripts = [{ kind: 'error', status: 400, message: 'This model’s maximum context length is 128000 tokens.', type: 'invalid_request_error' }];
    const response = await post(t, app.key, '/chat-messages', { inputs: { company: 'Acme' }, query: 'Hi', user: 'u1', response_mode: 'streaming' });
    const { events } = parseSse(await response.text());
    const error = events.at(-1);
    expect(error).to.include({ event: 'error', code: 'completion_request_error', status: 400 });
    expect(error.message).to.contain('maximum context length');
    const row = await t.kernel.get(DatabaseRef).knex('messages').where({ id: error.message_id }).first();
    expect(row).to.include({ status: 'error' });
  });

  it('returns the provider failure as a JSON error in blocking mode', async () => {
    upstream.scripts = [{ kind: 'error', status: 400, message: 'Bad request from model', type: 'invalid_request_error' }];
    const res = await chat({ query: 'Hi' });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.include({ code: 'completion_request_error', status: 400 });
  });

  it('checks the request: user, query, inputs, conversation, mode and response mode', async () => {
    const noUser = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query: 'x', inputs: { company: 'A' } } });
    expect(noUser.status).to.equal(400);
    expect(noUser.body).to.deep.equal({ code: 'invalid_param', message: 'Arg user must be provided.', status: 400, params: 'user' });
    const missingInput = await chat({ query: 'x', inputs: {} });
    expect(missingInput.body).to.include({ code: 'invalid_param', message: 'company is required in input form', status: 400 });
    const tooLong = await chat({ query: 'x', inputs: { company: 'x'.repeat(21) } });
    expect(tooLong.body.message).to.equal('company in input form must be less than 20 characters');
    expect((await chat({ query: '' })).body.code).to.equal('invalid_param');
    const unknownConversation = await chat({ query: 'x', conversation_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknownConversation.status).to.equal(404);
    expect(unknownConversation.body).to.include({ code: 'not_found', message: 'Conversation Not Exists.' });
    expect((await chat({ query: 'x', response_mode: 'sometimes' })).body.params).to.equal('response_mode');
    const completion = await createPublishedApp(t, token, 'completion');
    const wrongMode = await chat({ query: 'x' }, completion.key);
    expect(wrongMode.body).to.include({ code: 'not_chat_app', status: 400 });
    expect(upstream.chatRequests()).to.have.length(0);
  });

  it('keeps each user’s conversations to themselves', async () => {
    const mine = await chat({ query: 'Hi' });
    const theirs = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: { company: 'A' }, query: 'Hi', user: 'u2', conversation_id: mine.body.conversation_id } });
    expect(theirs.status).to.equal(404);
    const list = await t.api('GET', '/v1/messages?user=u2&conversation_id=' + mine.body.conversation_id, { token: app.key });
    expect(list.status).to.equal(404);
  });

  it('refuses unknown keys with 401, an unpublished app with app_unavailable and a disabled API with 403', async () => {
    const bad = await t.api('POST', '/v1/chat-messages', { token: 'app-nonsense', body: { query: 'x', user: 'u' } });
    expect(bad.status).to.equal(401);
    expect(bad.headers.get('www-authenticate')).to.equal('Bearer realm="api"');
    const draft = await t.api('POST', '/console/api/apps', { token, body: { name: 'Draft', mode: 'chat' } });
    const draftKey = (await t.api('POST', `/console/api/apps/${draft.body.id}/api-keys`, { token })).body.token;
    const unpublished = await t.api('POST', '/v1/chat-messages', { token: draftKey, body: { query: 'x', user: 'u' } });
    expect(unpublished.body).to.include({ code: 'app_unavailable', status: 400 });
    await t.api('POST', `/console/api/apps/${app.id}/api-enable`, { token, body: { enable_api: false } });
    const disabled = await chat({ query: 'x' });
    expect(disabled.status).to.equal(403);
    expect(disabled.body.message).to.equal("The app's API service has been disabled.");
  });

  it('answers flagged input with the preset response and replaces a flagged answer', async () => {
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, {
      token,
      body: { sensitive_word_avoidance: { enabled: true, type: 'keywords', configs: { keywords: 'forbidden\nsecret', inputs_config: { enabled: true, preset_response: 'I cannot help with that.' }, outputs_config: { enabled: true, preset_response: '[removed]' } } } },
    });
    await t.api('POST', `/console/api/apps/${app.id}/publish`, { token });
    const flagged = await chat({ query: 'Tell me the FORBIDDEN thing' });
    expect(flagged.body.answer).to.equal('I cannot help with that.');
    expect(upstream.chatRequests()).to.have.length(0);
    upstream.scripts = [{ kind: 'stream', words: ['The ', 'secret', ' is out'] }];
    const response = await post(t, app.key, '/chat-messages', { inputs: { company: 'Acme' }, query: 'Hi', user: 'u1', response_mode: 'streaming' });
    const { events } = parseSse(await response.text());
    const replace = events.find((e) => e.event === 'message_replace');
    expect(replace).to.include({ answer: '[removed]' });
    const stored = await t.kernel.get(DatabaseRef).knex('messages').where({ id: replace.message_id }).first();
    expect(stored.answer).to.equal('[removed]');
  });
});
