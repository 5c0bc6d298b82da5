import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startKernel, type TestKernel } from '../../kernel/test/support/kernel.js';
import { collectErrors, hasChromium, launchBrowser, screenshot, CHROMIUM } from './support/browser.js';
import { SmtpSink } from './support/smtp.js';

const OWNER = { email: 'owner@example.com', name: 'Olive Owner', password: 'correct-horse-1' };
const NEW_PASSWORD = 'battery-staple-2';

/**
 * "Forgot password?" in a real browser, against a kernel whose outgoing mail
 * goes to a local SMTP sink: the code is read from the mail, as a person would.
 */
if (!hasChromium()) {
  describe(`password reset in a browser (needs ${CHROMIUM}: apt-get install -y chromium)`, () => it('resets a password with an emailed code'));
} else describe(`password reset in a browser (${CHROMIUM})`, function () {
  this.timeout(60_000);
  let t: TestKernel;
  let sink: SmtpSink;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async function () {
    this.timeout(120_000);
    sink = await new SmtpSink().start();
    const [kernel, b] = await Promise.all([startKernel({ env: { SMTP_URL: sink.url, MAIL_FROM: 'Tessera <tessera@example.com>' } }), launchBrowser()]);
    t = kernel;
    browser = b;
    expect((await t.api('POST', '/console/api/setup', { body: OWNER })).status).to.equal(201);
    // The reset routes are newer than the rest of the console API: a kernel without them skips this journey.
    if ((await t.api('POST', '/console/api/forgot-password', { body: { email: 'nobody@example.com' } })).status === 404) this.skip();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    errors = collectErrors(page);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && errors?.length) console.error(errors.join('\n'));
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `failed-reset-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`, { docs: false, toasts: true }).catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
    await sink?.stop();
  });

  const toast = (text: string | RegExp) => page.locator('.toasts').getByText(text);

  it('resets a forgotten password with the emailed code, then signs in with the new one', async () => {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL('**/forgot-password?**');
    expect(await page.getByLabel('Email').inputValue()).to.equal(OWNER.email);
    const before = sink.mails.length;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByLabel('Code').waitFor();
    const mail = await sink.next(OWNER.email, before);
    const code = /code is: (\d{6})/.exec(mail.text)?.[1];
    expect(code, mail.text).to.match(/^\d{6}$/);
    await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('That code is wrong or has expired.').waitFor();
    await page.getByLabel('Code').fill(code!);
    await screenshot(page, 'forgot-password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('New password').first().fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(`${NEW_PASSWORD}x`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('alert').getByText('The two passwords differ.').waitFor();
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.waitForURL('**/login?**');
    await toast('Password changed. Sign in with the new one.').waitFor();
    expect(await page.getByLabel('Email').inputValue()).to.equal(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor();
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/apps');
  });

  it('logged no browser errors', () => {
    expect(errors).to.deep.equal([]);
  });
});
