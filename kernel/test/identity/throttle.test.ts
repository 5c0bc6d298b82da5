import { expect } from 'chai';
import type { LoginThrottleConfig } from '../../src/boot/config.js';
import { TesseraError } from '../../src/errors.js';
import { addressKey, MemoryThrottleStore, Throttle, type ThrottleClient, type ThrottleStore } from '../../src/identity/throttle.js';
import { RedisThrottleStore } from '../../src/identity/throttle-redis.js';
import { describeWith, freshRedisPrefix, freshSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';
import { ClientAt } from '../support/http-from.js';
import { addMember, OWNER, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';

const OPTIONS: LoginThrottleConfig = { maxFailures: 3, addressMaxFailures: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
const here: ThrottleClient = { address: '10.0.0.1' };

/** The Retry-After (seconds) of a 429, or 0 if the attempt was let through (and counted as a failure). */
async function tryOnce(throttle: Throttle, client: ThrottleClient, email: string): Promise<number> {
  try {
    await throttle.begin('login', client, email);
    return 0;
  } catch (error) {
    const e = error as TesseraError;
    expect(e.status).to.equal(429);
    expect(e.code).to.equal('login_rate_limited');
    return Number(e.headers!['Retry-After']);
  }
}

function throttleSuite(name: string, makeStore: () => Promise<ThrottleStore>) {
  describe(`login throttle, ${name} store (a clock the test moves)`, () => {
    let store: ThrottleStore;
    let now: number;
    let throttle: Throttle;
    beforeEach(async () => {
      store = await makeStore();
      now = 1_700_000_000_000;
      throttle = new Throttle(store, OPTIONS, () => now);
    });
    afterEach(() => store.close());

    it('lets the first failures through, then makes each attempt wait twice as long as the one before, up to the cap', async () => {
      for (let i = 0; i < 3; i++) expect(await tryOnce(throttle, here, 'a@example.com')).to.equal(0);
      expect(await tryOnce(throttle, here, 'a@example.com')).to.equal(1);
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        const wait = await tryOnce(throttle, here, 'a@example.com');
        waits.push(wait);
        now += wait * 1000;
        expect(await tryOnce(throttle, here, 'a@example.com'), 'after waiting Retry-After').to.equal(0);
      }
      expect(waits).to.deep.equal([1, 2, 4, 8, 16, 32, 60, 60]);
      // Waiting is always enough: never a hard lock.
      now += 60_000;
      expect(await tryOnce(throttle, here, 'A@Example.com ')).to.equal(0);
    });

    it('does not count an attempt answered 429, so a user who waits gets in', async () => {
      for (let i = 0; i < 3; i++) await tryOnce(throttle, here, 'b@example.com');
      for (let i = 0; i < 5; i++) expect(await tryOnce(throttle, here, 'b@example.com')).to.equal(1);
      now += 1000;
      const attempt = await throttle.begin('login', here, 'b@example.com');
      await attempt.succeeded();
      expect(await tryOnce(throttle, here, 'b@example.com')).to.equal(0);
    });

    it('forgives one failure per cap interval without failures', async () => {
      for (let i = 0; i < 3; i++) await tryOnce(throttle, here, 'c@example.com');
      expect(await tryOnce(throttle, here, 'c@example.com')).to.equal(1);
      now += 120_000; // two cap intervals: 3 failures → 1
      expect(await tryOnce(throttle, here, 'c@example.com')).to.equal(0);
      expect(await tryOnce(throttle, here, 'c@example.com')).to.equal(0);
      expect(await tryOnce(throttle, here, 'c@example.com')).to.equal(1);
    });

    it('measures the wait from when a guess was found wrong, so a slow password check does not shorten it', async () => {
      for (let i = 0; i < 3; i++) {
        const attempt = await throttle.begin('login', here, 'slow@example.com');
        now += 5000; // the check takes longer than the first wait
        await attempt.failed();
      }
      now += 500;
      expect(await tryOnce(throttle, here, 'slow@example.com')).to.equal(1);
    });

    it('limits one address across many accounts (a spray), but not other addresses', async () => {
      const sprayer: ThrottleClient = { address: '10.6.6.6' };
      for (let i = 0; i < 5; i++) expect(await tryOnce(throttle, sprayer, `user${i}@example.com`)).to.equal(0);
      expect(await tryOnce(throttle, sprayer, 'user99@example.com')).to.equal(1);
      expect(await tryOnce(throttle, { address: '10.7.7.7' }, 'user99@example.com')).to.equal(0);
    });

    it('counts a success back out of the address and clears the account', async () => {
      const office: ThrottleClient = { address: '10.1.1.1' };
      for (let i = 0; i < 4; i++) await (await throttle.begin('login', office, `ok${i}@example.com`)).succeeded();
      for (let i = 0; i < 4; i++) expect(await tryOnce(throttle, office, `typo${i}@example.com`)).to.equal(0);
      // 4 failures + 4 successes from the office: below the 5 the address is allowed.
      const attempt = await throttle.begin('login', office, 'typo0@example.com');
      await attempt.succeeded();
      for (let i = 0; i < 3; i++) expect(await tryOnce(throttle, { address: '10.2.2.2' }, 'typo0@example.com')).to.equal(0);
      expect(await tryOnce(throttle, office, 'typo8@example.com'), 'the 5th failure of the office').to.equal(0);
      expect(await tryOnce(throttle, office, 'typo9@example.com')).to.equal(1);
    });

    it('keeps a known client (its device or its address) apart from failures made elsewhere', async () => {
      const device = 'device-of-the-real-user-0001';
      const user: ThrottleClient = { address: '10.3.3.3', device };
      await (await throttle.begin('login', user, 'owner@example.com')).succeeded();
      const attacker: ThrottleClient = { address: '10.9.9.9', device: 'attackers-own-device-00001' };
      for (let i = 0; i < 3; i++) await tryOnce(throttle, attacker, 'owner@example.com');
      expect(await tryOnce(throttle, attacker, 'owner@example.com')).to.be.greaterThan(0);
      expect(await tryOnce(throttle, { address: '10.4.4.4' }, 'owner@example.com'), 'a new client waits').to.be.greaterThan(0);
      // The same device elsewhere, and the same address without the device, are known.
      await (await throttle.begin('login', { address: '10.5.5.5', device }, 'owner@example.com')).succeeded();
      await (await throttle.begin('login', { address: '10.3.3.3' }, 'owner@example.com')).succeeded();
      // A known client's own guesses are limited too.
      for (let i = 0; i < 3; i++) expect(await tryOnce(throttle, user, 'owner@example.com')).to.equal(0);
      expect(await tryOnce(throttle, user, 'owner@example.com')).to.equal(1);
    });

    it('holds concurrent attempts to the free ones (counted before the password is checked)', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => tryOnce(throttle, { address: '10.8.8.8' }, 'burst@example.com')));
      expect(results.filter((r) => r === 0)).to.have.length(3);
    });
  });
}

