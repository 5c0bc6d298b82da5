import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL } from '../support/env.js';
import { ClientAt } from '../support/http-from.js';
import { OWNER, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { SmtpTestServer, type ReceivedMail } from '../support/smtp.js';
import { DatabaseRef } from '../../src/services.js';

const NEW_PASSWORD = 'brand-new-pass-7';
const codeOf = (mail: ReceivedMail) => /code is: (\d{6})/.exec(mail.text)?.[1] ?? '';

describe('password reset by email code (Dify forgot-password)', () => {
  let smtp: SmtpTestServer;
  let t: TestKernel;
  let session: { token: string; refresh: string };
  beforeEach(async () => {
    smtp = await new SmtpTestServer().start();
    t = await startKernel({ env: { ...smtp.env(), LOGIN_MAX_FAILURES: '10', CONSOLE_URL: 'https://tessera.example.com' } });
    session = await setupOwner(t.api);
  });
  afterEach(async () => {
    await t.stop();
    await smtp.stop();
  });

  const forgot = (email: string, language?: string) => t.api('POST', '/console/api/forgot-password', { body: { email, ...(language ? { language } : {}) } });
  const validity = (email: string, code: string, token: string) => t.api('POST', '/console/api/forgot-password/validity', { body: { email, code, token } });
  const resets = (token: string, newPassword = NEW_PASSWORD, confirm = newPassword) => t.api('POST', '/console/api/forgot-password/resets', { body: { token, new_password: newPassword, password_confirm: confirm } });

  it('mails a 6-digit code, trades it for a reset token, sets the password and signs every session out', async () => {
    const sent = await forgot(OWNER.email.toUpperCase());
    expect(sent.status).to.equal(200);
    expect(sent.body).to.have.keys('result', 'data');
    expect(sent.body.result).to.equal('success');
    const mail = await smtp.next();
    expect(mail.to).to.deep.equal([OWNER.email]);
    expect(mail.subject).to.equal('Reset your Tessera password');
    expect(mail.text).to.contain('(https://tessera.example.com)').and.to.contain('expires in 5 minutes');
    const code = codeOf(mail);
    expect(code).to.match(/^\d{6}$/);

    const wrong = await validity(OWNER.email, code === '000000' ? '111111' : '000000', sent.body.data);
    expect(wrong.status).to.equal(400);
    expect(wrong.body.code).to.equal('email_code_error');
    const otherEmail = await validity('someone@example.com', code, sent.body.data);
    expect(otherEmail.body.code).to.equal('invalid_email');

    const valid = await validity(OWNER.email, code, sent.body.data);
    expect(valid.status).to.equal(200);
    expect(valid.body).to.include({ is_valid: true, email: OWNER.email });
    expect(valid.body.token).to.be.a('string').and.not.equal(sent.body.data);
    // The code and the first token work once.
    expect((await validity(OWNER.email, code, sent.body.data)).body.code).to.equal('invalid_or_expired_token');
    // The first token cannot set the password: only the one handed out for the code.
    expect((await resets(sent.body.data)).body.code).to.equal('invalid_or_expired_token');

    const mismatch = await resets(valid.body.token, NEW_PASSWORD, 'something-else-1');
    expect(mismatch.status).to.equal(400);
    expect(mismatch.body.code).to.equal('password_mismatch');
    const weak = await resets(valid.body.token, 'short');
    expect(weak.body).to.include({ code: 'invalid_param', params: 'new_password' });

    const done = await resets(valid.body.token);
    expect(done.status).to.equal(200);
    expect(done.body).to.deep.equal({ result: 'success' });
    expect((await resets(valid.body.token)).body.code, 'the reset token works once').to.equal('invalid_or_expired_token');

    expect((await t.api('GET', '/console/api/account/profile', { token: session.token })).status, 'the old session is signed out').to.equal(401);
    expect((await t.api('POST', '/console/api/refresh-token', { body: { refresh_token: session.refresh } })).status).to.equal(401);
    expect((await t.api('POST', '/console/api/login', { body: { email: OWNER.email, password: OWNER.password } })).status).to.equal(401);
    expect((await t.api('POST', '/console/api/login', { body: { email: OWNER.email, password: NEW_PASSWORD } })).status).to.equal(200);
  });

  it('answers an unknown email exactly like a known one and mails nothing to it', async () => {
    const unknown = await forgot('ghost@example.com');
    const known = await forgot(OWNER.email);
    expect(unknown.status).to.equal(known.status);
    expect(Object.keys(unknown.body)).to.deep.equal(Object.keys(known.body));
    expect(unknown.body.data).to.be.a('string').with.length(known.body.data.length);
    const mail = await smtp.next(); // mails go out in order: the only one is the owner's
    expect(mail.to).to.deep.equal([OWNER.email]);
    expect(smtp.unread()).to.have.length(0);
    // No code opens the unknown email's token: the answer is that of a wrong code.
    expect((await validity('ghost@example.com', '123456', unknown.body.data)).body.code).to.equal('email_code_error');
  });

  it('writes the mail in Chinese for language zh-Hans', async () => {
    await forgot(OWNER.email, 'zh-Hans');
    const mail = await smtp.next();
    expect(mail.subject).to.equal('重置您的 Tessera 密码');
    expect(mail.text).to.match(/验证码是：\d{6}/);
  });

  it('voids the older code when a new one is requested, and refuses an expired one', async () => {
    const first = await forgot(OWNER.email);
    const firstCode = codeOf(await smtp.next());
    const second = await forgot(OWNER.email);
    const secondCode = codeOf(await smtp.next());
    expect((await validity(OWNER.email, firstCode, first.body.data)).body.code).to.equal('invalid_or_expired_token');
    // Five minutes on: the row's expiry is what the kernel reads, on every process.
    await t.kernel.get(DatabaseRef).knex('password_resets').where({ email: OWNER.email }).whereNull('used_at').update({ expires_at: new Date(Date.now() - 1000) });
    expect((await validity(OWNER.email, secondCode, second.body.data)).body.code).to.equal('invalid_or_expired_token');
    const row = await t.kernel.get(DatabaseRef).knex('password_resets').where({ email: OWNER.email }).first();
    expect(row.code_hash).to.have.length(64).and.not.contain(secondCode); // stored hashed
  });

  it('kills a code after five wrong tries, even for the right code afterwards', async () => {
    const sent = await forgot(OWNER.email);
    const code = codeOf(await smtp.next());
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 5; i++) expect((await validity(OWNER.email, wrong, sent.body.data)).body.code).to.equal('email_code_error');
    expect((await validity(OWNER.email, code, sent.body.data)).body.code).to.equal('invalid_or_expired_token');
  });

  it('limits reset mails per email: the fourth within a minute is 429 password_reset_rate_limit_exceeded', async () => {
    for (let i = 0; i < 3; i++) expect((await forgot(OWNER.email)).status).to.equal(200);
    const res = await forgot(OWNER.email);
    expect(res.status).to.equal(429);
    expect(res.body.code).to.equal('password_reset_rate_limit_exceeded');
    expect(Number(res.headers.get('retry-after'))).to.equal(60);
    for (let i = 0; i < 3; i++) await smtp.next();
  });

  it('checks the address form of the email (400 invalid_param) before anything is sent', async () => {
    const res = await forgot('not-an-email');
    expect(res.status).to.equal(400);
    expect(res.body).to.include({ code: 'invalid_param', params: 'email' });
  });
});

