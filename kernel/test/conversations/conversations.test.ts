import { expect } from 'chai';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Service API conversations, messages, feedback and suggestions', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    app = await createPublishedApp(t, token, 'chat', { opening_statement: 'Welcome!', suggested_questions: ['What can you do?'], suggested_questions_after_answer: { enabled: true } });
  });
  afterEach(() => stopAppKernel(t, upstream));

  const chat = (query: string, extra: Record<string, unknown> = {}) => t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query, user: 'u1', auto_generate_name: false, ...extra } });
  const get = (path: string) => t.api('GET', path, { token: app.key });

  it('pages a conversation’s messages backwards from the newest, each page oldest first', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['ok'] }];
    const first = await chat('m1');
    const conversation = first.body.conversation_id;
    for (const q of ['m2', 'm3', 'm4', 'm5']) await chat(q, { conversation_id: conversation });
    const page1 = await get(`/v1/messages?user=u1&conversation_id=${conversation}&limit=2`);
    expect(page1.status).to.equal(200);
    expect(page1.body.limit).to.equal(2);
    expect(page1.body.has_more).to.equal(true);
    expect(page1.body.data.map((m: { query: string }) => m.query)).to.deep.equal(['m4', 'm5']);
    const page2 = await get(`/v1/messages?user=u1&conversation_id=${conversation}&limit=2&first_id=${page1.body.data[0].id}`);
    expect(page2.body.data.map((m: { query: string }) => m.query)).to.deep.equal(['m2', 'm3']);
    const page3 = await get(`/v1/messages?user=u1&conversation_id=${conversation}&limit=2&first_id=${page2.body.data[0].id}`);
    expect(page3.body.data.map((m: { query: string }) => m.query)).to.deep.equal(['m1']);
    expect(page3.body.has_more).to.equal(false);
    const message = page3.body.data[0];
    expect(message).to.include({ conversation_id: conversation, answer: 'ok', status: 'normal', error: null, feedback: null });
    expect(message).to.include.keys('inputs', 'message_files', 'retriever_resources', 'agent_thoughts', 'created_at');
    expect((await get(`/v1/messages?user=u1&conversation_id=${conversation}&limit=101`)).body.code).to.equal('invalid_param');
    expect((await get('/v1/messages?user=u1')).body.code).to.equal('invalid_param');
  });

  it('lists conversations by last update with keyset paging and sorting, and only the user’s own', async () => {
    const ids: string[] = [];
    for (const q of ['a', 'b', 'c']) {
      ids.push((await chat(q)).body.conversation_id);
      await sleep(5);
    }
    await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'other', user: 'u2' } });
    const page1 = await get('/v1/conversations?user=u1&limit=2');
    expect(page1.body.data.map((c: { id: string }) => c.id)).to.deep.equal([ids[2], ids[1]]);
    expect(page1.body.has_more).to.equal(true);
    const page2 = await get(`/v1/conversations?user=u1&limit=2&last_id=${ids[1]}`);
    expect(page2.body.data.map((c: { id: string }) => c.id)).to.deep.equal([ids[0]]);
    expect(page2.body.has_more).to.equal(false);
    const oldest = await get('/v1/conversations?user=u1&sort_by=created_at');
    expect(oldest.body.data.map((c: { id: string }) => c.id)).to.deep.equal(ids);
    const view = oldest.body.data[0];
    expect(view).to.include({ name: 'New conversation', status: 'normal', introduction: 'Welcome!' });
    expect(view).to.include.keys('inputs', 'created_at', 'updated_at');
    expect((await get('/v1/conversations?user=u1&sort_by=name')).body.params).to.equal('sort_by');
    expect((await get('/v1/conversations?user=u1&last_id=00000000-0000-4000-8000-000000000000')).status).to.equal(404);
  });

  it('names a new conversation after its first message, renames it, auto-generates a name, and deletes it', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Sure.'] }, { kind: 'stream', words: ['"Trip to Lisbon"'] }, { kind: 'stream', words: ['Lisbon travel plans'] }];
    const first = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Help me plan a trip to Lisbon', user: 'u1' } });
    const id = first.body.conversation_id;
    let name = '';
    for (let i = 0; i < 50 && name !== 'Trip to Lisbon'; i++) {
      name = (await get('/v1/conversations?user=u1')).body.data[0].name;
      await sleep(20);
    }
    expect(name).to.equal('Trip to Lisbon');
    const renamed = await t.api('POST', `/v1/conversations/${id}/name`, { token: app.key, body: { name: 'My trip', user: 'u1' } });
    expect(renamed.status).to.equal(200);
    expect(renamed.body).to.include({ id, name: 'My trip' });
    const legacy = await t.api('PATCH', `/v1/conversations/${id}`, { token: app.key, body: { name: 'Legacy', user: 'u1' } });
    expect(legacy.body.name).to.equal('Legacy');
    const auto = await t.api('POST', `/v1/conversations/${id}/name`, { token: app.key, body: { auto_generate: true, user: 'u1' } });
    expect(auto.body.name).to.equal('Lisbon travel plans');
    expect((await t.api('POST', `/v1/conversations/${id}/name`, { token: app.key, body: { user: 'u1' } })).body).to.include({ code: 'invalid_param', params: 'name' });
    expect((await t.api('DELETE', `/v1/conversations/${id}`, { token: app.key, body: { user: 'u2' } })).status).to.equal(404);
    const deleted = await t.api('DELETE', `/v1/conversations/${id}`, { token: app.key, body: { user: 'u1' } });
    expect(deleted.status).to.equal(204);
    expect((await get('/v1/conversations?user=u1')).body.data).to.deep.equal([]);
    expect((await t.api('DELETE', '/v1/conversations/not-a-uuid', { token: app.key, body: { user: 'u1' } })).status).to.equal(404);
    const gone = await chat('again', { conversation_id: id });
    expect(gone.status).to.equal(404);
  });

  it('records, changes and revokes feedback, shown on the message and in the app’s feedback list', async () => {
    const message = (await chat('Rate me')).body;
    const like = await t.api('POST', `/v1/messages/${message.id}/feedbacks`, { token: app.key, body: { rating: 'like', user: 'u1', content: 'great' } });
    expect(like.body).to.deep.equal({ result: 'success' });
    let listed = await get(`/v1/messages?user=u1&conversation_id=${message.conversation_id}`);
    expect(listed.body.data[0].feedback).to.deep.equal({ rating: 'like' });
    await t.api('POST', `/v1/messages/${message.id}/feedbacks`, { token: app.key, body: { rating: 'dislike', user: 'u1' } });
    listed = await get(`/v1/messages?user=u1&conversation_id=${message.conversation_id}`);
    expect(listed.body.data[0].feedback).to.deep.equal({ rating: 'dislike' });
    const all = await get('/v1/app/feedbacks?page=1&limit=20');
    expect(all.body.data).to.have.length(1);
    expect(all.body.data[0]).to.include({ message_id: message.id, rating: 'dislike', from_source: 'user' });
    expect((await t.api('POST', `/v1/messages/${message.id}/feedbacks`, { token: app.key, body: { rating: null, user: 'u1' } })).status).to.equal(200);
    listed = await get(`/v1/messages?user=u1&conversation_id=${message.conversation_id}`);
    expect(listed.body.data[0].feedback).to.equal(null);
    expect((await t.api('POST', `/v1/messages/${message.id}/feedbacks`, { token: app.key, body: { rating: 'meh', user: 'u1' } })).body.params).to.equal('rating');
    expect((await t.api('POST', `/v1/messages/${message.id}/feedbacks`, { token: app.key, body: { rating: 'like', user: 'u2' } })).status).to.equal(404);
  });

  it('suggests follow-up questions with the app’s model, and refuses when the feature is off', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['Paris is the capital.'] }, { kind: 'stream', words: ['["What about Lyon?", "Best season?", "How big is Paris?"]'] }];
    const message = (await chat('Capital of France?')).body;
    const suggested = await get(`/v1/messages/${message.id}/suggested?user=u1`);
    expect(suggested.status).to.equal(200);
    expect(suggested.body).to.deep.equal({ result: 'success', data: ['What about Lyon?', 'Best season?', 'How big is Paris?'] });
    expect(JSON.stringify(upstream.chatRequests()[1]!.body.messages)).to.contain('Paris is the capital.');
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { suggested_questions_after_answer: { enabled: false } } });
    await t.api('POST', `/console/api/apps/${app.id}/publish`, { token });
    const off = await get(`/v1/messages/${message.id}/suggested?user=u1`);
    expect(off.status).to.equal(400);
    expect(off.body.message).to.equal('Suggested Questions Is Disabled.');
  });

  it('describes the app: parameters, info, meta and site', async () => {
    const parameters = await get('/v1/parameters?user=u1');
    expect(parameters.status).to.equal(200);
    expect(parameters.body).to.include({ opening_statement: 'Welcome!' });
    expect(parameters.body.suggested_questions).to.deep.equal(['What can you do?']);
    expect(parameters.body.suggested_questions_after_answer).to.deep.equal({ enabled: true });
    expect(parameters.body).to.include.keys('user_input_form', 'file_upload', 'system_parameters', 'speech_to_text', 'text_to_speech', 'retriever_resource', 'annotation_reply', 'more_like_this', 'sensitive_word_avoidance');
    expect(parameters.body.system_parameters).to.include({ file_size_limit: 15, image_file_size_limit: 10 });
    const info = await get('/v1/info');
    expect(info.body).to.deep.equal({ name: 'Test app', description: '', tags: [], mode: 'chat', author_name: '' });
    expect((await get('/v1/meta?user=u1')).body).to.deep.equal({ tool_icons: {} });
    const site = await get('/v1/site');
    expect(site.body).to.include({ title: 'Test app', icon: '🤖', icon_type: 'emoji', default_language: 'en-US' });
  });

  it('uploads an image and sends it to a vision model as a data URL', async () => {
    await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { file_upload: { image: { enabled: true, number_limits: 2, detail: 'low', transfer_methods: ['local_file', 'remote_url'] } } } });
    await t.api('POST', `/console/api/apps/${app.id}/publish`, { token });
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'dot.png');
    form.append('user', 'u1');
    const upload = await t.api('POST', '/v1/files/upload', { token: app.key, form });
    expect(upload.status).to.equal(201);
    expect(upload.body).to.include({ name: 'dot.png', size: png.length, extension: 'png', mime_type: 'image/png' });
    const answer = await chat('What is in the picture?', { files: [{ type: 'image', transfer_method: 'local_file', upload_file_id: upload.body.id }, { type: 'image', transfer_method: 'remote_url', url: 'https://example.com/cat.jpg' }] });
    expect(answer.status).to.equal(200);
    const content = upstream.chatRequests()[0]!.body.messages.at(-1).content;
    expect(content[0]).to.deep.equal({ type: 'text', text: 'What is in the picture?' });
    expect(content[1].image_url.url).to.equal(`data:image/png;base64,${png.toString('base64')}`);
    expect(content[1].image_url.detail).to.equal('low');
    expect(content[2].image_url.url).to.equal('https://example.com/cat.jpg');
    const messages = await get(`/v1/messages?user=u1&conversation_id=${answer.body.conversation_id}`);
    expect(messages.body.data[0].message_files).to.have.length(2);
    expect(messages.body.data[0].message_files[0].url).to.equal(`/v1/files/${upload.body.id}/preview`);
    const preview = await fetch(`${t.url}/v1/files/${upload.body.id}/preview?user=u1`, { headers: { Authorization: `Bearer ${app.key}` } });
    expect(preview.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await preview.arrayBuffer()).equals(png)).to.equal(true);
    const tooMany = await chat('x', { files: [1, 2, 3].map(() => ({ type: 'image', transfer_method: 'remote_url', url: 'https://example.com/a.png' })) });
    expect(tooMany.body).to.include({ code: 'too_many_files', status: 400 });
  });

  it('sends an image given as a file form variable, checked against the field’s own settings', async () => {
    const photoApp = await createPublishedApp(t, token, 'chat', { user_input_form: [{ file: { label: 'Photo', variable: 'photo', required: true, allowed_file_types: ['image'], allowed_file_upload_methods: ['remote_url'] } }] });
    const ask = (photo: unknown) => t.api('POST', '/v1/chat-messages', { token: photoApp.key, body: { inputs: { photo }, query: 'Describe it', user: 'u1' } });
    const ok = await ask({ type: 'image', transfer_method: 'remote_url', url: 'https://example.com/dog.png' });
    expect(ok.status).to.equal(200);
    const content = upstream.chatRequests().at(-1)!.body.messages.at(-1).content;
    expect(content[1].image_url.url).to.equal('https://example.com/dog.png');
    const local = await ask({ type: 'image', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' });
    expect(local.body).to.include({ code: 'invalid_param', params: 'inputs.photo[0].transfer_method' });
    const doc = await ask({ type: 'document', transfer_method: 'remote_url', url: 'https://example.com/a.pdf' });
    expect(doc.status).to.equal(415);
    expect((await ask(null)).body.message).to.equal('photo is required in input form');
  });

  it('refuses uploads that are missing, too large or of an unsupported type', async () => {
    const send = (name: string, bytes: Buffer, user: string | null = 'u1') => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      if (user) form.append('user', user);
      return t.api('POST', '/v1/files/upload', { token: app.key, form });
    };
    const exe = await send('tool.exe', Buffer.from('MZ'));
    expect(exe.status).to.equal(415);
    expect(exe.body.code).to.equal('unsupported_file_type');
    const big = await send('big.png', Buffer.alloc(10 * 1024 * 1024 + 1));
    expect(big.status).to.equal(413);
    expect(big.body.code).to.equal('file_too_large');
    const none = new FormData();
    none.append('user', 'u1');
    const missing = await t.api('POST', '/v1/files/upload', { token: app.key, form: none });
    expect(missing.body).to.include({ code: 'no_file_uploaded', status: 400 });
    const json = await t.api('POST', '/v1/files/upload', { token: app.key, body: { user: 'u1' } });
    expect(json.body.code).to.equal('no_file_uploaded');
    expect((await send('notes.txt', Buffer.from('hello'), null)).body.message).to.equal('Arg user must be provided.');
  });
});
