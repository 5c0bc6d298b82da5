import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { addMember, type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';
import { DatabaseRef } from '../../src/services.js';

const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);
const utcDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

describe('console logs and statistics of an app', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    upstream.scripts = [{ kind: 'stream', words: ['Sure', ' thing'], usage: { prompt_tokens: 12, completion_tokens: 3 } }];
    app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
  });
  afterEach(() => stopAppKernel(t, upstream));

  const chat = async (user: string, query: string, conversationId?: string) => {
    const res = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query, user, inputs: {}, auto_generate_name: false, ...(conversationId ? { conversation_id: conversationId } : {}) } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as { conversation_id: string; message_id: string };
  };
  const preview = async (query: string) => {
    const res = await t.api('POST', `/console/api/apps/${app.id}/chat-messages`, { token, body: { query, inputs: {}, response_mode: 'blocking', auto_generate_name: false } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as { conversation_id: string; message_id: string };
  };
  const logs = (query = '', who = token) => t.api('GET', `/console/api/apps/${app.id}/conversations${query}`, { token: who });

  /** Three conversations: u1 (two messages, liked), u2 (one, disliked), and a console preview. */
  async function seed() {
    const a1 = await chat('u1', 'Tell me about pandas');
    const a2 = await chat('u1', 'And their diet?', a1.conversation_id);
    const b = await chat('u2', 'Weather today?');
    const c = await preview('Testing the draft');
    expect((await t.api('POST', `/v1/messages/${a2.message_id}/feedbacks`, { token: app.key, body: { rating: 'like', user: 'u1' } })).status).to.equal(200);
    expect((await t.api('POST', `/v1/messages/${b.message_id}/feedbacks`, { token: app.key, body: { rating: 'dislike', user: 'u2', content: 'wrong' } })).status).to.equal(200);
    return { a: a1.conversation_id, a1: a1.message_id, a2: a2.message_id, b: b.conversation_id, bMessage: b.message_id, c: c.conversation_id };
  }

  it('lists conversations newest first with sources, end users and feedback counts', async () => {
    const s = await seed();
    const res = await logs();
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ page: 1, limit: 20, total: 3, has_more: false });
    expect(res.body.data.map((c: { id: string }) => c.id)).to.deep.equal([s.c, s.b, s.a]);
    const [c, b, a] = res.body.data;
    expect(a).to.include({ from_source: 'api', from_end_user_session_id: 'u1', from_account_id: null, message_count: 2, status: 'normal' });
    expect(a.user_feedback_stats).to.deep.equal({ like: 1, dislike: 0 });
    expect(b.user_feedback_stats).to.deep.equal({ like: 0, dislike: 1 });
    expect(c).to.include({ from_source: 'console', from_end_user_session_id: null });
    expect(c.from_account_id).to.be.a('string');
    expect(a.created_at).to.be.a('number');
    expect(a.updated_at).to.be.at.least(a.created_at);
    expect(a.name).to.equal('New conversation');

    const paged = await logs('?limit=2&page=2');
    expect(paged.body).to.include({ page: 2, limit: 2, total: 3, has_more: false });
    expect(paged.body.data.map((x: { id: string }) => x.id)).to.deep.equal([s.a]);
    expect((await logs('?limit=2')).body.has_more).to.equal(true);
  });

  it('filters conversations by source, rating, keyword and date window', async () => {
    const s = await seed();
    const ids = async (query: string) => {
      const res = await logs(query);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.data.map((x: { id: string }) => x.id);
    };
    expect(await ids('?source=console')).to.deep.equal([s.c]);
    expect(await ids('?source=api')).to.deep.equal([s.b, s.a]);
    expect(await ids('?rating=like')).to.deep.equal([s.a]);
    expect(await ids('?rating=dislike')).to.deep.equal([s.b]);
    expect(await ids('?keyword=DIET')).to.deep.equal([s.a]);
    expect(await ids('?keyword=sure%20thing')).to.have.length(3);
    expect(await ids('?keyword=100%25')).to.deep.equal([]);

    // Conversation b happened ten days ago.
    const old = new Date((now() - 10 * DAY) * 1000);
    await t.kernel.get(DatabaseRef).knex('conversations').where({ id: s.b }).update({ created_at: old, updated_at: old });
    expect(await ids(`?start=${now() - 5 * DAY}`)).to.deep.equal([s.c, s.a]);
    expect(await ids(`?end=${now() - 5 * DAY}`)).to.deep.equal([s.b]);
    expect(await ids(`?start=${now() - 11 * DAY}&end=${now() - 9 * DAY}&source=api`)).to.deep.equal([s.b]);
    expect(await ids(`?start=${now() + DAY}`)).to.deep.equal([]);
    expect(await ids(`?start=${utcDate(now() - 11 * DAY)}&end=${utcDate(now() - 9 * DAY)}`)).to.deep.equal([s.b]);

    expect((await logs('?rating=meh')).status).to.equal(400);
    expect((await logs('?source=web')).status).to.equal(400);
    expect((await logs('?limit=0')).status).to.equal(400);
    expect((await logs('?start=yesterday')).status).to.equal(400);
  });

  it('shows a conversation’s messages oldest first with usage and all feedback, and takes admin feedback', async () => {
    const s = await seed();
    const admin = await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: s.a1, rating: 'dislike', content: 'too short' } });
    expect(admin.status).to.equal(200);
    expect(admin.body).to.deep.equal({ result: 'success' });

    const res = await t.api('GET', `/console/api/apps/${app.id}/conversations/${s.a}/messages`, { token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ page: 1, total: 2, has_more: false });
    const [first, second] = res.body.data;
    expect(first.id).to.equal(s.a1);
    expect(second.id).to.equal(s.a2);
    expect(first).to.include({ query: 'Tell me about pandas', answer: 'Sure thing', status: 'normal', error: null, message_tokens: 12, answer_tokens: 3, total_tokens: 15, currency: 'USD', provider: 'openai', model: 'gpt-4o-mini', from_source: 'api', from_end_user_session_id: 'u1' });
    expect(first.total_price).to.be.closeTo(0.0000036, 1e-9);
    expect(first.latency).to.be.a('number').and.to.be.greaterThan(0);
    expect(first.inputs).to.deep.equal({});
    expect(first.agent_thoughts).to.deep.equal([]);
    expect(first.message_files).to.deep.equal([]);
    expect(first.created_at).to.be.a('number');
    expect(first.feedbacks).to.deep.equal([{ rating: 'dislike', content: 'too short', from_source: 'admin' }]);
    expect(second.feedbacks).to.deep.equal([{ rating: 'like', content: null, from_source: 'user' }]);

    // The admin's feedback shows in the list, apart from the users'.
    const list = await logs();
    const a = list.body.data.find((x: { id: string }) => x.id === s.a);
    expect(a.user_feedback_stats).to.deep.equal({ like: 1, dislike: 0 });
    expect(a.admin_feedback_stats).to.deep.equal({ like: 0, dislike: 1 });
    // A rating filter counts the users' feedback only.
    expect((await logs('?rating=dislike')).body.data.map((x: { id: string }) => x.id)).to.deep.equal([s.b]);

    // Changing, then revoking.
    await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: s.a1, rating: 'like' } });
    let detail = await t.api('GET', `/console/api/apps/${app.id}/conversations/${s.a}/messages?limit=1`, { token });
    expect(detail.body).to.include({ total: 2, has_more: true });
    expect(detail.body.data[0].feedbacks).to.deep.equal([{ rating: 'like', content: null, from_source: 'admin' }]);
    expect((await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: s.a1, rating: null } })).status).to.equal(200);
    detail = await t.api('GET', `/console/api/apps/${app.id}/conversations/${s.a}/messages`, { token });
    expect(detail.body.data[0].feedbacks).to.deep.equal([]);
    expect((await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: s.a1, rating: null } })).status).to.equal(400);
    expect((await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: randomUUID(), rating: 'like' } })).status).to.equal(404);
    expect((await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token, body: { message_id: s.a1, rating: 'great' } })).status).to.equal(400);

    expect((await t.api('GET', `/console/api/apps/${app.id}/conversations/${randomUUID()}/messages`, { token })).status).to.equal(404);
    expect((await t.api('GET', `/console/api/apps/${app.id}/conversations/not-a-uuid/messages`, { token })).status).to.equal(404);
  });

  it('lists an app’s messages in any mode, and a completion app’s messages as its log', async () => {
    const s = await seed();
    const all = await t.api('GET', `/console/api/apps/${app.id}/messages`, { token });
    expect(all.status).to.equal(200);
    expect(all.body).to.include({ total: 4 });
    expect(all.body.data[0].query).to.equal('Testing the draft');
    expect(all.body.data.map((m: { id: string }) => m.id)).to.include.members([s.a1, s.a2, s.bMessage]);
    expect((await t.api('GET', `/console/api/apps/${app.id}/messages?rating=like`, { token })).body.data.map((m: { id: string }) => m.id)).to.deep.equal([s.a2]);
    expect((await t.api('GET', `/console/api/apps/${app.id}/messages?conversation_id=${s.a}`, { token })).body.total).to.equal(2);

    const completion = await createPublishedApp(t, token, 'completion', { pre_prompt: 'Write: {{query}}' }, 'Writer');
    for (const query of ['a haiku about tea', 'a limerick about cats']) {
      const res = await t.api('POST', '/v1/completion-messages', { token: completion.key, body: { inputs: { query }, user: 'writer-1', response_mode: 'blocking' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
    const messages = await t.api('GET', `/console/api/apps/${completion.id}/messages`, { token });
    expect(messages.body.total).to.equal(2);
    const [latest] = messages.body.data;
    expect(latest).to.include({ query: 'a limerick about cats', answer: 'Sure thing', conversation_id: null, from_end_user_session_id: 'writer-1', message_tokens: 12, answer_tokens: 3, total_tokens: 15 });
    expect(latest.inputs).to.deep.equal({ query: 'a limerick about cats' });
    const found = await t.api('GET', `/console/api/apps/${completion.id}/messages?keyword=haiku`, { token });
    expect(found.body.data.map((m: { query: string }) => m.query)).to.deep.equal(['a haiku about tea']);

    // Its conversation log lists one entry per message, the message inside.
    const asLog = await t.api('GET', `/console/api/apps/${completion.id}/conversations`, { token });
    expect(asLog.status).to.equal(200);
    expect(asLog.body.total).to.equal(2);
    expect(asLog.body.data[0]).to.include({ id: latest.id, message_count: 1, from_source: 'api', from_end_user_session_id: 'writer-1' });
    expect(asLog.body.data[0].message.answer).to.equal('Sure thing');
    const detail = await t.api('GET', `/console/api/apps/${completion.id}/conversations/${latest.id}/messages`, { token });
    expect(detail.body.data.map((m: { id: string }) => m.id)).to.deep.equal([latest.id]);
  });

  it('counts activity per UTC day: messages, conversations, end users, tokens, cost and latency', async () => {
    const s = await seed();
    const knex = t.kernel.get(DatabaseRef).knex;
    // Two messages of u2, three days ago, in one new conversation.
    const past = new Date((now() - 3 * DAY) * 1000);
    const template = await knex('messages').where({ id: s.bMessage }).first();
    const conversationId = randomUUID();
    await knex('conversations').insert({ id: conversationId, workspace_id: template.workspace_id, app_id: app.id, mode: 'chat', name: 'old', from_source: 'api', end_user_id: template.end_user_id, message_count: 2, created_at: past, updated_at: past });
    for (const latency of [1, 3]) {
      await knex('messages').insert({ ...template, id: randomUUID(), conversation_id: conversationId, latency, message_tokens: 100, answer_tokens: 50, total_price: '0.0010000', created_at: past });
    }

    const res = await t.api('GET', `/console/api/apps/${app.id}/statistics?start=${now() - 5 * DAY}&end=${now() + 60}`, { token });
    expect(res.status).to.equal(200);
    expect(res.body.data).to.have.length(2);
    const [older, today] = res.body.data;
    expect(older).to.deep.equal({ date: utcDate(past.getTime() / 1000), messages: 2, conversations: 1, end_users: 1, tokens: 300, total_price: 0.002, currency: 'USD', avg_latency_ms: 2000 });
    expect(today).to.include({ date: utcDate(now()), messages: 4, conversations: 3, end_users: 2, tokens: 60, currency: 'USD' });
    expect(today.total_price).to.be.closeTo(4 * 0.0000036, 1e-9);
    expect(today.avg_latency_ms).to.be.a('number');

    // The default window is the last seven days; `source` narrows it.
    const defaults = await t.api('GET', `/console/api/apps/${app.id}/statistics`, { token });
    expect(defaults.body.data.map((d: { date: string }) => d.date)).to.include(utcDate(past.getTime() / 1000));
    const api = await t.api('GET', `/console/api/apps/${app.id}/statistics?source=api&start=${now() - DAY}`, { token });
    expect(api.body.data, JSON.stringify(api.body)).to.have.length(1);
    expect(api.body.data[0]).to.include({ messages: 3, conversations: 2 });
    expect((await t.api('GET', `/console/api/apps/${app.id}/statistics?start=${now() - 4 * DAY}&end=${now() - 2 * DAY}`, { token })).body.data.map((d: { messages: number }) => d.messages)).to.deep.equal([2]);
    expect((await t.api('GET', `/console/api/apps/${app.id}/statistics?start=${now()}&end=${now() - DAY}`, { token })).status).to.equal(400);
  });

  it('keeps logs for editors (a normal member sees statistics, not conversations), and only editors give feedback; an unknown app is 404', async () => {
    const s = await seed();
    const normal = await addMember(t.api, token, 'viewer@example.com', 'normal');
    // Issue #14: a normal member read every conversation; the console guide gives logs to editors.
    expect((await logs('', normal.token)).status).to.equal(403);
    expect((await t.api('GET', `/console/api/apps/${app.id}/statistics`, { token: normal.token })).status).to.equal(200);
    expect((await t.api('GET', `/console/api/apps/${app.id}/conversations/${s.a}/messages`, { token: normal.token })).status).to.equal(403);
    expect((await t.api('GET', `/console/api/apps/${app.id}/messages`, { token: normal.token })).status).to.equal(403);
    const editor = await addMember(t.api, token, 'editor@example.com', 'editor');
    expect((await logs('', editor.token)).status).to.equal(200);
    const denied = await t.api('POST', `/console/api/apps/${app.id}/feedbacks`, { token: normal.token, body: { message_id: s.a1, rating: 'like' } });
    expect(denied.status).to.equal(403);
    expect(denied.body.code).to.equal('no_permission');
    expect((await t.api('GET', `/console/api/apps/${app.id}/conversations`)).status).to.equal(401);
    expect((await t.api('GET', `/console/api/apps/${randomUUID()}/conversations`, { token })).status).to.equal(404);
  });
});
