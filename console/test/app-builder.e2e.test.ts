import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { post, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, screenshot, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

/** The app builder's draft and publish state (issue #14, item 4). */
if (!hasChromium()) {
  describe(`app builder (needs ${CHROMIUM})`, () => it('shows no unsaved changes on a new app'));
} else describe('app builder: draft and publish', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    const set = await k.t.api('POST', '/console/api/workspaces/current/default-model', { token: k.token, body: { model_settings: [{ model_type: 'llm', provider: 'openai', model: 'gpt-4o-mini' }] } });
    expect(set.status, JSON.stringify(set.body)).to.be.oneOf([200, 201]);
    // As the console's Create app dialog makes one: no model of its own.
    const created = await k.t.api('POST', '/console/api/apps', { token: k.token, body: { name: 'Fresh app', mode: 'chat', icon_type: 'emoji' } });
    expect(created.status).to.equal(201);
    appId = created.body.id;
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  const unsaved = () => page.getByRole('status').filter({ hasText: 'Unsaved changes' });
  const publishButton = () => page.getByRole('button', { name: 'Publish', exact: true });

  it('gives a new app the default model and saves it, so it shows no unsaved changes before any edit', async () => {
    await page.goto(`${k.t.url}/apps/${appId}`);
    await page.getByRole('heading', { name: 'Fresh app' }).waitFor();
    await page.waitForFunction(() => (document.querySelector('select[id$="-model"]') as HTMLSelectElement | null)?.value === 'openai/gpt-4o-mini');
    await page.waitForLoadState('networkidle');
    expect(await unsaved().count()).to.equal(0);
    const app = await k.t.api('GET', `/console/api/apps/${appId}`, { token: k.token });
    expect(app.body.model_config?.model).to.deep.include({ provider: 'openai', name: 'gpt-4o-mini' });
  });

  it('publishes a new app that the API then serves (not app_unavailable)', async () => {
    await publishButton().click();
    await page.locator('.toasts').getByText(/Published/).waitFor();
    const key = await k.t.api('POST', `/console/api/apps/${appId}/api-keys`, { token: k.token });
    const res = await post(k.t, key.body.token, '/chat-messages', { inputs: {}, query: 'Hi', response_mode: 'blocking', user: 'u1' });
    expect(res.status, await res.clone().text()).to.equal(200);
  });

  it('after an edit, says why Publish is disabled, and enables it once the draft is saved', async () => {
    const prompt = page.getByLabel('Instructions (prompt)');
    await prompt.fill('You are terse.');
    await unsaved().waitFor();
    expect(await publishButton().isDisabled()).to.equal(true);
    const hintId = await publishButton().getAttribute('aria-describedby');
    expect(hintId, 'the disabled Publish button is described').to.be.a('string');
    const hint = await page.locator(`[id="${hintId}"]`).innerText();
    expect(hint).to.match(/save the draft/i);
    await screenshot(page, 'app-publish-hint', { docs: false });
    await page.getByRole('button', { name: 'Save draft' }).click();
    await unsaved().waitFor({ state: 'detached' });
    expect(await publishButton().isEnabled()).to.equal(true);
  });

  it('counts an edit undone as no change', async () => {
    const prompt = page.getByLabel('Instructions (prompt)');
    await prompt.fill('You are terse!');
    await unsaved().waitFor();
    await prompt.fill('You are terse.');
    await unsaved().waitFor({ state: 'detached' });
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => expect(errors).to.deep.equal([]));
  });
});
