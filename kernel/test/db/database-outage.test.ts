import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describeWith, TEST_DATABASE_URL } from '../support/env.js';
import { setupOwner, startKernel, type ApiResponse, type TestKernel } from '../support/kernel.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { sourcesOf } from '../support/readiness.js';
import { checkReadiness } from '../../src/boot/readiness.js';

/** Fails instead of waiting past `ms` (the outage itself lasts as long as the test wants). */
async function within<T>(ms: number, call: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    const value = await Promise.race([call, late]);
    return { value, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** What a client may see of an outage: a code and a human sentence, never the driver's words or the database's name. */
function expectDatabaseUnavailable(res: ApiResponse): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.body.code).to.equal('database_unavailable');
  expect(res.body.status).to.equal(503);
  expect(res.body.message).to.be.a('string').and.not.match(/ECONN|timeout expired|read timeout|terminated|Knex|pool|select|\btest\b|postgres|127\.0\.0\.1/i);
}

describeWith('postgres', 'PostgreSQL unreachable, packets dropped (issue #14)', () => {
  let proxy: TcpProxy;
  let t: TestKernel;
  let token: string;
  const logged: string[] = [];

  before(async () => {
    const target = new URL(TEST_DATABASE_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(TEST_DATABASE_URL!);
    viaProxy.port = String(proxy.port);
    const stream = new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) });
    t = await startKernel({ env: { DATABASE_URL: viaProxy.toString() }, logger: pino({ level: 'error' }, stream) });
    ({ token } = await setupOwner(t.api));
  });

  after(async () => {
    proxy?.restore();
    await t?.stop();
    await proxy?.close();
  });

  it('answers console requests with 503 database_unavailable within 5 s while packets are dropped, then serves again by itself once they flow', async function () {
    this.timeout(60_000);
    expect((await t.api('GET', '/console/api/apps', { token })).status).to.equal(200);

    proxy.blackhole();
    // The first request finds a pooled connection that no longer answers; the second must open new ones.
    const first = await within(15_000, t.api('GET', '/console/api/apps', { token }));
    expectDatabaseUnavailable(first.value);
    const second = await within(15_000, t.api('GET', '/console/api/workspaces/current', { token }));
    expectDatabaseUnavailable(second.value);
    console.log(`      time to 503 while black-holed: ${first.elapsedMs} ms, then ${second.elapsedMs} ms`);
    expect(first.elapsedMs).to.be.below(5_500);
    expect(second.elapsedMs).to.be.below(5_500);
    // Readiness answers within its per-check time-out (1 s) however long the outage lasts.
    const ready = await within(3_000, checkReadiness(sourcesOf(t.kernel)));
    console.log(`      readiness while black-holed: ${ready.elapsedMs} ms`);
    expect(ready.elapsedMs).to.be.below(1_500);
    expect(ready.value.ok).to.equal(false);
    expect(ready.value.checks.database).to.equal('unreachable: timed out after 1000 ms');
    // GET /ready runs the same checks (boot/health.ts → checkReadiness): bounded by the per-check time-out too.
    const route = await within(15_000, t.api('GET', '/ready'));
    console.log(`      GET /ready while black-holed: ${route.elapsedMs} ms`);
    expect(route.value.status).to.equal(503);
    expect(route.elapsedMs).to.be.below(1_500);
    // The driver's words go to the log only.
    expect(logged.join('')).to.match(/request failed/);

    proxy.restore();
    const started = performance.now();
    let res: ApiResponse | undefined;
    while (performance.now() - started < 10_000) {
      res = await t.api('GET', '/console/api/apps', { token });
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(res!.status, JSON.stringify(res!.body)).to.equal(200);
    console.log(`      serving again ${Math.round(performance.now() - started)} ms after the restore`);
    // And a write goes through too.
    expect((await t.api('POST', '/console/api/apps', { token, body: { name: 'After the outage', mode: 'chat' } })).status).to.equal(201);
  });
});
