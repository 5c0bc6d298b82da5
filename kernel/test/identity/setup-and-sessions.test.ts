import { expect } from 'chai';
import { OWNER, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';

describe('console setup, login and sessions', () => {
  let t: TestKernel;
  before(async () => {
    t = await startKernel();
  });
  after(async () => {
    await t.stop();
  });

  it('reports setup not started, then creates the owner and first workspace once (201, then 403 already_setup)', async () => {
    expect((await t.api('GET', '/console/api/setup')).body.step).to.equal('not_started');
    const first = await t.api('POST', '/console/api/setup', { body: OWNER });
    expect(first.status).to.equal(201);
    expect(first.body).to.deep.equal({ result: 'success' });
    const second = await t.api('POST', '/console/api/setup', { body: { ...OWNER, email: 'other@example.com' } });
    expect(second.status).to.equal(403);
    expect(second.body).to.deep.equal({ code: 'already_setup', message: 'Tessera has already been set up.', status: 403 });
    expect((await t.api('GET', '/console/api/setup')).body.step).to.equal('finished');
  });

  it('logs in with {result, data:{access_token, refresh_token}} and the token opens console routes', async () => {
    const res = await t.api('POST', '/console/api/login', { body: { email: OWNER.email.toUpperCase(), password: OWNER.password } });
    expect(res.status).to.equal(200);
    expect(res.body.result).to.equal('success');
    expect(res.body.data).to.have.keys('access_token', 'refresh_token');
    const profile = await t.api('GET', '/console/api/account/profile', { token: res.body.data.access_token });
    expect(profile.status).to.equal(200);
    expect(profile.body).to.include({ email: OWNER.email, name: OWNER.name });
    const current = await t.api('GET', '/console/api/workspaces/current', { token: res.body.data.access_token });
    expect(current.body).to.include({ role: 'owner', name: `${OWNER.name}'s Workspace` });
  });

  it('refuses a wrong password and an unknown email alike with 401 authentication_failed', async () => {
    const wrong = await t.api('POST', '/console/api/login', { body: { email: OWNER.email, password: 'nope-nope-1' } });
    const unknown = await t.api('POST', '/console/api/login', { body: { email: 'ghost@example.com', password: 'nope-nope-1' } });
    for (const res of [wrong, unknown]) {
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal({ code: 'authentication_failed', message: 'Invalid email or password.', status: 401 });
    }
  });

  it('locks an email out with 429 and Retry-After after five failed logins', async () => {
    const email = 'locked@example.com';
    for (let i = 0; i < 5; i++) {
      expect((await t.api('POST', '/console/api/login', { body: { email, password: 'bad-pass-1' } })).status).to.equal(401);
    }
    const res = await t.api('POST', '/console/api/login', { body: { email, password: 'bad-pass-1' } });
    expect(res.status).to.equal(429);
    expect(res.body.code).to.equal('login_rate_limited');
    expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
  });

  it('rotates tokens on refresh: the old refresh and access tokens stop working', async () => {
    const { token, refresh } = await loginOwner(t);
    const res = await t.api('POST', '/console/api/refresh-token', { body: { refresh_token: refresh } });
    expect(res.status).to.equal(200);
    const fresh = res.body.data;
    expect(fresh.access_token).to.not.equal(token);
    expect((await t.api('GET', '/console/api/account/profile', { token: fresh.access_token })).status).to.equal(200);
    expect((await t.api('GET', '/console/api/account/profile', { token })).status).to.equal(401);
    const reuse = await t.api('POST', '/console/api/refresh-token', { body: { refresh_token: refresh } });
    expect(reuse.status).to.equal(401);
    expect(reuse.body.code).to.equal('invalid_refresh_token');
  });

  it('revokes the session on logout', async () => {
    const { token, refresh } = await loginOwner(t);
    expect((await t.api('POST', '/console/api/logout', { token })).body).to.deep.equal({ result: 'success' });
    const after = await t.api('GET', '/console/api/account/profile', { token });
    expect(after.status).to.equal(401);
    expect(after.headers.get('www-authenticate')).to.equal('Bearer realm="api"');
    expect((await t.api('POST', '/console/api/refresh-token', { body: { refresh_token: refresh } })).status).to.equal(401);
  });

  it('answers 401 for a missing header, a non-Bearer scheme and an unknown token', async () => {
    const missing = await t.api('GET', '/console/api/account/profile');
    const basic = await t.api('GET', '/console/api/account/profile', { headers: { Authorization: 'Basic abc' } });
    const unknown = await t.api('GET', '/console/api/account/profile', { token: 'not-a-token' });
    for (const res of [missing, basic, unknown]) {
      expect(res.status).to.equal(401);
      expect(res.body.status).to.equal(401);
      expect(res.body.code).to.be.a('string');
    }
    const lower = await t.api('GET', '/console/api/account/profile', { headers: { Authorization: `bearer ${(await loginOwner(t)).token}` } });
    expect(lower.status).to.equal(200);
  });
});

async function loginOwner(t: TestKernel) {
  const res = await t.api('POST', '/console/api/login', { body: { email: OWNER.email, password: OWNER.password } });
  return { token: res.body.data.access_token as string, refresh: res.body.data.refresh_token as string };
}

describe('console input errors', () => {
  let t: TestKernel;
  let token: string;
  before(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
  });
  after(() => t.stop());

  it('answers malformed JSON with 400 invalid_param', async () => {
    const res = await t.api('POST', '/console/api/login', { rawBody: '{"email": "a@b.c",' });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('invalid_param');
    expect(res.body.message).to.match(/not valid JSON/);
  });

  it('names the field for a wrong type, a missing field and an unknown field', async () => {
    const wrongType = await t.api('POST', '/console/api/workspaces', { token, body: { name: 42 } });
    expect(wrongType.status).to.equal(400);
    expect(wrongType.body).to.include({ code: 'invalid_param', params: 'name' });
    const missing = await t.api('POST', '/console/api/login', { body: { email: 'a@b.co' } });
    expect(missing.body).to.include({ code: 'invalid_param', params: 'password', message: 'password is required.' });
    const unknown = await t.api('POST', '/console/api/workspaces', { token, body: { name: 'x', colour: 'red' } });
    expect(unknown.body).to.include({ code: 'invalid_param', params: 'colour' });
  });

  it('refuses a weak password and a bad email at setup-like routes', async () => {
    const invite = await t.api('POST', '/console/api/workspaces/current/members/invite-email', { token, body: { emails: ['not-an-email'], role: 'editor' } });
    expect(invite.status).to.equal(400);
    expect(invite.body.params).to.equal('emails');
  });

  it('answers an unknown route with the error body and never a stack trace on failure', async () => {
    const res = await t.api('GET', '/console/api/no-such-thing');
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ code: 'not_found', message: 'The requested URL was not found on the server.', status: 404 });
  });
});
