import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { addMember, type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, post, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef, PackagesRef, PluginHostRef } from '../../src/services.js';

const LOCAL_PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'local');
const LOCAL_MODEL = { embedding_provider_name: 'local', embedding_model_name: 'hashed-ngrams-384' };

describe('app annotations and annotation reply', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    upstream.scripts = [{ kind: 'stream', words: ['From', ' the', ' model'] }];
    await t.kernel.get(PackagesRef).installFolder(LOCAL_PLUGIN, 'bundled', null, null, (pkg, code) => t.kernel.get(PluginHostRef).verify(pkg, code));
    app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
  });
  afterEach(() => stopAppKernel(t, upstream));

  const consoleApi = (method: string, path: string, body?: unknown, who = token) => t.api(method, `/console/api/apps/${app.id}${path}`, { token: who, ...(body !== undefined ? { body } : {}) });
  const v1 = (method: string, path: string, body?: unknown, key = app.key) => t.api(method, `/v1${path}`, { token: key, ...(body !== undefined ? { body } : {}) });
  const chat = (query: string) => v1('POST', '/chat-messages', { query, inputs: {}, user: 'u1', auto_generate_name: false });
  const annotate = async (question: string, answer: string) => {
    const res = await consoleApi('POST', '/annotations', { question, answer });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; question: string; answer: string; hit_count: number; created_at: number };
  };

  it('creates, lists, searches, updates and deletes annotations in the console, embedding their questions', async () => {
    const first = await annotate('How do I reset my password?', 'Use the “Forgot password” link on the sign-in page.');
    expect(first).to.have.all.keys('id', 'question', 'answer', 'hit_count', 'created_at');
    expect(first).to.include({ question: 'How do I reset my password?', hit_count: 0 });
    expect(first.created_at).to.be.a('number');
    await annotate('What are your opening hours?', 'Nine to five, Monday to Friday.');
    const stored = await t.kernel.get(DatabaseRef).knex('app_annotations').where({ id: first.id }).first();
    expect(stored.embedding_model).to.equal('local:hashed-ngrams-384');
    expect(JSON.parse(stored.embedding)).to.have.length(384);

    const list = await consoleApi('GET', '/annotations');
    expect(list.status).to.equal(200);
    expect(list.body).to.include({ total: 2, page: 1, limit: 20, has_more: false });
    expect(list.body.data.map((a: { question: string }) => a.question)).to.deep.equal(['What are your opening hours?', 'How do I reset my password?']);
    const searched = await consoleApi('GET', '/annotations?keyword=PASSWORD&limit=1');
    expect(searched.body).to.include({ total: 1, limit: 1 });
    expect(searched.body.data[0].id).to.equal(first.id);

    const updated = await consoleApi('PUT', `/annotations/${first.id}`, { question: 'How can I change my password?', answer: 'Under Settings → Security.' });
    expect(updated.status).to.equal(200);
    expect(updated.body).to.include({ id: first.id, question: 'How can I change my password?', answer: 'Under Settings → Security.' });
    const restored = await t.kernel.get(DatabaseRef).knex('app_annotations').where({ id: first.id }).first();
    expect(restored.embedding).to.not.equal(stored.embedding);
    const answerOnly = await consoleApi('PUT', `/annotations/${first.id}`, { answer: 'Settings → Security.' });
    expect(answerOnly.body).to.include({ question: 'How can I change my password?', answer: 'Settings → Security.' });

    expect((await consoleApi('DELETE', `/annotations/${first.id}`)).status).to.equal(204);
    expect((await consoleApi('GET', '/annotations')).body.total).to.equal(1);
    expect((await consoleApi('DELETE', `/annotations/${first.id}`)).status).to.equal(404);
    expect((await consoleApi('PUT', `/annotations/${randomUUID()}`, { answer: 'x' })).status).to.equal(404);
    expect((await consoleApi('POST', '/annotations', { question: 'No answer' })).status).to.equal(400);
    expect((await consoleApi('POST', '/annotations', { question: '   ', answer: 'x' })).status).to.equal(400);
  });

  it('offers the same annotations over the Service API with the app key, in Dify’s shapes', async () => {
    const created = await v1('POST', '/apps/annotations', { question: 'Do you ship abroad?', answer: 'Yes, to 40 countries.' });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ question: 'Do you ship abroad?', answer: 'Yes, to 40 countries.', hit_count: 0 });
    const list = await v1('GET', '/apps/annotations?page=1&limit=10');
    expect(list.status).to.equal(200);
    expect(list.body).to.have.all.keys('data', 'has_more', 'limit', 'total', 'page');
    expect(list.body).to.include({ has_more: false, limit: 10, total: 1, page: 1 });
    // The console sees what the API made, and the other way round.
    expect((await consoleApi('GET', '/annotations')).body.data[0].id).to.equal(created.body.id);
    const updated = await v1('PUT', `/apps/annotations/${created.body.id}`, { question: 'Do you ship abroad?', answer: 'Yes, to 41 countries.' });
    expect(updated.status).to.equal(200);
    expect(updated.body.answer).to.equal('Yes, to 41 countries.');
    expect((await v1('GET', '/apps/annotations?keyword=abroad')).body.total).to.equal(1);
    expect((await v1('GET', '/apps/annotations?keyword=nothing-like-it')).body.total).to.equal(0);
    expect((await v1('DELETE', `/apps/annotations/${created.body.id}`)).status).to.equal(204);
    expect((await v1('GET', '/apps/annotations')).body.total).to.equal(0);

    // Another app's key reaches only its own annotations.
    const other = await createPublishedApp(t, token, 'chat', {}, 'Other');
    const mine = await v1('POST', '/apps/annotations', { question: 'Q', answer: 'A' });
    expect((await v1('PUT', `/apps/annotations/${mine.body.id}`, { answer: 'B' }, other.key)).status).to.equal(404);
    expect((await v1('DELETE', `/apps/annotations/${mine.body.id}`, undefined, other.key)).status).to.equal(404);
    expect((await v1('GET', '/apps/annotations', undefined, other.key)).body.total).to.equal(0);
    expect((await t.api('GET', '/v1/apps/annotations')).status).to.equal(401);
  });

  it('answers a near-identical question from an annotation without calling the model, and counts the hit', async () => {
    const annotation = await annotate('How do I reset my password?', 'Use the “Forgot password” link.');
    const enable = await v1('POST', '/apps/annotation-reply/enable', { ...LOCAL_MODEL, score_threshold: 0.85 });
    expect(enable.status).to.equal(200);
    expect(enable.body).to.have.all.keys('job_id', 'job_status');
    expect(enable.body.job_status).to.equal('completed');
    const status = await v1('GET', `/apps/annotation-reply/enable/status/${enable.body.job_id}`);
    expect(status.body).to.deep.equal({ job_id: enable.body.job_id, job_status: 'completed', error_msg: '' });
    expect((await v1('GET', `/apps/annotation-reply/disable/status/${enable.body.job_id}`)).status).to.equal(400);
    expect((await v1('GET', '/parameters?user=u1')).body.annotation_reply).to.deep.equal({ enabled: true });

    const before = upstream.chatRequests().length;
    const response = await post(t, app.key, '/chat-messages', { query: 'how do I reset my password please', inputs: {}, user: 'u1', response_mode: 'streaming', auto_generate_name: false });
    const { events } = parseSse(await response.text());
    expect(upstream.chatRequests().length).to.equal(before);
    expect(events.filter((e) => e.event === 'message').map((e) => e.answer).join('')).to.equal('Use the “Forgot password” link.');
    const end = events.at(-1);
    expect(end.event).to.equal('message_end');
    expect(end.metadata.annotation_reply.id).to.equal(annotation.id);
    expect(end.metadata.usage.total_tokens).to.equal(0);

    const blocking = await chat('How do I reset my password?');
    expect(blocking.body.answer).to.equal('Use the “Forgot password” link.');
    expect(blocking.body.metadata.annotation_reply.id).to.equal(annotation.id);
    expect(upstream.chatRequests().length).to.equal(before);

    // A different question goes to the model.
    const other = await chat('What is the capital of France?');
    expect(other.body.answer).to.equal('From the model');
    expect(other.body.metadata).to.not.have.property('annotation_reply');
    expect(upstream.chatRequests().length).to.equal(before + 1);
    // Close, but under the threshold: the model too.
    expect((await chat('How can I reset my password?')).body.answer).to.equal('From the model');

    const listed = await consoleApi('GET', '/annotations');
    expect(listed.body.data[0].hit_count).to.equal(2);
    // The logs show which messages an annotation answered.
    const messages = await consoleApi('GET', '/messages');
    const hits = messages.body.data.filter((m: { annotation_reply: unknown }) => m.annotation_reply);
    expect(hits).to.have.length(2);

    // Turned off, the model answers again.
    const disable = await v1('POST', '/apps/annotation-reply/disable', {});
    expect(disable.body.job_status).to.equal('completed');
    expect((await v1('GET', `/apps/annotation-reply/disable/status/${disable.body.job_id}`)).body.job_status).to.equal('completed');
    expect((await chat('How do I reset my password?')).body.answer).to.equal('From the model');
    expect((await consoleApi('GET', '/annotations')).body.data[0].hit_count).to.equal(2);
  });

  it('embeds with the workspace default model when the app names none, and re-embeds when the model changes', async () => {
    const annotation = await annotate('Where is my order?', 'Track it under Orders.');
    expect((await t.kernel.get(DatabaseRef).knex('app_annotations').where({ id: annotation.id }).first()).embedding_model).to.equal('local:hashed-ngrams-384');
    // The console enables it without naming a model: the local lexical one is used.
    const enable = await consoleApi('POST', '/annotation-reply/enable', { score_threshold: 0.9 });
    expect(enable.body.job_status).to.equal('completed');
    expect((await consoleApi('GET', `/annotation-reply/enable/status/${enable.body.job_id}`)).body).to.include({ job_status: 'completed', error_msg: '' });
    expect((await consoleApi('GET', '/annotation-setting')).body).to.deep.equal({ enabled: true, score_threshold: 0.9, embedding_model: LOCAL_MODEL });
    expect((await chat('Where is my order?')).body.answer).to.equal('Track it under Orders.');

    // The workspace default changes: questions are embedded again at the next reply.
    const setDefault = await t.api('POST', '/console/api/workspaces/current/default-model', { token, body: { model_settings: [{ model_type: 'text-embedding', provider: 'local', model: 'hashed-ngrams-768' }] } });
    expect(setDefault.status, JSON.stringify(setDefault.body)).to.be.oneOf([200, 201, 204]);
    expect((await chat('where is my order')).body.answer).to.equal('Track it under Orders.');
    const row = await t.kernel.get(DatabaseRef).knex('app_annotations').where({ id: annotation.id }).first();
    expect(row.embedding_model).to.equal('local:hashed-ngrams-768');
    expect(JSON.parse(row.embedding)).to.have.length(768);

    // Naming a model for the app re-embeds everything at once.
    const named = await v1('POST', '/apps/annotation-reply/enable', { ...LOCAL_MODEL, score_threshold: 0.95 });
    expect(named.body.job_status).to.equal('completed');
    expect((await t.kernel.get(DatabaseRef).knex('app_annotations').where({ id: annotation.id }).first()).embedding_model).to.equal('local:hashed-ngrams-384');
    expect((await consoleApi('GET', '/annotation-setting')).body).to.deep.equal({ enabled: true, score_threshold: 0.95, embedding_model: LOCAL_MODEL });
  });

  it('applies annotation reply to the published app at once without publishing other draft edits; a broken model fails the job and changes nothing', async () => {
    await annotate('Hello?', 'Hi!');
    await consoleApi('PUT', '/model-config', { pre_prompt: 'Draft prompt, not yet published.' });
    const enable = await v1('POST', '/apps/annotation-reply/enable', { ...LOCAL_MODEL, score_threshold: 0.8 });
    expect(enable.body.job_status).to.equal('completed');
    const details = await consoleApi('GET', '');
    expect(details.body.published_model_config.annotation_reply).to.deep.include({ enabled: true, score_threshold: 0.8, embedding_model: LOCAL_MODEL });
    expect(details.body.published_model_config.pre_prompt).to.equal('Be brief.');
    expect(details.body.model_config.pre_prompt).to.equal('Draft prompt, not yet published.');
    expect(details.body.model_config.annotation_reply.enabled).to.equal(true);

    const broken = await v1('POST', '/apps/annotation-reply/enable', { embedding_provider_name: 'nowhere', embedding_model_name: 'nothing', score_threshold: 0.5 });
    expect(broken.status).to.equal(200);
    expect(broken.body.job_status).to.equal('error');
    const status = await v1('GET', `/apps/annotation-reply/enable/status/${broken.body.job_id}`);
    expect(status.body.job_status).to.equal('error');
    expect(status.body.error_msg).to.contain('nowhere');
    const after = await consoleApi('GET', '');
    expect(after.body.published_model_config.annotation_reply).to.deep.include({ score_threshold: 0.8, embedding_model: LOCAL_MODEL });

    expect((await v1('POST', '/apps/annotation-reply/enable', { score_threshold: 2 })).status).to.equal(400);
    expect((await v1('POST', '/apps/annotation-reply/toggle', {})).status).to.equal(404);
    expect((await v1('GET', `/apps/annotation-reply/enable/status/${randomUUID()}`)).status).to.equal(400);
  });

  it('lets a normal member read annotations but not change them', async () => {
    const annotation = await annotate('Q?', 'A.');
    const normal = await addMember(t.api, token, 'viewer@example.com', 'normal');
    expect((await consoleApi('GET', '/annotations', undefined, normal.token)).status).to.equal(200);
    for (const [method, path, body] of [
      ['POST', '/annotations', { question: 'x', answer: 'y' }],
      ['PUT', `/annotations/${annotation.id}`, { answer: 'z' }],
      ['DELETE', `/annotations/${annotation.id}`, undefined],
      ['POST', '/annotation-reply/enable', { score_threshold: 0.9 }],
    ] as const) {
      const res = await consoleApi(method, path, body, normal.token);
      expect(res.status, `${method} ${path}`).to.equal(403);
      expect(res.body.code).to.equal('no_permission');
    }
    const editor = await addMember(t.api, token, 'editor@example.com', 'editor');
    expect((await consoleApi('PUT', `/annotations/${annotation.id}`, { answer: 'B.' }, editor.token)).status).to.equal(200);
    expect((await consoleApi('GET', '/annotations')).body.data[0].answer).to.equal('B.');
  });
});
