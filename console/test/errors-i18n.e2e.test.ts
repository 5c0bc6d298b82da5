import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

/**
 * Server errors in the Chinese console (issue #14: they stayed English): the
 * error's `code` picks the words, the server's message fills in what only it
 * knows.
 */
if (!hasChromium()) {
  describe(`server errors in Chinese (needs ${CHROMIUM})`, () => it('words a provider failure in Chinese'));
} else describe('server errors in Chinese', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    appId = (await createPublishedApp(k.t, k.token, 'chat', {}, 'Flaky')).id;
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password, { locale: 'zh-CN' }));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  it('words a model provider failure in the preview in Chinese, with its code', async () => {
    k.upstream.scripts = [{ kind: 'error', status: 500, message: 'upstream exploded' }];
    await page.goto(`${k.t.url}/apps/${appId}`);
    await page.getByRole('heading', { name: 'Flaky' }).waitFor();
    await page.getByRole('textbox', { name: '消息', exact: true }).fill('你好');
    await page.getByRole('button', { name: '发送', exact: true }).click();
    const alert = page.getByTestId('assistant-message').getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).to.contain('provider_connection_error');
    expect(text.replace('provider_connection_error', '')).to.match(/[\u4e00-\u9fff]/).and.not.match(/[A-Za-z]{4,}/);
  });

  it('quotes the server message where only it has the specifics (a DSL error’s line)', async () => {
    await page.goto(`${k.t.url}/apps`);
    await page.getByRole('button', { name: '导入 DSL' }).click();
    const dialog = page.getByRole('dialog', { name: '导入 DSL' });
    await dialog.getByLabel('DSL（YAML）').fill('app:\n  name: Broken\n  mode: chat\n    icon: [unclosed\n');
    await dialog.getByRole('button', { name: '导入', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).to.match(/^导入失败：/);
    expect(text).to.match(/line \d+/i);
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
