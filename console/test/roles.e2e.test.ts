import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { addMember } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

const MEMBER = { email: 'nora@example.com', password: 'member-pass-1' };

/**
 * A `normal` member on an app's pages (issue #14): the kernel keeps logs, the
 * preview, keys and edits for `apps.edit`, so the console must not offer them —
 * before, the Logs tab listed every conversation and every builder action failed.
 */
if (!hasChromium()) {
  describe(`app pages for a normal member (needs ${CHROMIUM})`, () => it('hides the logs and shows the builder read-only'));
} else describe('app pages for a normal member', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  /** Every API call the kernel refused (403): the console offered something the role may not do. */
  const refused: string[] = [];
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    appId = (await createPublishedApp(k.t, k.token, 'chat', { pre_prompt: 'Be brief.', opening_statement: 'Hello there.' }, 'Shared app')).id;
    await addMember(k.t.api, k.token, MEMBER.email, 'normal', MEMBER.password);
    ({ page, errors } = await signedInPage(browser, k.t, MEMBER.email, MEMBER.password));
    page.on('response', (res) => {
      if (res.status() === 403) refused.push(`${res.request().method()} ${new URL(res.url()).pathname}`);
    });
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  const tabs = () => page.getByRole('navigation', { name: 'App sections' });

  it('shows no Logs tab', async () => {
    await page.goto(`${k.t.url}/apps/${appId}`);
    await page.getByRole('heading', { name: 'Shared app' }).waitFor();
    await tabs().getByRole('link', { name: 'Usage' }).waitFor();
    expect(await tabs().getByRole('link', { name: 'Logs' }).count()).to.equal(0);
  });

  it('shows the builder read-only: no save, no preview to run, every field disabled', async () => {
    await page.getByLabel('Instructions (prompt)').waitFor();
    expect(await page.getByLabel('Instructions (prompt)').isDisabled()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Save draft' }).count()).to.equal(0);
    await page.getByText('Only editors can change this app or try it here.').waitFor();
    // The preview's chat runs the draft (apps.edit): no message box to type into.
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).to.equal(0);
  });

  it('answers a typed logs address with "no permission" instead of asking the API', async () => {
    await page.goto(`${k.t.url}/apps/${appId}/logs`);
    await page.getByRole('heading', { name: 'Shared app' }).waitFor();
    await page.getByText('Only editors can read this app’s logs.').waitFor();
    expect(await page.getByRole('table').count()).to.equal(0);
  });

  it('shows the API page without the key list it may not read', async () => {
    await page.goto(`${k.t.url}/apps/${appId}/api`);
    await page.getByRole('heading', { name: 'Service API' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('button', { name: 'New key' }).count()).to.equal(0);
  });

  it('showed the Usage page', async () => {
    await page.goto(`${k.t.url}/apps/${appId}/usage`);
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    await page.waitForLoadState('networkidle');
  });

  describe('afterwards', () => {
    it('made no request the kernel refused', () => expect(refused).to.deep.equal([]));
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