throttleSuite('memory', async () => new MemoryThrottleStore());
if (TEST_REDIS_URL) throttleSuite('Redis', () => RedisThrottleStore.connect(TEST_REDIS_URL!, freshRedisPrefix()));

describe('client address keys', () => {
  it('keeps IPv4 as is, IPv4-mapped IPv6 as IPv4 and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('2001:db8:0:1:aaaa::1')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('2001:0db8:0000:0001:1:2:3:4')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
  });
});

describe('login brute-force limits over HTTP', () => {
  let t: TestKernel;
  before(async () => {
    t = await startKernel({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_ADDRESS_MAX_FAILURES: '6', LOGIN_BACKOFF_BASE_MS: '30000' } });
    await setupOwner(t.api);
  });
  after(() => t.stop());

  it('slows an address that sprays many emails (a per-address limit), with 429 login_rate_limited and Retry-After', async () => {
    const sprayer = new ClientAt(t.url, '127.0.0.10');
    for (let i = 0; i < 6; i++) expect((await sprayer.login(`spray${i}@example.com`, 'guess-123')).status).to.equal(401);
    const res = await sprayer.login('spray-next@example.com', 'guess-123');
    expect(res.status).to.equal(429);
    expect(res.body).to.include({ code: 'login_rate_limited', status: 429 });
    expect(Number(res.headers['retry-after'])).to.equal(30);
    // The limit is the address's: another address is not slowed.
    expect((await new ClientAt(t.url, '127.0.0.11').login('spray-next@example.com', 'guess-123')).status).to.equal(401);
  });

  it('does not block the owner on a device or address they used before while another address guesses their password', async () => {
    const browser = new ClientAt(t.url, '127.0.0.20');
    const first = await browser.login(OWNER.email, OWNER.password);
    expect(first.status).to.equal(200);
    const cookie = String(first.headers['set-cookie']);
    const [, expires] = /^tessera_device=[\w-]{20,}; path=\/console\/api\/login; expires=([^;]+); samesite=strict; httponly$/i.exec(cookie) ?? [];
    expect(new Date(expires!).getTime() - Date.now(), cookie).to.be.within(29 * 86_400_000, 31 * 86_400_000);
    const attacker = new ClientAt(t.url, '127.0.0.21');
    for (let i = 0; i < 3; i++) expect((await attacker.login(OWNER.email, `guess-${i}-x`)).status).to.equal(401);
    expect((await attacker.login(OWNER.email, OWNER.password)).status, 'the attacker waits even with the right password').to.equal(429);
    expect((await new ClientAt(t.url, '127.0.0.22').login(OWNER.email, OWNER.password)).status, 'a new client waits').to.equal(429);
    expect((await browser.login(OWNER.email, OWNER.password)).status, 'the known browser').to.equal(200);
    expect((await browser.movedTo('127.0.0.23').login(OWNER.email, OWNER.password)).status, 'the known browser on another network').to.equal(200);
    expect((await new ClientAt(t.url, '127.0.0.20').login(OWNER.email, OWNER.password)).status, 'the known address without the cookie (an API client)').to.equal(200);
  });

  it('limits guessing invitation tokens per address (activate and activate/check), 429 activation_rate_limited', async () => {
    const guesser = new ClientAt(t.url, '127.0.0.30');
    for (let i = 0; i < 3; i++) expect((await guesser.call('GET', `/console/api/activate/check?token=guess${i}`)).status).to.equal(400);
    for (let i = 0; i < 3; i++) expect((await guesser.call('POST', '/console/api/activate', { token: `guess${i}`, name: 'X', password: 'pass-word-1' })).body.code).to.equal('invalid_invitation');
    const res = await guesser.call('POST', '/console/api/activate', { token: 'guess-last', name: 'X', password: 'pass-word-1' });
    expect(res.status).to.equal(429);
    expect(res.body.code).to.equal('activation_rate_limited');
    expect(Number(res.headers['retry-after'])).to.equal(30);
    // A real invitation from another address still works.
    const { token } = await setupOrLogin(t);
    await addMember(t.api, token, 'invited@example.com', 'editor');
  });

  it('limits guessing invitation tokens by a signed-in account (invitations/accept) the same way', async () => {
    const { token } = await setupOrLogin(t);
    const guesser = new ClientAt(t.url, '127.0.0.31');
    const auth = { Authorization: `Bearer ${token}` };
    for (let i = 0; i < 6; i++) expect((await guesser.call('POST', '/console/api/invitations/accept', { token: `guess${i}` }, auth)).body.code).to.equal('invalid_invitation');
    const res = await guesser.call('POST', '/console/api/invitations/accept', { token: 'guess-last' }, auth);
    expect(res.status).to.equal(429);
    expect(res.body.code).to.equal('activation_rate_limited');
  });
});

