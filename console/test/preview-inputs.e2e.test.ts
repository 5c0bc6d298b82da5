import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

const FORM = [
  { 'text-input': { label: 'Company', variable: 'company', required: true, max_length: 48, default: '' } },
  { 'text-input': { label: 'Nickname', variable: 'nickname', required: false, max_length: 48, default: '' } },
];

/**
 * The preview's user inputs (issue #14): `{{variables}}` in the opening
 * statement are filled from the inputs form, as Dify does, and a required input
 * left empty is named before anything is sent.
 */
if (!hasChromium()) {
  describe(`preview inputs (needs ${CHROMIUM})`, () => it('fills the opening statement from the inputs'));
} else describe('preview inputs', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let appId = '';
  /** Bodies of the preview's chat-messages requests. */
  const sent: Array<{ inputs: Record<string, unknown>; query: string }> = [];

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    const config = { pre_prompt: 'You help {{company}}.', user_input_form: FORM, opening_statement: 'Welcome to {{company}}, {{ nickname }}!' };
    appId = (await createPublishedApp(k.t, k.token, 'chat', config, 'Greeter')).id;
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/chat-messages')) sent.push(req.postDataJSON());
    });
    await page.goto(`${k.t.url}/apps/${appId}`);
    await page.getByRole('heading', { name: 'Greeter' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  const log = () => page.getByTestId('chat-log');
  const preview = () => page.getByRole('region', { name: 'Preview' });

  it('fills {{variables}} of the opening statement from the inputs form as they are typed', async () => {
    await log().getByText('Welcome to {{company}}, {{ nickname }}!').waitFor();
    await preview().getByLabel('Company').fill('Acme');
    await log().getByText('Welcome to Acme, {{ nickname }}!').waitFor();
    await preview().getByLabel('Nickname').fill('Bo');
    await log().getByText('Welcome to Acme, Bo!').waitFor();
  });

  it('names a required input left empty and sends nothing', async () => {
    await preview().getByLabel('Company').fill('');
    const message = page.getByRole('textbox', { name: 'Message', exact: true });
    await message.fill('Hello');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await preview().getByRole('alert').getByText('Fill in “Company” first.').waitFor();
    expect(await preview().getByLabel('Company').getAttribute('aria-invalid')).to.equal('true');
    await page.waitForLoadState('networkidle');
    expect(sent).to.deep.equal([]);
    expect(await message.inputValue(), 'the message is kept').to.equal('Hello');
  });

  it('sends once the input is filled, with the inputs', async () => {
    await preview().getByLabel('Company').fill('Acme');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByTestId('assistant-message').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="assistant-message"]')?.getAttribute('aria-busy') === 'false');
    expect(sent).to.have.length(1);
    expect(sent[0]).to.deep.include({ query: 'Hello', inputs: { company: 'Acme', nickname: 'Bo' } });
    expect(await preview().getByRole('alert').count()).to.equal(0);
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
