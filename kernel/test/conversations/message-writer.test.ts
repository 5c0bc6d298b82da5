import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { MessageWriter, type SaveItem } from '../../src/conversations/message-writer.js';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../support/apps.js';
import { TEST_DATABASE_URL } from '../support/env.js';
import { DatabaseRef } from '../../src/services.js';

describe('message writer (group commit)', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let knex: Knex;
  let appId: string;
  /** The transactions that wrote these messages (rows one statement inserts share its xmin). */
  const writers = async (ids: string[]) => ((await knex('messages').whereIn('conversation_id', ids).distinct(knex.raw('xmin::text as x'))) as Array<{ x: string }>).length;

  before(async () => {
    k = await startAppKernel();
    knex = k.t.kernel.get(DatabaseRef).knex;
    appId = (await createPublishedApp(k.t, k.token, 'chat')).id;
  });
  after(async () => {
    await stopAppKernel(k.t, k.upstream);
  });

  function message(conversationId: string, answer: string, id: string = randomUUID()): SaveItem['message'] {
    return { id, workspace_id: k.workspaceId, app_id: appId, conversation_id: conversationId, app_version_id: null, end_user_id: null, account_id: null, from_source: 'api', inputs: '{}', query: 'q', answer, files: '[]', agent_thoughts: '[]', metadata: '{}', provider: 'openai', model: 'gpt-4o-mini', message_tokens: 1, answer_tokens: 1, total_price: '0', currency: 'USD', latency: 0.01, status: 'normal', error: null };
  }
  function create(conversationId: string, answer: string): SaveItem {
    return { message: message(conversationId, answer), conversation: { kind: 'create', row: { id: conversationId, workspace_id: k.workspaceId, app_id: appId, mode: 'chat', name: answer, inputs: '{}', introduction: '', end_user_id: null, account_id: null, from_source: 'api', message_count: 1 } } };
  }

  it('stores saves made together in one statement, conversations created and counted', async () => {
    const writer = new MessageWriter(knex);
    const conversations = [randomUUID(), randomUUID(), randomUUID()];
    const items: SaveItem[] = conversations.map((id, i) => create(id, `first ${i}`));
    // Follow-ups in the same three conversations, four each, stored by the same statement.
    await Promise.all(items.map((item) => writer.save(item)));
    expect(await writers(conversations)).to.equal(1);
    const followUps: SaveItem[] = [];
    for (let n = 0; n < 4; n++) for (const id of conversations) followUps.push({ message: message(id, `follow-up ${n}`), conversation: { kind: 'touch', id } });
    await Promise.all(followUps.map((item) => writer.save(item)));

    // The three first messages in one statement, the twelve follow-ups in another.
    expect(await writers(conversations)).to.equal(2);
    const counts = (await knex('conversations').whereIn('id', conversations).select('id', 'message_count')) as Array<{ id: string; message_count: number }>;
    expect(counts.map((c) => Number(c.message_count))).to.deep.equal([5, 5, 5]);
    const stored = (await knex('messages').whereIn('conversation_id', conversations).orderBy('created_at', 'asc').select('answer', 'conversation_id')) as Array<{ answer: string; conversation_id: string }>;
    expect(stored).to.have.length(15);
    // The order they finished in survives one shared statement (created_at is per row, not per statement).
    expect(stored.filter((m) => m.conversation_id === conversations[1]).map((m) => m.answer)).to.deep.equal(['first 1', 'follow-up 0', 'follow-up 1', 'follow-up 2', 'follow-up 3']);
  });

  it('writes a save made on its own in a statement of its own', async () => {
    const writer = new MessageWriter(knex);
    const [first, second] = [randomUUID(), randomUUID()];
    await writer.save(create(first, 'alone'));
    await writer.save(create(second, 'alone too'));
    expect(await writers([first, second])).to.equal(2);
    expect(await knex('messages').where({ conversation_id: second }).first('answer')).to.deep.equal({ answer: 'alone too' });
  });

  it('stores text exactly as given: quotes, backslashes, newlines and non-Latin letters', async () => {
    const writer = new MessageWriter(knex);
    const id = randomUUID();
    const answer = "It's \\'; DROP TABLE messages; -- \n\t$1 ? 你好 \\x00 E'\\\\' 🚀";
    await writer.save(create(id, answer));
    expect(await knex('messages').where({ conversation_id: id }).first('answer')).to.deep.equal({ answer });
  });

  it('fails only the save whose row is bad; the rest of its batch is stored', async () => {
    const writer = new MessageWriter(knex);
    const good = [randomUUID(), randomUUID(), randomUUID()];
    const duplicateConversation = randomUUID();
    const results = await Promise.allSettled([
      writer.save(create(good[0]!, 'good 0')),
      // A value its column cannot hold (from_source is 16 characters at most): the batch's statement fails on it.
      writer.save({ message: { ...message(duplicateConversation, 'bad'), from_source: 'x'.repeat(40) }, conversation: create(duplicateConversation, 'bad').conversation }),
      writer.save(create(good[1]!, 'good 1')),
      writer.save(create(good[2]!, 'good 2')),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/too long/i);
    expect(await knex('messages').whereIn('conversation_id', good).count({ n: '*' }).first()).to.satisfy((r: { n: string | number }) => Number(r.n) === 3);
    // The bad save's new conversation went with its failed statement: no conversation without its message.
    expect(await knex('conversations').where({ id: duplicateConversation }).first()).to.equal(undefined);
  });

  it('updates a started message in place: its created_at kept, its conversation counted once (#14)', async () => {
    const writer = new MessageWriter(knex);
    const conversation = randomUUID();
    const first = create(conversation, '');
    await writer.save({ ...first, message: { ...first.message, status: 'generating' } });
    const started = (await knex('messages').where({ id: first.message.id }).first('created_at', 'status')) as { created_at: Date; status: string };
    expect(started.status).to.equal('generating');
    await writer.save({ message: { ...first.message, answer: 'the whole answer', status: 'normal', answer_tokens: 3 }, conversation: { kind: 'none' }, replaces: true });
    const rows = (await knex('messages').where({ conversation_id: conversation })) as Array<{ answer: string; status: string; answer_tokens: number; created_at: Date; updated_at: Date }>;
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ answer: 'the whole answer', status: 'normal', answer_tokens: 3 });
    expect(rows[0]!.created_at.getTime()).to.equal(started.created_at.getTime());
    expect(rows[0]!.updated_at.getTime()).to.be.greaterThan(started.created_at.getTime());
    expect(await knex('conversations').where({ id: conversation }).first('message_count')).to.deep.equal({ message_count: 1 });
  });

  it('checkpoints only a message still generating: a checkpoint behind the last write changes nothing (#14)', async () => {
    const writer = new MessageWriter(knex);
    const generating = create(randomUUID(), '');
    const finished = create(randomUUID(), '');
    await Promise.all([writer.save({ ...generating, message: { ...generating.message, status: 'generating' } }), writer.save({ ...finished, message: { ...finished.message, status: 'generating' } })]);
    await writer.save({ message: { ...finished.message, answer: 'final', status: 'normal' }, conversation: { kind: 'none' }, replaces: true });
    await Promise.all([writer.save({ progress: { id: generating.message.id, answer: 'so far' } }), writer.save({ progress: { id: finished.message.id, answer: 'stale' } })]);
    expect(await knex('messages').where({ id: generating.message.id }).first('answer', 'status')).to.deep.equal({ answer: 'so far', status: 'generating' });
    expect(await knex('messages').where({ id: finished.message.id }).first('answer', 'status')).to.deep.equal({ answer: 'final', status: 'normal' });
  });

  it('fails a batch that waits past its time-out, and the saves behind it go on', async function () {
    // Only a server has locks another session can hold; PGlite runs one statement at a time.
    if (!TEST_DATABASE_URL) this.skip();
    const writer = new MessageWriter(knex, { timeoutMs: 300 });
    const held = randomUUID();
    await writer.save(create(held, 'locked later'));
    const trx = await knex.transaction();
    try {
      await trx('conversations').where({ id: held }).forUpdate().first();
      const started = Date.now();
      const stuck = writer.save({ message: message(held, 'waits for the lock'), conversation: { kind: 'touch', id: held } });
      const error = await stuck.then(() => undefined, (e: Error & { code?: string }) => e);
      expect(error?.code, String(error)).to.equal('57014');
      expect(Date.now() - started).to.be.lessThan(5_000);
      const other = randomUUID();
      await writer.save(create(other, 'goes on'));
      expect(await knex('messages').where({ conversation_id: other }).first('answer')).to.deep.equal({ answer: 'goes on' });
    } finally {
      await trx.rollback();
    }
  });
});