describe('password reset code guessing is throttled', () => {
  it('answers 429 email_password_reset_limit with Retry-After once the failures for the email are used up', async () => {
    const smtp = await new SmtpTestServer().start();
    const t = await startKernel({ env: { ...smtp.env(), LOGIN_MAX_FAILURES: '3', LOGIN_BACKOFF_BASE_MS: '20000' } });
    try {
      await setupOwner(t.api);
      const sent = await t.api('POST', '/console/api/forgot-password', { body: { email: OWNER.email } });
      const code = codeOf(await smtp.next());
      const guesser = new ClientAt(t.url, '127.0.0.50');
      const wrong = code === '123123' ? '321321' : '123123';
      for (let i = 0; i < 3; i++) expect((await guesser.call('POST', '/console/api/forgot-password/validity', { email: OWNER.email, code: wrong, token: sent.body.data })).body.code).to.equal('email_code_error');
      const res = await guesser.call('POST', '/console/api/forgot-password/validity', { email: OWNER.email, code, token: sent.body.data });
      expect(res.status).to.equal(429);
      expect(res.body.code).to.equal('email_password_reset_limit');
      expect(Number(res.headers['retry-after'])).to.equal(20);
    } finally {
      await t.stop();
      await smtp.stop();
    }
  });
});

describe('password reset without mail', () => {
  let t: TestKernel;
  before(async () => {
    t = await startKernel();
    await setupOwner(t.api);
  });
  after(() => t.stop());

  it('answers forgot-password with 503 mail_not_configured, for any email', async () => {
    for (const email of [OWNER.email, 'ghost@example.com']) {
      const res = await t.api('POST', '/console/api/forgot-password', { body: { email, language: 'en-US' } });
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('mail_not_configured');
    }
  });
});

describe('tessera admin reset-password', () => {
  it('sets the password of an account from the command line and signs its sessions out', async function () {
    this.timeout(90_000); // two CLI processes boot a kernel each
    const first = await startKernel();
    const { token } = await setupOwner(first.api);
    await first.kernel.stop(); // the embedded database belongs to one process at a time
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const env: Record<string, string> = { PATH: process.env.PATH!, DATA_DIR: first.dataDir, LOG_LEVEL: 'warn', MARKETPLACE: 'off', BUNDLED_PLUGINS_DIR: '' };
    if (TEST_DATABASE_URL) Object.assign(env, { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: first.schema! });
    const run = async (args: string[]) => {
      const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', cli, 'admin', 'reset-password', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      const [code] = (await once(child, 'exit')) as [number];
      return { code, out };
    };
    expect(await run(['--email', OWNER.email])).to.deep.equal({ code: 2, out: 'tessera: admin reset-password needs --email and --password\n' });
    expect(await run(['--email', OWNER.email, '--password', NEW_PASSWORD])).to.deep.equal({ code: 0, out: `password of ${OWNER.email} set; 1 session(s) signed out\n` });
    const second = await startKernel({ dataDir: first.dataDir, ...(first.schema ? { schema: first.schema } : {}) });
    try {
      expect((await second.api('GET', '/console/api/account/profile', { token })).status).to.equal(401);
      expect((await second.api('POST', '/console/api/login', { body: { email: OWNER.email, password: NEW_PASSWORD } })).status).to.equal(200);
    } finally {
      await second.stop();
    }
  });
});
