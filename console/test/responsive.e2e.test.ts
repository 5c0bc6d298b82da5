import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, post, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, screenshot, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

// Names as people paste them: long words without a break, and long sentences.
const LONG_APP = 'Customer-support-assistant-for-the-EMEA-region-with-escalation-to-humans-and-refunds-v2';
const LONG_WORKSPACE = 'The Research and Development Department of the Northern Hemisphere Subsidiary';

/**
 * The console on a phone (issue #14: below ~765 px every page scrolled
 * sideways and long names overflowed cards and dialogs). At 390 px wide no
 * page scrolls horizontally, and a long name stays inside its box.
 */
if (!hasChromium()) {
  describe(`console at phone width (needs ${CHROMIUM})`, () => it('has no horizontal scrolling at 390 px on the main pages'));
} else describe('console at phone width (390 px)', function () {
  this.timeout(90_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    expect((await k.t.api('PATCH', '/console/api/workspaces/current', { token: k.token, body: { name: LONG_WORKSPACE } })).status).to.equal(200);
    const app = await createPublishedApp(k.t, k.token, 'chat', { opening_statement: 'Hi!' }, LONG_APP);
    appId = app.id;
    // A conversation, so the logs list a row with the app's long name around.
    await (await post(k.t, app.key, '/chat-messages', { inputs: {}, query: `${LONG_APP} ${LONG_APP}`, response_mode: 'blocking', user: 'phone-user' })).text();
    ({ page } = await signedInPage(browser, k.t, OWNER.email, OWNER.password, { width: 390, height: 844 }));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  /** The document's horizontal overflow and every card or dialog whose content is wider than the box. */
  const overflow = () =>
    page.evaluate(() => {
      const root = document.scrollingElement!;
      const boxes = [...document.querySelectorAll<HTMLElement>('.card, .dialog, .page-header, .topbar')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, boxes };
    });

  const pages: Array<[string, () => string, string | RegExp]> = [
    ['apps', () => '/apps', 'Apps'],
    ['app configure', () => `/apps/${appId}`, 'Draft'],
    ['app API', () => `/apps/${appId}/api`, 'API keys'],
    ['app logs', () => `/apps/${appId}/logs`, 'Search'],
    ['app usage', () => `/apps/${appId}/usage`, 'Usage'],
    ['model providers', () => '/providers', 'Model providers'],
    ['plugins', () => '/plugins', 'Plugins'],
    ['workspace', () => '/workspace', 'Members'],
    ['system', () => '/system', 'System'],
  ];
  for (const [name, path, landmark] of pages) {
    it(`has no horizontal scrolling on the ${name} page`, async () => {
      await page.goto(`${k.t.url}${path()}`);
      await page.getByText(landmark).first().waitFor();
      await page.waitForLoadState('networkidle');
      const o = await overflow();
      if (o.scrollWidth > o.clientWidth || o.boxes.length) await screenshot(page, `phone-${name.replace(/\W+/g, '-')}`, { docs: false });
      expect(o.scrollWidth, `${name}: document ${o.scrollWidth} px wide in a ${o.clientWidth} px viewport`).to.be.at.most(o.clientWidth);
      expect(o.boxes, name).to.deep.equal([]);
    });
  }

  it('keeps a long app name inside its card and the app header', async () => {
    await page.goto(`${k.t.url}/apps`);
    const card = page.getByRole('link', { name: new RegExp(LONG_APP) });
    await card.waitFor();
    const fits = await card.evaluate((el) => el.getBoundingClientRect().right <= document.documentElement.clientWidth && el.scrollWidth <= el.clientWidth + 1);
    expect(fits).to.equal(true);
    await page.goto(`${k.t.url}/apps/${appId}`);
    const title = page.getByRole('heading', { name: LONG_APP, level: 1 });
    await title.waitFor();
    expect(await title.evaluate((el) => el.getBoundingClientRect().right <= document.documentElement.clientWidth)).to.equal(true);
    await screenshot(page, 'phone-app-configure', { docs: false });
  });

  it('keeps a dialog and a long name inside the screen', async () => {
    await page.goto(`${k.t.url}/apps/${appId}`);
    await page.getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Edit name and description' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit name and description' });
    await dialog.waitFor();
    const o = await overflow();
    expect(o.scrollWidth).to.be.at.most(o.clientWidth);
    expect(o.boxes).to.deep.equal([]);
    const box = (await dialog.boundingBox())!;
    expect(box.x).to.be.at.least(0);
    expect(box.x + box.width).to.be.at.most(390);
    await page.keyboard.press('Escape');
  });
});
