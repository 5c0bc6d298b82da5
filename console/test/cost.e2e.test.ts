import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, post, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

/**
 * Small costs (issue #14: the usage page rounded them to 0.00): a few tokens of
 * gpt-4o-mini cost a fraction of a thousandth of a dollar, and the console shows
 * that amount with its significant digits.
 */
if (!hasChromium()) {
  describe(`small costs (needs ${CHROMIUM})`, () => it('shows a small cost with its significant digits'));
} else describe('small costs', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let appId = '';
  let conversationId = '';
  let price = 0;

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    const app = await createPublishedApp(k.t, k.token, 'chat', {}, 'Cheap');
    appId = app.id;
    k.upstream.scripts = [{ kind: 'stream', words: ['Hi', '!'], usage: { prompt_tokens: 120, completion_tokens: 30 } }];
    const res = await post(k.t, app.key, '/chat-messages', { inputs: {}, query: 'Hello', response_mode: 'blocking', user: 'u1' });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).to.equal(200);
    conversationId = body.conversation_id;
    price = Number(body.metadata.usage.total_price);
    // 120 × $0.15 + 30 × $0.60 per million tokens.
    expect(price).to.be.closeTo(0.000036, 1e-9);
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  it('shows the day’s cost on the usage page with its significant digits, not 0.00', async () => {
    await page.goto(`${k.t.url}/apps/${appId}/usage`);
    const caption = page.locator('figure', { hasText: 'Cost' }).locator('figcaption');
    await caption.waitFor();
    expect(await caption.innerText()).to.match(/Σ 0\.000036 USD/);
    // The bar is drawn against a scale of the costs, not against 1.
    const height = await page.locator('figure', { hasText: 'Cost' }).locator('rect').last().getAttribute('height');
    expect(Number(height)).to.be.greaterThan(10);
  });

  it('shows the message’s cost in its conversation', async () => {
    await page.goto(`${k.t.url}/apps/${appId}/logs/${conversationId}`);
    await page.getByText(/0\.000036 USD/).waitFor();
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
