import { expect } from 'chai';
import { loadConfig } from '../../src/boot/config.js';
import { ConfigError, TesseraError } from '../../src/errors.js';
import { createMailer, type Mailer } from '../../src/identity/mailer.js';
import { createLogger } from '../../src/logger.js';
import { freshDataDir } from '../support/env.js';
import { startKernel } from '../support/kernel.js';
import { silentServer, SmtpTestServer } from '../support/smtp.js';
import { MailerRef } from '../../src/services.js';

const logger = createLogger('silent');
const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: freshDataDir(), ...env });

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  try {
    await promise;
  } catch (error) {
    return error as TesseraError;
  }
  throw new Error('expected a rejection');
}

describe('mail settings', () => {
  it('reads SMTP_URL, or SMTP_HOST with its port, user, password and TLS, and needs MAIL_FROM with either', () => {
    const url = config({ SMTP_URL: 'smtps://mailer%40example.com:p%40ss@mail.example.com', MAIL_FROM: 'Tessera <t@example.com>', CONSOLE_URL: 'https://tessera.example.com/' });
    expect(url.smtp).to.deep.equal({ host: 'mail.example.com', port: 465, secure: true, user: 'mailer@example.com', password: 'p@ss' });
    expect(url.consoleUrl).to.equal('https://tessera.example.com');
    const parts = config({ SMTP_HOST: 'mail.example.com', SMTP_USER: 'u', SMTP_PASSWORD: 'pw', MAIL_FROM: 't@example.com' });
    expect(parts.smtp).to.deep.equal({ host: 'mail.example.com', port: 587, secure: false, user: 'u', password: 'pw' });
    expect(config({ SMTP_HOST: 'mail.example.com', SMTP_PORT: '465', MAIL_FROM: 't@example.com' }).smtp?.secure).to.equal(true);
    expect(config({}).smtp).to.equal(undefined);
    expect(config({ CONSOLE_WEB_URL: 'http://dify-style.example' }).consoleUrl).to.equal('http://dify-style.example');
    for (const [env, variable] of [
      [{ SMTP_HOST: 'mail.example.com' }, 'MAIL_FROM'],
      [{ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'a@b.c' }, 'SMTP_URL'],
      [{ SMTP_PORT: '25' }, 'SMTP_PORT'],
      [{ SMTP_HOST: 'h', SMTP_SECURE: 'maybe', MAIL_FROM: 'a@b.c' }, 'SMTP_SECURE'],
      [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
    ] as const) {
      expect(() => config(env), JSON.stringify(env)).to.throw(ConfigError).with.property('variable', variable);
    }
  });

  it('reads TRUST_PROXY as a count of proxies (false = 0, true = 1)', () => {
    expect(config({}).trustProxyHops).to.equal(0);
    expect(config({ TRUST_PROXY: 'true' }).trustProxyHops).to.equal(1);
    expect(config({ TRUST_PROXY: '2' }).trustProxyHops).to.equal(2);
  });
});

describe('mailer (SMTP, against a real local SMTP server)', () => {
  let smtp: SmtpTestServer;
  let mailer: Mailer;
  afterEach(async () => {
    await mailer?.close();
    await smtp?.stop();
  });

  it('sends text and html with the configured From, logging in when SMTP_USER is set', async () => {
    smtp = await new SmtpTestServer({ auth: { user: 'tessera', password: 's3cret' } }).start();
    mailer = await createMailer(config(smtp.env('Tessera <noreply@example.test>')), logger);
    expect(mailer.configured).to.equal(true);
    await mailer.send({ to: 'olive@example.com', subject: 'Grüße — hello', text: 'Line one\nCode: 123456 ünïcödé', html: '<p>Code: <b>123456</b></p>' });
    const mail = await smtp.next();
    expect(mail.from).to.equal('noreply@example.test');
    expect(mail.to).to.deep.equal(['olive@example.com']);
    expect(mail.headers.from).to.equal('Tessera <noreply@example.test>');
    expect(mail.subject).to.equal('Grüße — hello');
    expect(mail.text.replace(/\r\n/g, '\n')).to.equal('Line one\nCode: 123456 ünïcödé');
    expect(mail.html).to.equal('<p>Code: <b>123456</b></p>');
  });

  it('fails with 503 mail_unavailable on wrong SMTP credentials', async () => {
    smtp = await new SmtpTestServer({ auth: { user: 'tessera', password: 's3cret' } }).start();
    mailer = await createMailer(config({ ...smtp.env(), SMTP_PASSWORD: 'wrong' }), logger);
    const error = await rejection(mailer.send({ to: 'a@example.com', subject: 's', text: 't' }));
    expect(error).to.include({ status: 503, code: 'mail_unavailable' });
    expect(smtp.messages).to.have.length(0);
  });

  it('fails with 400 mail_rejected when the server refuses the recipient', async () => {
    smtp = await new SmtpTestServer({ rejectRecipients: ['nobody@example.com'] }).start();
    mailer = await createMailer(config(smtp.env()), logger);
    const error = await rejection(mailer.send({ to: 'nobody@example.com', subject: 's', text: 't' }));
    expect(error).to.include({ status: 400, code: 'mail_rejected' });
  });

  it('refuses a header with a line break (no header injection)', async () => {
    smtp = await new SmtpTestServer().start();
    mailer = await createMailer(config(smtp.env()), logger);
    const error = await rejection(mailer.send({ to: 'a@example.com', subject: 'Hi\r\nBcc: victim@example.com', text: 't' }));
    expect(error).to.include({ status: 400, code: 'invalid_param', params: 'subject' });
    expect(smtp.messages).to.have.length(0);
  });

  it('gives up on a server that accepts the connection and never answers within MAIL_TIMEOUT_MS (503 mail_unavailable)', async () => {
    const silent = await silentServer();
    try {
      mailer = await createMailer(config({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(silent.port), MAIL_FROM: 't@example.test', MAIL_TIMEOUT_MS: '300' }), logger);
      const started = performance.now();
      const error = await rejection(mailer.send({ to: 'a@example.com', subject: 's', text: 't' }));
      expect(error).to.include({ status: 503, code: 'mail_unavailable' });
      expect(performance.now() - started).to.be.lessThan(3000);
    } finally {
      await silent.stop();
    }
  });

  it('fails at once with 503 mail_unavailable when nothing listens on the port', async () => {
    const silent = await silentServer();
    const port = silent.port;
    await silent.stop();
    mailer = await createMailer(config({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), MAIL_FROM: 't@example.test' }), logger);
    const error = await rejection(mailer.send({ to: 'a@example.com', subject: 's', text: 't' }));
    expect(error).to.include({ status: 503, code: 'mail_unavailable' });
  });

  it('is not configured without SMTP settings: every send is 503 mail_not_configured', async () => {
    mailer = await createMailer(config({}), logger);
    expect(mailer.configured).to.equal(false);
    expect(await rejection(mailer.send({ to: 'a@example.com', subject: 's', text: 't' }))).to.include({ status: 503, code: 'mail_not_configured' });
  });

  it('is on the kernel as kernel.get(MailerRef)', async () => {
    smtp = await new SmtpTestServer().start();
    const t = await startKernel({ env: smtp.env() });
    try {
      mailer = t.kernel.get(MailerRef);
      expect(mailer.configured).to.equal(true);
      await t.kernel.get(MailerRef).send({ to: 'x@example.com', subject: 'From the kernel', text: 'hello' });
      expect((await smtp.next()).subject).to.equal('From the kernel');
    } finally {
      await t.stop();
    }
  });
});
