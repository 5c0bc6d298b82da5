import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { INTERRUPTED } from '../../src/conversations/conversations.js';
import { ConversationsRef, DatabaseRef } from '../../src/services.js';
import { createPublishedApp, post, readMessageEvents, startAppKernel, stopAppKernel, type AppKernel, type TestApp } from '../support/apps.js';

/** Issue #14 item 4: a message exists from the start of its generation, and a dead process's rows are swept. */
describe('messages from the start of their generation (#14)', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let knex: Knex;
  let app: TestApp;

  before(async () => {
    k = await startAppKernel();
    knex = k.t.kernel.get(DatabaseRef).knex;
    app = await createPublishedApp(k.t, k.token, 'chat');
  });
  after(() => stopAppKernel(k.t, k.upstream));

  it('lists a streaming message and its new conversation while the answer is still coming, then stores it whole', async () => {
    k.upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 30 }, (_, i) => ` w${i}`), delayMs: 50 }];
    const response = await post(k.t, app.key, '/chat-messages', { inputs: {}, query: 'Count', user: 'u-live', response_mode: 'streaming', auto_generate_name: false });
    const { events, reader } = await readMessageEvents(response, 3);
    const { message_id: messageId, conversation_id: conversationId } = events[0]!;
    const conversations = await k.t.api('GET', '/v1/conversations?user=u-live', { token: app.key });
    expect(conversations.body.data.map((c: { id: string }) => c.id)).to.include(conversationId);
    const during = await k.t.api('GET', `/v1/messages?user=u-live&conversation_id=${conversationId}`, { token: app.key });
    expect(during.body.data.map((m: { id: string; status: string; query: string }) => ({ id: m.id, status: m.status, query: m.query }))).to.deep.equal([{ id: messageId, status: 'normal', query: 'Count' }]);
    expect((await knex('messages').where({ id: messageId }).first('status')).status).to.equal('generating');
    while (!(await reader.read()).done);
    const after = (await knex('messages').where({ id: messageId }).first()) as { status: string; answer: string; created_at: Date; updated_at: Date };
    expect(after.status).to.equal('normal');
    expect(after.answer).to.equal(Array.from({ length: 30 }, (_, i) => ` w${i}`).join(''));
    expect(await knex('messages').where({ conversation_id: conversationId }).count({ n: '*' }).first()).to.satisfy((r: { n: string | number }) => Number(r.n) === 1);
  });

  it('writes a blocking message that is still running at the first checkpoint (2 s) before it ends', async () => {
    k.upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 35 }, (_, i) => ` b${i}`), delayMs: 100 }];
    const answered = k.t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Slowly', user: 'u-blocking', response_mode: 'blocking', auto_generate_name: false } });
    let row: { id: string; status: string; answer: string } | undefined;
    for (let i = 0; i < 60 && !row; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      row = (await knex('messages').where({ query: 'Slowly' }).first('id', 'status', 'answer')) as typeof row;
    }
    expect(row, 'the row of the running blocking message').to.exist;
    expect(row!.status).to.equal('generating');
    const res = await answered;
    expect(res.status).to.equal(200);
    expect(res.body.message_id).to.equal(row!.id);
    expect(await knex('messages').where({ id: row!.id }).first('status', 'answer')).to.deep.equal({ status: 'normal', answer: res.body.answer });
  });

  it('sweeps to error only the generating messages whose heartbeat is stale (a database shared by processes)', async () => {
    const conversations = k.t.kernel.get(ConversationsRef);
    const row = (id: string, ageMs: number) => ({
      id,
      workspace_id: k.workspaceId,
      app_id: app.id,
      from_source: 'api',
      query: 'q',
      answer: 'partial',
      status: 'generating',
      updated_at: knex.raw(`now() - interval '${ageMs} milliseconds'`),
    });
    const stale = randomUUID();
    const live = randomUUID();
    await knex('messages').insert([row(stale, 120_000), row(live, 1_000)]);
    expect(await conversations.sweepInterrupted(60_000)).to.equal(1);
    expect(await knex('messages').where({ id: stale }).first('status', 'error', 'answer')).to.deep.equal({ status: 'error', error: INTERRUPTED, answer: 'partial' });
    expect(await knex('messages').where({ id: live }).first('status')).to.deep.equal({ status: 'generating' });
    // A database this process alone opens (PGlite): everything still generating at start died with the last process.
    expect(await conversations.sweepInterrupted(0)).to.equal(1);
    expect(await knex('messages').where({ id: live }).first('status')).to.deep.equal({ status: 'error' });
  });
});