async function setupOrLogin(t: TestKernel) {
  const res = await new ClientAt(t.url, '127.0.0.20').login(OWNER.email, OWNER.password);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { token: res.body.data.access_token as string };
}

describe('client addresses behind a proxy (TRUST_PROXY)', () => {
  it('ignores X-Forwarded-For by default, and with TRUST_PROXY=true takes the entry the proxy appended, not one the client wrote', async () => {
    const env = { LOGIN_MAX_FAILURES: '100', LOGIN_ADDRESS_MAX_FAILURES: '2', LOGIN_BACKOFF_BASE_MS: '30000' };
    const direct = await startKernel({ env });
    const proxied = await startKernel({ env: { ...env, TRUST_PROXY: 'true' } });
    try {
      const viaDirect = new ClientAt(direct.url, '127.0.0.40');
      for (let i = 0; i < 2; i++) await viaDirect.login(`p${i}@example.com`, 'guess-123', { 'X-Forwarded-For': `198.51.100.${i}` });
      expect((await viaDirect.login('p9@example.com', 'guess-123', { 'X-Forwarded-For': '198.51.100.77' })).status, 'a forged header does not change the address').to.equal(429);

      const proxy = new ClientAt(proxied.url, '127.0.0.41');
      // The client forges the first entries; the proxy appends the address it saw last.
      for (let i = 0; i < 2; i++) await proxy.login(`q${i}@example.com`, 'guess-123', { 'X-Forwarded-For': `203.0.113.${i}, 192.0.2.50` });
      expect((await proxy.login('q9@example.com', 'guess-123', { 'X-Forwarded-For': '203.0.113.99, 192.0.2.50' })).status).to.equal(429);
      expect((await proxy.login('q9@example.com', 'guess-123', { 'X-Forwarded-For': '192.0.2.51' })).status, 'another client behind the proxy').to.equal(401);
    } finally {
      await proxied.stop();
      await direct.stop();
    }
  });
});

