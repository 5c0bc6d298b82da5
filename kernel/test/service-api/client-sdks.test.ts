import { expect } from 'chai';
import { ChatClient, CompletionClient } from 'dify-client';
import OpenAI from 'openai';
import type { Readable } from 'node:stream';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, type TestApp, startAppKernel } from '../support/apps.js';

/** Reads a `dify-client` stream (the axios response body, a Node stream) into its `data:` events. */
async function difyEvents(stream: Readable): Promise<any[]> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice(6)));
}

/**
 * The trial, as a new user would: real client SDKs (npm `dify-client`
 * and `openai`) pointed at a Tessera app, holding a streamed conversation.
 */
describe('Client SDKs against a Tessera app', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  before(async () => {
    ({ t, token, upstream } = await startAppKernel());
    app = await createPublishedApp(
      t,
      token,
      'chat',
      {
        pre_prompt: 'You help customers of {{company}}.',
        user_input_form: [{ 'text-input': { label: 'Company', variable: 'company', required: false, max_length: 20, default: 'Tessera' } }],
        opening_statement: 'Hello! Ask me anything.',
        suggested_questions: ['What can you do?'],
      },
      'Support bot',
    );
  });
  after(async () => {
    await t?.stop();
    await upstream?.stop();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });
  /** The upstream request that answered `query` (conversation naming runs in the background beside it). */
  const sentFor = (query: string) => upstream.chatRequests().find((r) => r.body.messages.at(-1).content.endsWith(query))!.body.messages;

  describe('dify-client (npm)', () => {
    it('holds a streamed conversation: parameters, two turns, history, feedback, rename, list, delete', async () => {
      const client = new ChatClient(app.key, `${t.url}/v1`);
      const user = 'sdk-user';

      const parameters = await client.getApplicationParameters(user);
      expect(parameters.status).to.equal(200);
      expect(parameters.data).to.include({ opening_statement: 'Hello! Ask me anything.' });
      expect(parameters.data.suggested_questions).to.deep.equal(['What can you do?']);
      expect(parameters.data.user_input_form[0]['text-input'].variable).to.equal('company');

      upstream.scripts = [{ kind: 'stream', words: ['Nice', ' to meet', ' you, Ada.'] }, { kind: 'stream', words: ['You are', ' Ada.'] }];
      const first = await client.createChatMessage({ company: 'Acme' }, 'My name is Ada.', user, true);
      expect(first.status).to.equal(200);
      expect(first.headers['content-type']).to.contain('text/event-stream');
      const firstEvents = await difyEvents(first.data);
      expect(firstEvents.filter((e) => e.event === 'message').map((e) => e.answer).join('')).to.equal('Nice to meet you, Ada.');
      const end = firstEvents.at(-1);
      expect(end.event).to.equal('message_end');
      const conversationId: string = end.conversation_id;
      const firstMessageId: string = end.message_id;
      expect(conversationId).to.match(/^[0-9a-f-]{36}$/);

      const second = await client.createChatMessage({ company: 'Acme' }, 'What is my name?', user, true, conversationId);
      const secondEvents = await difyEvents(second.data);
      expect(secondEvents.filter((e) => e.event === 'message').map((e) => e.answer).join('')).to.equal('You are Ada.');
      expect(secondEvents.at(-1).conversation_id).to.equal(conversationId);
      expect(sentFor('What is my name?')).to.deep.equal([
        { role: 'system', content: 'You help customers of Acme.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Nice to meet you, Ada.' },
        { role: 'user', content: 'What is my name?' },
      ]);

      const conversations = await client.getConversations(user);
      expect(conversations.data.data.map((c: { id: string }) => c.id)).to.deep.equal([conversationId]);
      expect(conversations.data.has_more).to.equal(false);

      const messages = await client.getConversationMessages(user, conversationId);
      expect(messages.data.data.map((m: { query: string; answer: string }) => [m.query, m.answer])).to.deep.equal([
        ['My name is Ada.', 'Nice to meet you, Ada.'],
        ['What is my name?', 'You are Ada.'],
      ]);

      const feedback = await client.messageFeedback(firstMessageId, 'like' as never, user);
      expect(feedback.data).to.deep.equal({ result: 'success' });
      const rated = await client.getConversationMessages(user, conversationId);
      expect(rated.data.data[0].feedback).to.deep.equal({ rating: 'like' });

      const renamed = await client.renameConversation(conversationId, 'About Ada', user);
      expect(renamed.data).to.include({ id: conversationId, name: 'About Ada' });

      const deleted = await client.deleteConversation(conversationId, user);
      expect([200, 204]).to.include(deleted.status);
      expect((await client.getConversations(user)).data.data).to.deep.equal([]);
      // Another end user never saw any of it.
      expect((await client.getConversations('someone-else')).data.data).to.deep.equal([]);
    });

    it('answers a blocking chat message', async () => {
      upstream.scripts = [{ kind: 'stream', words: ['Blocking', ' answer'] }];
      const client = new ChatClient(app.key, `${t.url}/v1`);
      const res = await client.createChatMessage({}, 'Hi', 'sdk-user-2', false);
      expect(res.data).to.include({ event: 'message', mode: 'chat', answer: 'Blocking answer' });
      expect(sentFor('Hi')[0]).to.deep.equal({ role: 'system', content: 'You help customers of Tessera.' });
    });

    it('runs a completion app with CompletionClient, blocking and streamed', async () => {
      const completion = await createPublishedApp(t, token, 'completion', { pre_prompt: 'Translate to French: {{query}}' }, 'Translator');
      const client = new CompletionClient(completion.key, `${t.url}/v1`);
      upstream.scripts = [{ kind: 'stream', words: ['Bonjour'] }, { kind: 'stream', words: ['Bon', 'soir'] }];
      const blocking = await client.createCompletionMessage({ query: 'Hello' }, 'sdk-user');
      expect(blocking.data).to.include({ event: 'message', mode: 'completion', answer: 'Bonjour' });
      expect(sentFor('Hello')).to.deep.equal([{ role: 'user', content: 'Translate to French: Hello' }]);
      const streamed = await client.createCompletionMessage({ query: 'Good evening' }, 'sdk-user', true);
      const events = await difyEvents(streamed.data);
      expect(events.filter((e) => e.event === 'message').map((e) => e.answer).join('')).to.equal('Bonsoir');
      expect(events.at(-1).event).to.equal('message_end');
    });

    it('surfaces errors as axios errors carrying our {code, message, status} body', async () => {
      const client = new ChatClient(app.key, `${t.url}/v1`);
      const error = await client.createChatMessage({}, 'Hi', 'sdk-user', false, '00000000-0000-4000-8000-000000000000').then(
        () => undefined,
        (e: { response?: { status: number; data: unknown } }) => e,
      );
      expect(error?.response?.status).to.equal(404);
      expect(error?.response?.data).to.deep.equal({ code: 'not_found', message: 'Conversation Not Exists.', status: 404 });
    });
  });

  describe('openai (npm)', () => {
    const client = () => new OpenAI({ apiKey: app.key, baseURL: `${t.url}/v1`, maxRetries: 0 });

    it('holds a streamed conversation over two turns', async () => {
      const openai = client();
      upstream.scripts = [{ kind: 'stream', words: ['Nice', ' to meet', ' you, Ada.'] }, { kind: 'stream', words: ['You are', ' Ada.'] }];
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'My name is Ada.' }];
      const first = await openai.chat.completions.create({ model: app.id, messages, stream: true, user: 'oa-user' });
      let answer = '';
      const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
      for await (const chunk of first) {
        chunks.push(chunk);
        answer += chunk.choices[0]?.delta?.content ?? '';
      }
      expect(answer).to.equal('Nice to meet you, Ada.');
      expect(chunks[0]!.choices[0]!.delta.role).to.equal('assistant');
      expect(chunks.at(-1)!.choices[0]!.finish_reason).to.equal('stop');
      for (const c of chunks) expect(c).to.include({ object: 'chat.completion.chunk', model: app.id, id: chunks[0]!.id });
      expect(chunks[0]!.id).to.match(/^chatcmpl-/);

      messages.push({ role: 'assistant', content: answer }, { role: 'user', content: 'What is my name?' });
      const second = await openai.chat.completions.create({ model: app.id, messages, stream: true, user: 'oa-user', stream_options: { include_usage: true } });
      answer = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of second) {
        answer += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(answer).to.equal('You are Ada.');
      expect(usage).to.deep.equal({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
      expect(sentFor('What is my name?')).to.deep.equal([
        { role: 'system', content: 'You help customers of Tessera.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Nice to meet you, Ada.' },
        { role: 'user', content: 'What is my name?' },
      ]);
      // Each call is stored for the end user named by `user`, visible through the Service API.
      const stored = await t.api('GET', '/v1/conversations?user=oa-user', { token: app.key });
      expect(stored.body.data).to.have.length(2);
    });

    it('answers without streaming, by app name too, with usage', async () => {
      upstream.scripts = [{ kind: 'stream', words: ['Hello', ' back'], usage: { prompt_tokens: 12, completion_tokens: 2 } }];
      const completion = await client().chat.completions.create({ model: 'Support bot', messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'Hello' }] });
      expect(completion.object).to.equal('chat.completion');
      expect(completion.model).to.equal('Support bot');
      expect(completion.choices[0]!.message).to.include({ role: 'assistant', content: 'Hello back' });
      expect(completion.choices[0]!.finish_reason).to.equal('stop');
      expect(completion.usage).to.deep.equal({ prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 });
      expect(sentFor('Hello')).to.deep.equal([
        { role: 'system', content: 'You help customers of Tessera.\n\nAnswer briefly.' },
        { role: 'user', content: 'Hello' },
      ]);
    });

    it('lists and retrieves the key’s app as a model', async () => {
      const openai = client();
      const models: OpenAI.Models.Model[] = [];
      for await (const model of openai.models.list()) models.push(model);
      expect(models).to.have.length(1);
      expect(models[0]).to.include({ id: app.id, object: 'model', owned_by: 'tessera' });
      expect(models[0]!.created).to.be.a('number');
      expect((await openai.models.retrieve(app.id)).id).to.equal(app.id);
    });

    it('raises NotFoundError for an unknown model, with our message', async () => {
      const error = await client()
        .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(OpenAI.NotFoundError);
      const notFound = error as InstanceType<typeof OpenAI.NotFoundError>;
      expect(notFound.status).to.equal(404);
      expect(notFound.code).to.equal('model_not_found');
      expect(notFound.param).to.equal('model');
      expect(notFound.type).to.equal('invalid_request_error');
      expect(notFound.message).to.contain('The model `gpt-4o` does not exist');
      expect(upstream.chatRequests()).to.have.length(0);
    });

    it('raises AuthenticationError for a bad key and a streamed provider failure as an APIError', async () => {
      const bad = new OpenAI({ apiKey: 'app-nonsense', baseURL: `${t.url}/v1`, maxRetries: 0 });
      const auth = await bad.models.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(auth).to.be.instanceOf(OpenAI.AuthenticationError);
      upstream.scripts = [{ kind: 'error', status: 400, message: 'This model’s maximum context length is 128000 tokens.', type: 'invalid_request_error' }];
      const failure = await client()
        .chat.completions.create({ model: app.id, messages: [{ role: 'user', content: 'Hi' }], stream: true })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(failure).to.be.instanceOf(OpenAI.BadRequestError);
      expect((failure as Error).message).to.contain('maximum context length');
      expect((failure as InstanceType<typeof OpenAI.APIError>).code).to.equal('completion_request_error');
    });
  });
});
