import { expect } from 'chai';
import type { Knex } from 'knex';
import { checkReadiness, type ReadinessSources } from '../../src/boot/readiness.js';
import { markDatabaseError } from '../../src/db/errors.js';
import { startKernel, type TestKernel } from '../support/kernel.js';
import { sourcesOf } from '../support/readiness.js';

const never = () => new Promise<never>(() => undefined);

async function timed<T>(call: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await call;
  return { value, elapsedMs: performance.now() - started };
}

describe('checkReadiness (issue #14)', () => {
  let t: TestKernel;
  before(async () => {
    t = await startKernel();
  });
  after(async () => {
    await t?.stop();
  });

  it("reports exactly what the kernel's ready() reports when everything answers", async () => {
    const expected = await t.kernel.ready();
    expect(await checkReadiness(sourcesOf(t.kernel))).to.deep.equal(expected);
    expect(expected.ok).to.equal(true);
    expect(Object.keys(expected.checks)).to.include.members(['boot', 'database', 'migrations', 'events', 'jobs', 'plugins']);
  });

  it('answers within its time-out when a check never resolves, failing only that check', async () => {
    const sources = { ...sourcesOf(t.kernel), events: { health: never } };
    const { value, elapsedMs } = await timed(checkReadiness(sources, { timeoutMs: 200 }));
    expect(elapsedMs).to.be.below(600);
    expect(value.ok).to.equal(false);
    expect(value.checks.events).to.equal('unavailable: timed out after 200 ms');
    expect(value.checks.database).to.equal('ok');
    expect(value.checks.plugins).to.match(/^ok \(/);
  });

  it('answers within its time-out when the database never answers, leaving out the migrations', async () => {
    const hung = { raw: never, migrate: { list: never } } as unknown as Knex;
    const { value, elapsedMs } = await timed(checkReadiness({ ...sourcesOf(t.kernel), db: { knex: hung } }, { timeoutMs: 200 }));
    expect(elapsedMs).to.be.below(600);
    expect(value).to.deep.include({ ok: false });
    expect(value.checks.database).to.equal('unreachable: timed out after 200 ms');
    expect(value.checks).not.to.have.property('migrations');
  });

  it("runs the checks at once: several hung checks still answer in about one time-out, and each one's every check is bounded", async () => {
    const hung = { raw: never, migrate: { list: never } } as unknown as Knex;
    const sources: ReadinessSources = { started: true, db: { knex: hung }, events: { health: never }, queue: { health: never }, marketplace: { status: () => 'off' }, packages: { latest: never }, pluginHost: { activeIsolates: 0 } };
    const { value, elapsedMs } = await timed(checkReadiness(sources, { timeoutMs: 300 }));
    expect(elapsedMs).to.be.below(700);
    expect(value).to.deep.equal({
      ok: false,
      checks: { boot: 'ok', database: 'unreachable: timed out after 300 ms', events: 'unavailable: timed out after 300 ms', jobs: 'unavailable: timed out after 300 ms', marketplace: 'off', plugins: 'unavailable: timed out after 300 ms' },
    });
  });

  it("reports a failing check without the driver's words, which go to the log", async () => {
    const warned: unknown[] = [];
    const refused = markDatabaseError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }));
    const knex = { raw: () => Promise.reject(refused), migrate: { list: () => Promise.reject(refused) } } as unknown as Knex;
    const throwing = { health: () => Promise.reject(new Error('redis at 10.0.0.8 said no')) };
    const value = await checkReadiness({ ...sourcesOf(t.kernel), db: { knex }, queue: throwing }, { logger: { warn: (obj: unknown) => void warned.push(obj) } });
    expect(value.ok).to.equal(false);
    expect(value.checks.database).to.equal('unreachable: database_unavailable');
    expect(value.checks.jobs).to.equal('unavailable: failed (see the log)');
    expect(JSON.stringify(value)).not.to.match(/10\.0\.0|ECONNREFUSED|said no/);
    expect(warned).to.have.length.greaterThanOrEqual(2);
  });

  it('is not ready while booting, without the database or without the plugin host', async () => {
    const value = await checkReadiness({ ...sourcesOf(t.kernel, false), db: undefined, pluginHost: undefined });
    expect(value.ok).to.equal(false);
    expect(value.checks.boot).to.equal('starting');
    expect(value.checks.database).to.equal('unreachable: not open');
    expect(value.checks.plugins).to.equal('not loaded');
  });
});