describeWith('redis', 'the throttle without its Redis', () => {
  it('answers 503 redis_unavailable at once instead of waiting for Redis', async () => {
    const store = await RedisThrottleStore.connect(TEST_REDIS_URL!, freshRedisPrefix());
    await store.close();
    const started = Date.now();
    const error = await store.take([{ key: 'k', free: 5, baseMs: 1000 }], Date.now(), 60_000).then(() => undefined, (e: unknown) => e as { code?: string; status?: number });
    expect(error?.code).to.equal('redis_unavailable');
    expect(error?.status).to.equal(503);
    expect(Date.now() - started).to.be.below(2_500);
  });
});

describeWith('redis', 'login limits shared by two API processes (PostgreSQL + Redis)', () => {
  let a: TestKernel;
  let b: TestKernel;
  before(function () {
    if (!TEST_DATABASE_URL) this.skip();
  });
  beforeEach(async () => {
    const schema = freshSchema();
    const env = { REDIS_PREFIX: freshRedisPrefix(), LOGIN_MAX_FAILURES: '3', LOGIN_ADDRESS_MAX_FAILURES: '4', LOGIN_BACKOFF_BASE_MS: '30000' };
    a = await startKernel({ schema, env });
    b = await startKernel({ schema, env });
  });
  afterEach(async () => {
    await b.kernel.stop();
    await a.stop();
  });

  it('counts failures made on one process on the other, per account and per address', async () => {
    await setupOwner(a.api);
    for (let i = 0; i < 3; i++) expect((await new ClientAt(a.url, `127.0.1.${i}`).login(OWNER.email, 'wrong-pass-1')).status).to.equal(401);
    const res = await new ClientAt(b.url, '127.0.1.9').login(OWNER.email, OWNER.password);
    expect(res.status).to.equal(429);
    expect(Number(res.headers['retry-after'])).to.be.within(29, 30);

    const sprayer = [new ClientAt(a.url, '127.0.2.1'), new ClientAt(b.url, '127.0.2.1')];
    for (let i = 0; i < 4; i++) expect((await sprayer[i % 2]!.login(`s${i}@example.com`, 'guess-123')).status).to.equal(401);
    expect((await sprayer[0]!.login('s9@example.com', 'guess-123')).status).to.equal(429);
    expect((await sprayer[1]!.login('s9@example.com', 'guess-123')).status).to.equal(429);
  });

  it('knows a client on the other process', async () => {
    await setupOwner(a.api);
    const browser = new ClientAt(a.url, '127.0.3.1');
    expect((await browser.login(OWNER.email, OWNER.password)).status).to.equal(200);
    for (let i = 0; i < 3; i++) await new ClientAt(b.url, '127.0.3.2').login(OWNER.email, 'wrong-pass-1');
    const onB = new ClientAt(b.url, '127.0.3.5');
    for (const [k, v] of browser.cookies) onB.cookies.set(k, v);
    expect((await onB.login(OWNER.email, OWNER.password)).status).to.equal(200);
  });
});
