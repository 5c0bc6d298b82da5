import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

const PLUGIN = '@tessera/plugin-openai';

/**
 * One plugin status on every page (issue #14: the pages disagreed): the
 * plugins list, the plugin's own page and the model providers page all read
 * the workspace's installation of the plugin.
 */
if (!hasChromium()) {
  describe(`plugin status (needs ${CHROMIUM})`, () => it('shows the same plugin status on every page'));
} else describe('plugin status across pages', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  /** The status the three pages show for the OpenAI plugin. */
  async function statuses(): Promise<{ list: string; detail: string; provider: string }> {
    await page.goto(`${k.t.url}/plugins`);
    const list = (await page.getByRole('row', { name: new RegExp(PLUGIN) }).getByTestId('plugin-status').innerText()).trim();
    await page.goto(`${k.t.url}/plugins/${encodeURIComponent(PLUGIN)}`);
    const detail = (await page.getByTestId('plugin-status').innerText()).trim();
    await page.goto(`${k.t.url}/providers`);
    const provider = (await page.locator('[data-provider="openai"]').getByTestId('plugin-status').innerText()).trim();
    return { list, detail, provider };
  }

  it('agrees while the plugin is enabled', async () => {
    const s = await statuses();
    expect(s).to.deep.equal({ list: s.list, detail: s.list, provider: s.list });
    expect(s.list).to.equal('Enabled');
  });

  it('agrees once the plugin is disabled in the workspace (the providers page showed it as usable)', async () => {
    const res = await k.t.api('POST', `/console/api/plugins/${encodeURIComponent(PLUGIN)}/disable`, { token: k.token });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const s = await statuses();
    expect(s).to.deep.equal({ list: 'Disabled', detail: 'Disabled', provider: 'Disabled' });
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
