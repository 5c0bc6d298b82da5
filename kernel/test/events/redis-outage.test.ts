import { expect } from 'chai';
import { describeWith, freshRedisPrefix, freshSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';
import { OWNER, setupOwner, startKernel, type ApiClient, type ApiResponse, type TestKernel } from '../support/kernel.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createPublishedApp } from '../support/apps.js';

/*
 * Redis unreachable, packets dropped (issue #14 item 2): two API processes share
 * PostgreSQL (direct) and Redis (through a proxy the test black-holes).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer and how long it took; fails instead of waiting past `ms`. */
async function timed<T>(ms: number, call: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return { value: await Promise.race([call, late]), ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `api` with the key until it answers `status`; the time that took, or fails after `limitMs`. */
async function untilStatus(api: ApiClient, key: string, status: number, limitMs: number): Promise<number> {
  const started = performance.now();
  let last: ApiResponse | undefined;
  while (performance.now() - started < limitMs) {
    last = await api('GET', '/v1/parameters', { token: key });
    if (last.status === status) return Math.round(performance.now() - started);
    await sleep(100);
  }
  throw new Error(`still ${last?.status} after ${limitMs} ms (wanted ${status})`);
}

function expectRedisUnavailable(res: ApiResponse): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.body.code).to.equal('redis_unavailable');
  expect(res.body.message).to.be.a('string').and.not.match(/ECONN|timed out|Stream isn't writeable|enableOfflineQueue|127\.0\.0\.1|ioredis/i);
}

async function proxyToRedis(): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(TEST_REDIS_URL!);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const url = new URL(TEST_REDIS_URL!);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

describeWith('redis', 'Redis unreachable for every process, packets dropped (issue #14)', () => {
  let proxy: TcpProxy;
  let a: TestKernel;
  let b: TestKernel;

  before(async function () {
    if (!TEST_DATABASE_URL) return this.skip(); // two processes need a shared database
    const via = await proxyToRedis();
    proxy = via.proxy;
    const schema = freshSchema();
    const env = { REDIS_URL: via.url, REDIS_PREFIX: freshRedisPrefix() };
    a = await startKernel({ schema, env });
    b = await startKernel({ schema, env });
  });

  after(async () => {
    proxy?.restore();
    await b?.kernel.stop();
    await a?.stop();
    await proxy?.close();
  });

  it('answers /ready 503 within a second, commits and reports edits and revokes, stops a revoked key on the other process within 3 s, 503 redis_unavailable for what needs Redis (login, a limited run, a stop elsewhere), and recovers', async function () {
    this.timeout(90_000);
    const { token } = await setupOwner(a.api);
    const app = await createPublishedApp(a, token, 'chat');
    const limited = await createPublishedApp(a, token, 'chat', {}, 'Rate-limited app');
    expect((await a.api('PUT', `/console/api/apps/${limited.id}`, { token, body: { api_rpm: 100 } })).status).to.equal(200);
    // b knows the key (its resolver caches it) before the outage.
    expect((await b.api('GET', '/v1/parameters', { token: app.key })).status).to.equal(200);
    expect((await b.api('GET', '/ready')).status).to.equal(200);

    const keys = await a.api('GET', `/console/api/apps/${app.id}/api-keys`, { token });
    proxy.blackhole();

    // A revoke on a at once, before either process can have noticed the outage: committed and
    // reported; b stops honouring the key within the documented bound (3 s).
    const revokedAt = performance.now();
    const revoke = await timed(10_000, a.api('DELETE', `/console/api/apps/${app.id}/api-keys/${keys.body.data[0].id}`, { token }));
    console.log(`      revoke while black-holed: ${revoke.ms} ms → ${revoke.value.status}`);
    expect(revoke.value.status, JSON.stringify(revoke.value.body)).to.equal(204);
    expect(revoke.ms).to.be.below(2_500);
    await untilStatus(b.api, app.key, 401, 10_000);
    const stale = Math.round(performance.now() - revokedAt);
    console.log(`      revoked key refused by the other process ${stale} ms after the revoke`);
    expect(stale).to.be.below(3_000);

    const ready = await timed(5_000, b.api('GET', '/ready'));
    console.log(`      GET /ready while black-holed: ${ready.ms} ms → ${ready.value.status} ${JSON.stringify(ready.value.body.checks)}`);
    expect(ready.value.status).to.equal(503);
    expect(ready.value.body.checks.events).to.not.match(/^ok/);
    expect(ready.ms).to.be.below(1_500);

    // A console edit is committed to PostgreSQL: it is reported as such, promptly.
    const edit = await timed(10_000, a.api('PUT', `/console/api/apps/${app.id}`, { token, body: { name: 'Renamed during the outage' } }));
    console.log(`      console edit while black-holed: ${edit.ms} ms → ${edit.value.status}`);
    expect(edit.value.status, JSON.stringify(edit.value.body)).to.equal(200);
    expect(edit.ms).to.be.below(2_500);
    expect((await b.api('GET', `/console/api/apps/${app.id}`, { token })).body.name).to.equal('Renamed during the outage');

    // What truly needs Redis answers 503 redis_unavailable, fast: a rate-limited run, a login (its throttle).
    const run = await timed(10_000, b.api('POST', '/v1/chat-messages', { token: limited.key, body: { inputs: {}, query: 'hi', user: 'u1', response_mode: 'blocking' } }));
    console.log(`      rate-limited run while black-holed: ${run.ms} ms → ${run.value.status} ${run.value.body.code}`);
    expectRedisUnavailable(run.value);
    expect(run.ms).to.be.below(2_500);
    const signIn = await timed(10_000, b.api('POST', '/console/api/login', { body: { email: OWNER.email, password: OWNER.password } }));
    console.log(`      login while black-holed: ${signIn.ms} ms → ${signIn.value.status}`);
    expectRedisUnavailable(signIn.value);
    expect(signIn.ms).to.be.below(2_500);
    // A stop for a generation this process does not run can only reach the others over Redis.
    const stop = await timed(10_000, b.api('POST', `/v1/chat-messages/${crypto.randomUUID()}/stop`, { token: limited.key, body: { user: 'u1' } }));
    console.log(`      stop of another process's task while black-holed: ${stop.ms} ms → ${stop.value.status}`);
    expectRedisUnavailable(stop.value);
    expect(stop.ms).to.be.below(2_500);

    proxy.restore();
    const started = performance.now();
    while (performance.now() - started < 15_000 && (await b.api('GET', '/ready')).status !== 200) await sleep(200);
    expect((await b.api('GET', '/ready')).status).to.equal(200);
    console.log(`      ready again ${Math.round(performance.now() - started)} ms after the restore`);
    expect((await b.api('GET', '/v1/parameters', { token: app.key })).status).to.equal(401);
    const fresh = await a.api('POST', `/console/api/apps/${app.id}/api-keys`, { token });
    expect((await b.api('GET', '/v1/parameters', { token: fresh.body.token })).status).to.equal(200);
    expect((await b.api('POST', '/console/api/login', { body: { email: OWNER.email, password: OWNER.password } })).status).to.equal(200);
  });
});

describeWith('redis', 'Redis unreachable for one process only (issue #14)', () => {
  let proxy: TcpProxy;
  let a: TestKernel;
  let b: TestKernel;

  before(async function () {
    if (!TEST_DATABASE_URL) return this.skip();
    const via = await proxyToRedis();
    proxy = via.proxy;
    const schema = freshSchema();
    const prefix = freshRedisPrefix();
    a = await startKernel({ schema, env: { REDIS_URL: via.url, REDIS_PREFIX: prefix } });
    b = await startKernel({ schema, env: { REDIS_PREFIX: prefix } }); // straight to Redis: it never misses an event
  });

  after(async () => {
    proxy?.restore();
    await b?.kernel.stop();
    await a?.stop();
    await proxy?.close();
  });

  it('replays the invalidation of a key revoked while its process could not reach Redis, once it can', async function () {
    this.timeout(60_000);
    const { token } = await setupOwner(a.api);
    const app = await createPublishedApp(a, token, 'chat');
    expect((await b.api('GET', '/v1/parameters', { token: app.key })).status).to.equal(200);
    const keys = await a.api('GET', `/console/api/apps/${app.id}/api-keys`, { token });

    proxy.blackhole();
    const revoke = await timed(10_000, a.api('DELETE', `/console/api/apps/${app.id}/api-keys/${keys.body.data[0].id}`, { token }));
    expect(revoke.value.status, JSON.stringify(revoke.value.body)).to.equal(204);
    expect(revoke.ms).to.be.below(2_500);
    await sleep(1_000);
    proxy.restore();

    // b's cache would trust the key for 10 s more; the replayed invalidation drops it well before.
    const ms = await untilStatus(b.api, app.key, 401, 15_000);
    console.log(`      revoked key refused by the other process ${ms} ms after a's Redis came back`);
    expect(ms).to.be.below(3_000);
  });
});
