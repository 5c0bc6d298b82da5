import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

const FORM = [
  { 'text-input': { label: 'Company', variable: 'company', required: true, max_length: 48, default: '' } },
  { select: { label: 'Tier', variable: 'tier', required: true, options: ['free', 'pro'], default: '' } },
  { number: { label: 'Seats', variable: 'seats', required: true, default: '' } },
  { paragraph: { label: 'Notes', variable: 'notes', required: false, default: '' } },
];

/** The command of a curl example, run the way a shell would read its `-d '…'` body. */
function curlBody(example: string): unknown {
  const quoted = /-d '((?:[^']|'\\'')*)'/.exec(example)?.[1];
  if (!quoted) throw new Error(`no -d body in ${example}`);
  return JSON.parse(quoted.replace(/'\\''/g, "'"));
}

/** App pages against what the API answers (issue #14, items 3, 5 and 8). */
if (!hasChromium()) {
  describe(`app pages (needs ${CHROMIUM})`, () => it('fills required inputs in the curl example'));
} else describe('app pages', function () {
  this.timeout(60_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    appId = (await createPublishedApp(k.t, k.token, 'chat', { pre_prompt: 'You help {{company}} ({{tier}}, {{seats}} seats).', user_input_form: FORM }, 'Inputs app')).id;
    ({ page, errors } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  describe('API page', () => {
    it('fills the required inputs of the curl examples from the user_input_form, so the copied command works', async () => {
      await page.goto(`${k.t.url}/apps/${appId}/api`);
      await page.getByRole('button', { name: 'New key' }).click();
      const key = (await page.getByTestId('new-api-key').innerText()).trim();
      const examples = await page.locator('.code-block pre').allInnerTexts();
      expect(examples).to.have.length(2);
      const body = curlBody(examples[0]!) as { inputs: Record<string, unknown> };
      expect(body.inputs).to.have.keys('company', 'tier', 'seats');
      expect(body.inputs.tier).to.equal('free');
      const res = await fetch(`${k.t.url}/v1/chat-messages`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).to.equal(200);
      expect(curlBody(examples[1]!)).to.deep.include({ inputs: body.inputs, response_mode: 'streaming' });
    });
  });

  describe('DSL import', () => {
    it('shows the API’s message for a file it refuses (the YAML error with its line and column), with a code', async () => {
      await page.goto(`${k.t.url}/apps`);
      await page.getByRole('button', { name: 'Import DSL' }).click();
      const dialog = page.getByRole('dialog', { name: 'Import DSL' });
      await dialog.getByLabel('DSL (YAML)').fill('app:\n  name: Broken\n  mode: chat\n    icon: [unclosed\n');
      await dialog.getByRole('button', { name: 'Import', exact: true }).click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      const text = await alert.innerText();
      expect(text).to.match(/Invalid YAML format/).and.to.match(/line \d+/);
      expect(text).to.not.include('http_400').and.to.not.include('Bad Request');
      expect(await alert.locator('code').innerText()).to.match(/^[a-z_]+$/);
      await page.keyboard.press('Escape');
    });
  });

  describe('unknown apps', () => {
    for (const [what, id] of [['a malformed id', 'not-a-uuid'], ['an id of no app', '0b6f6a3e-8f0e-4c53-9d7c-2f1d3c4b5a69']] as const) {
      it(`shows "not found" for ${what}, not a server error`, async () => {
        await page.goto(`${k.t.url}/apps/${id}`);
        await page.getByRole('heading', { name: 'App not found' }).waitFor();
        expect(await page.getByText('The server hit an error').count()).to.equal(0);
        await page.getByRole('link', { name: /Apps/ }).first().waitFor();
      });
    }
  });

  describe('afterwards', () => {
    it('logged no browser errors', () => {
      expect(errors).to.deep.equal([]);
    });
  });
});
