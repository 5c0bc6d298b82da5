import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findFreePort } from '@tessera/marketplace';
import { startKernel, type TestKernel } from '../../kernel/test/support/kernel.js';
import { OpenAiWireServer } from '../../kernel/test/support/openai-server.js';
import { buildProbePlugin } from '../../kernel/test/support/plugins.js';
import { collectErrors, hasChromium, launchBrowser, screenshot, CHROMIUM } from './support/browser.js';

const PLUGINS_DIR = fileURLToPath(new URL('../../plugins', import.meta.url));
const OWNER = { email: 'owner@example.com', name: 'Olive Owner', password: 'correct-horse-1' };
/** Invited by the owner; never an install admin unless the owner appoints her. */
const ADA = { email: 'ada@example.com', name: 'Ada Lovelace', password: 'analytical-engine-1' };
const ANSWER = ['Hello', ' from', ' the', ' fake', ' model', '.'];

/**
 * The console end to end in a real browser (Debian's chromium, headless),
 * against a kernel started here with the embedded marketplace and the
 * first-party plugins, and an OpenAI-wire test server as the model provider.
 * One journey, step by step: each `it` continues where the previous one ended.
 */
if (!hasChromium()) {
  describe(`console in a browser (needs ${CHROMIUM}: apt-get install -y chromium)`, () => it('runs the setup → provider → app → marketplace journey'));
} else describe(`console in a browser (${CHROMIUM})`, function () {
  this.timeout(60_000);
  let t: TestKernel;
  let llm: OpenAiWireServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let appUrl = '';
  let appKey = '';
  // The invitee's own browser (a second context: her session, not the owner's).
  let adaContext: BrowserContext | undefined;
  let ada: Page;
  let adaErrors: string[] = [];
  let adaLink = '';
  let bobLink = '';

  before(async function () {
    this.timeout(120_000);
    llm = await new OpenAiWireServer().start();
    llm.scripts = [{ kind: 'stream', words: ANSWER, delayMs: 250 }];
    const [kernel, b] = await Promise.all([
      startKernel({ env: { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()), BUNDLED_PLUGINS_DIR: PLUGINS_DIR } }),
      launchBrowser(),
    ]);
    t = kernel;
    browser = b;
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 860 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    errors = collectErrors(page);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && errors?.length) console.error(errors.join('\n'));
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`, { docs: false, toasts: true }).catch(() => undefined);
  });
  after(async () => {
    await adaContext?.close();
    await browser?.close();
    await t?.stop();
    await llm?.stop();
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  // Toasts stay visible under a modal, where the dialog hides the rest of the page from the accessibility tree.
  const toast = (text: string | RegExp, on: Page = page) => on.locator('.toasts').getByText(text);
  const adaNav = (name: string) => ada.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  const pendingInvitations = () => page.getByRole('table', { name: 'Pending invitations' });
  const members = () => page.getByRole('table', { name: 'Members' });

  /** Invites `email` with `role` from the invite dialog and returns the activation link shown to pass on (no mailer here). */
  async function invite(email: string, role: string, shot?: string): Promise<string> {
    await page.getByRole('button', { name: 'Invite members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite members' });
    await dialog.getByLabel('Emails').fill(email);
    await dialog.getByLabel('Role').selectOption(role);
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    await dialog.getByTestId('invite-results').getByText('Link to share').waitFor();
    const link = (await dialog.getByTestId('invite-link').innerText()).trim();
    if (shot) await screenshot(page, shot);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    return new URL(link).pathname + new URL(link).search;
  }

  it('sends a fresh install to first-run setup, which creates the owner and signs in', async () => {
    await page.goto(`${t.url}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Name').fill(OWNER.name);
    await page.getByLabel('Password').fill(OWNER.password);
    await screenshot(page, 'setup');
    await page.getByRole('button', { name: 'Create owner account' }).click();
    await page.waitForURL('**/apps');
    await page.getByText('No apps yet.').waitFor();
  });

  it('signs out, refuses a wrong password with a clear message, then signs in', async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('wrong-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor();
    await page.getByLabel('Password').fill(OWNER.password);
    await screenshot(page, 'login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/apps');
  });

  it('lets a keyboard user skip to the content', async () => {
    await page.reload();
    await page.getByText('No apps yet.').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main');
  });

  it('configures the OpenAI-compatible provider from its credential schema and sets the default model', async () => {
    await nav('Model providers').click();
    await page.getByRole('button', { name: 'Set up OpenAI' }).click();
    const dialog = page.getByRole('dialog', { name: 'OpenAI credentials' });
    await dialog.getByLabel('API key').fill('sk-wrong');
    await dialog.getByLabel('Base URL').fill(llm.url);
    await dialog.getByRole('button', { name: 'Test credentials' }).click();
    await dialog.getByRole('alert').getByText(/Incorrect API key/).waitFor();
    await dialog.getByLabel('API key').fill(llm.apiKey);
    await dialog.getByRole('button', { name: 'Test credentials' }).click();
    await dialog.getByText('The provider accepted these credentials.').waitFor();
    await dialog.getByRole('button', { name: 'Test and save' }).click();
    await toast('OpenAI credentials saved.').waitFor();
    await dialog.getByText(llm.url).waitFor();
    await screenshot(page, 'providers-credentials');
    await page.keyboard.press('Escape');
    const llmSelect = page.getByLabel('Chat model (LLM)');
    await llmSelect.locator('option[value="openai/gpt-4o-mini"]').waitFor({ state: 'attached' });
    await llmSelect.selectOption('openai/gpt-4o-mini');
    await toast('Default model saved.').waitFor();
    await screenshot(page, 'providers');
  });

  it('creates a chat app and streams an answer in the live preview', async () => {
    await nav('Apps').click();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create app' });
    await dialog.getByRole('radio', { name: 'Chatbot' }).check();
    await dialog.getByLabel('App name').fill('Support bot');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    appUrl = page.url();
    await page.getByRole('heading', { name: 'Support bot' }).waitFor();
    // A new app takes the workspace's default chat model.
    await page.waitForFunction(() => (document.querySelector('select[id$="-model"]') as HTMLSelectElement | null)?.value === 'openai/gpt-4o-mini');
    await page.getByLabel('Instructions (prompt)').fill('You are a helpful assistant for {{company}}.');
    await page.getByRole('button', { name: 'Add them' }).click();
    await page.getByLabel('Opening statement').fill('Hi! Ask me anything.');
    await page.getByRole('textbox', { name: 'company' }).fill('Acme');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('What can you do?');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');

    const answer = page.getByTestId('assistant-message').last();
    // Streaming: the first words show while the answer is still being written.
    await answer.and(page.locator('[aria-busy="true"]')).getByText(/Hello/).waitFor();
    const partial = await answer.innerText();
    expect(partial).to.not.include('fake model.');
    await answer.and(page.locator('[aria-busy="false"]')).waitFor();
    expect(await answer.innerText()).to.include('Hello from the fake model.');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'app-configure');
    // The draft was saved before the preview ran: the prompt went out with the variable filled in.
    expect(llm.chatRequests().some((r) => JSON.stringify(r.body.messages).includes('assistant for Acme.'))).to.equal(true);
  });

  it('publishes the app and shows an API key with copyable curl examples', async () => {
    await page.getByRole('button', { name: 'Publish' }).click();
    await toast(/Published/).waitFor();
    await page.getByRole('link', { name: 'API access' }).click();
    await page.getByRole('button', { name: 'New key' }).click();
    appKey = (await page.getByTestId('new-api-key').innerText()).trim();
    expect(appKey).to.match(/^app-/);
    const example = await page.locator('.code-block pre').first().innerText();
    expect(example).to.include(`Authorization: Bearer ${appKey}`).and.to.include('/v1/chat-messages');
    await screenshot(page, 'app-api');
    // The example works: the Service API answers with that key.
    const res = await fetch(`${t.url}/v1/chat-messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${appKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: { company: 'Acme' }, query: 'Hello!', response_mode: 'blocking', user: 'user-123' }),
    });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { answer: string }).answer).to.equal(ANSWER.join(''));
  });

  it('lists the conversations in the logs and opens one', async () => {
    await page.getByRole('link', { name: 'Logs' }).click();
    const rows = page.locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).to.equal(2);
    await screenshot(page, 'app-logs');
    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/logs\/[0-9a-f-]{36}$/);
    await page.getByText('Hello from the fake model.').first().waitFor();
    await screenshot(page, 'app-conversation');
  });

  it('charts the app’s usage per day', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('img', { name: 'Messages' }).waitFor();
    await screenshot(page, 'app-usage');
  });

  it('finds a plugin in the marketplace by text and kind and shows its README and permissions', async () => {
    await nav('Marketplace').click();
    await page.getByLabel('Search plugins').fill('calculator');
    await page.getByLabel('Kind').selectOption('tool');
    const card = page.getByRole('link', { name: /@tessera\/plugin-calculator/ });
    await card.waitFor();
    await screenshot(page, 'marketplace');
    await card.click();
    await page.getByRole('heading', { name: 'README' }).waitFor();
    await page.getByRole('heading', { name: 'Requested permissions' }).waitFor();
    // The README as the registry has it (the seeding publisher sends none yet: then the page says so).
    await page.locator('.markdown, :text("This plugin has no README.")').first().waitFor();
    await screenshot(page, 'marketplace-detail');
  });

  it('installs it after a permission review, then tries its tool', async () => {
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Install @tessera\/plugin-calculator/ });
    await dialog.getByText('This plugin asks for no permissions').waitFor();
    await screenshot(page, 'marketplace-install');
    await dialog.getByRole('button', { name: 'Grant and install' }).click();
    await page.getByText('Installed and enabled in this workspace.').waitFor({ timeout: 45_000 });
    await page.getByRole('link', { name: 'Try its tools' }).click();
    await page.getByRole('heading', { name: 'Try a tool' }).waitFor();
    await page.getByRole('textbox', { name: 'Expression' }).fill('6 * 7');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByTestId('tool-result').getByText('42').waitFor();
    await page.getByRole('textbox', { name: 'Expression' }).fill('1 / 0');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('alert').getByText(/division by zero/).waitFor();
    await page.getByRole('textbox', { name: 'Expression' }).fill('2 ^ 10');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByTestId('tool-result').getByText('1024').waitFor();
    // Each version with who vouches for it: the marketplace's first-party signature.
    await page.getByRole('table', { name: 'Installed versions' }).locator('tr', { hasText: 'Signed' }).getByText('Tessera (first-party)').waitFor();
    await screenshot(page, 'plugin-detail');
  });

  it('lists installed plugins with their state, and disables and re-enables one', async () => {
    await nav('Plugins').click();
    const row = page.locator('tr', { hasText: '@tessera/plugin-calculator' });
    await row.getByText('Enabled').waitFor();
    await screenshot(page, 'plugins');
    await row.getByRole('link').click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await toast('@tessera/plugin-calculator disabled.').waitFor();
    await page.getByText('Enable the plugin in this workspace to call its tools.').waitFor();
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Grant and enable' }).click();
    await toast('@tessera/plugin-calculator enabled.').waitFor();
  });

  it('invites a member: the invitation is pending, with its link to pass on, and nobody joins yet', async () => {
    await nav('Workspace & members').click();
    await page.getByTestId('no-invitations').waitFor();
    adaLink = await invite(ADA.email, 'editor', 'workspace-invite');
    expect(adaLink).to.match(/^\/activate\?email=ada%40example\.com&token=[\w-]+/);
    await pendingInvitations().locator('tr', { hasText: ADA.email }).getByText('Editor').waitFor();
    // Invitations no longer add members: Ada is listed once she has accepted.
    expect(await members().locator('tr', { hasText: ADA.email }).count()).to.equal(0);
  });

  it('lists a second invitation as pending, then revokes it after confirming', async () => {
    bobLink = await invite('bob@example.com', 'normal');
    const bob = pendingInvitations().locator('tr', { hasText: 'bob@example.com' });
    await bob.waitFor();
    await screenshot(page, 'workspace-invitations');
    await page.getByRole('button', { name: 'Revoke the invitation for bob@example.com' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke invitation' });
    await confirm.getByText('The link stops working at once.').waitFor();
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await toast('Invitation for bob@example.com revoked.').waitFor();
    await bob.waitFor({ state: 'detached' });
    await pendingInvitations().locator('tr', { hasText: ADA.email }).waitFor();
  });

  it('refuses a revoked link; a new address activates from its link and only then is a member', async () => {
    adaContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 860 } });
    ada = await adaContext.newPage();
    ada.setDefaultTimeout(20_000);
    adaErrors = collectErrors(ada);
    await ada.goto(`${t.url}${bobLink}`);
    await ada.getByRole('alert').getByText('This invitation link is invalid, was revoked, or has expired.').waitFor();
    await ada.goto(`${t.url}${adaLink}`);
    await ada.getByText(/You were invited to .+\. Choose your name and password\./).waitFor();
    expect(await ada.getByLabel('Email').inputValue()).to.equal(ADA.email);
    await ada.getByLabel('Name').fill(ADA.name);
    await ada.getByLabel('Password').fill(ADA.password);
    await screenshot(ada, 'activate');
    await ada.getByRole('button', { name: 'Activate account' }).click();
    await ada.waitForURL('**/apps');
    await toast(/^You joined /, ada).waitFor();
    await adaNav('Apps').waitFor();
    // An editor, and no install role: no System page.
    expect(await adaNav('System').count()).to.equal(0);

    await page.reload();
    await members().locator('tr', { hasText: ADA.email }).waitFor();
    await page.getByTestId('no-invitations').waitFor();
    await screenshot(page, 'workspace');
  });

  it('creates a second workspace and switches between them', async () => {
    await page.getByRole('button', { name: /^Workspace: / }).click();
    await page.getByRole('menuitem', { name: /New workspace/ }).click();
    const dialog = page.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Workspace name').fill('Lab');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Workspace: Lab. Switch workspace' }).waitFor();
    await page.getByText('No apps yet.').waitFor();
    await page.getByRole('button', { name: 'Workspace: Lab. Switch workspace' }).click();
    await page.getByRole('menuitemradio', { name: /Olive/ }).click();
    await page.getByRole('link', { name: /Support bot/ }).waitFor();
    await screenshot(page, 'apps');
  });

  it('invites an existing account, which signs in and then accepts', async () => {
    await page.getByRole('button', { name: /^Workspace: / }).click();
    await page.getByRole('menuitemradio', { name: /Lab/ }).click();
    await page.getByRole('button', { name: 'Workspace: Lab. Switch workspace' }).waitFor();
    await nav('Workspace & members').click();
    const link = await invite(ADA.email, 'editor');
    await page.getByRole('button', { name: /^Workspace: / }).click();
    await page.getByRole('menuitemradio', { name: /Olive/ }).click();
    await page.getByRole('link', { name: /Support bot/ }).waitFor();

    await ada.getByRole('button', { name: 'Account menu' }).click();
    await ada.getByRole('menuitem', { name: 'Sign out' }).click();
    await ada.waitForURL('**/login');
    await ada.goto(`${t.url}${link}`);
    await ada.getByText('ada@example.com already has a Tessera account. Sign in with it to accept the invitation.').waitFor();
    await screenshot(ada, 'activate-existing');
    await ada.getByRole('button', { name: 'Sign in to accept' }).click();
    await ada.waitForURL('**/login?**');
    expect(await ada.getByLabel('Email').inputValue()).to.equal(ADA.email);
    await ada.getByLabel('Password').fill(ADA.password);
    await ada.getByRole('button', { name: 'Sign in' }).click();
    // Back on the link, the invitation is accepted for the signed-in account.
    await ada.waitForURL('**/apps');
    await toast('You joined Lab.', ada).waitFor();
    await ada.getByRole('button', { name: 'Workspace: Lab. Switch workspace' }).waitFor();
  });

  it('hides what a non-admin cannot do: plugin upload, the System page, creating a workspace', async () => {
    await adaNav('Plugins').click();
    await ada.getByRole('heading', { name: 'Plugins' }).waitFor();
    await ada.getByRole('link', { name: 'Browse marketplace' }).first().waitFor();
    expect(await ada.getByRole('button', { name: 'Upload tarball' }).count()).to.equal(0);
    await ada.goto(`${t.url}/system`);
    await ada.waitForURL('**/apps');
    await ada.getByRole('button', { name: /^Workspace: / }).click();
    const create = ada.getByRole('menuitem', { name: /New workspace/ });
    expect(await create.getAttribute('aria-disabled')).to.equal('true');
    await ada.getByText('On this install only install admins create workspaces.', { exact: false }).waitFor();
    await screenshot(ada, 'workspace-create-restricted');
    await ada.keyboard.press('Escape');
  });

  it('on the System page, the install owner opens workspace creation to every account', async () => {
    await nav('System').click();
    await page.getByRole('heading', { name: 'System', exact: true }).waitFor();
    const accounts = page.getByRole('table', { name: 'Accounts' });
    await accounts.locator('tr', { hasText: OWNER.email }).getByText('Install owner').waitFor();
    await accounts.locator('tr', { hasText: ADA.email }).waitFor();
    expect(await page.getByRole('radio', { name: /Install admins only/ }).isChecked()).to.equal(true);
    await page.getByRole('radio', { name: /Anyone signed in/ }).check();
    await toast('Anyone signed in may now create workspaces.').waitFor();
    await page.getByRole('heading', { name: 'Trusted publishers' }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'system-settings');

    await ada.reload();
    await ada.getByRole('button', { name: /^Workspace: / }).click();
    await ada.getByRole('menuitem', { name: /New workspace/ }).click();
    const dialog = ada.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Workspace name').fill('Ada lab');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await ada.getByRole('button', { name: 'Workspace: Ada lab. Switch workspace' }).waitFor();

    await page.getByRole('radio', { name: /Install admins only/ }).check();
    await toast('Only install admins may now create workspaces.').waitFor();
  });

  it('an invitation opened by another account says whom it is for; the invited account, signed in, joins with one click', async () => {
    // Ada owns "Ada lab" and invites the owner's address to it.
    await adaNav('Workspace & members').click();
    await ada.getByRole('button', { name: 'Invite members' }).click();
    const dialog = ada.getByRole('dialog', { name: 'Invite members' });
    await dialog.getByLabel('Emails').fill(OWNER.email);
    await dialog.getByLabel('Role').selectOption('admin');
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = new URL((await dialog.getByTestId('invite-link').innerText()).trim());
    await ada.keyboard.press('Escape');
    await ada.goto(`${t.url}${link.pathname}${link.search}`);
    await ada.getByRole('alert').getByText(`You are signed in as ${ADA.email}, but this invitation is for ${OWNER.email}.`, { exact: false }).waitFor();
    await ada.getByRole('button', { name: `Sign out and sign in as ${OWNER.email}` }).waitFor();
    await ada.goto(`${t.url}/apps`);

    await page.goto(`${t.url}${link.pathname}${link.search}`);
    await page.getByText(`Signed in as ${OWNER.email}.`).waitFor();
    await page.getByRole('button', { name: 'Join Ada lab' }).click();
    await page.waitForURL('**/apps');
    await toast('You joined Ada lab.').waitFor();
    await page.getByRole('button', { name: 'Workspace: Ada lab. Switch workspace' }).click();
    await page.getByRole('menuitemradio', { name: /Olive/ }).click();
    await page.getByRole('link', { name: /Support bot/ }).waitFor();
    await nav('System').click();
  });

  it('lets the install owner appoint an install admin, who then sees the System page', async () => {
    await page.getByRole('switch', { name: 'Install admin: ada@example.com' }).click();
    await toast('Ada Lovelace is now an install admin.').waitFor();
    await ada.reload();
    await adaNav('System').click();
    await ada.getByRole('table', { name: 'Accounts' }).locator('tr', { hasText: ADA.email }).getByText('Install admin').waitFor();
    // Only the install owner appoints admins.
    expect(await ada.getByRole('switch', { name: /^Install admin:/ }).count()).to.equal(0);
    await ada.getByRole('heading', { name: 'Trusted publishers' }).waitFor();
    await page.getByRole('switch', { name: 'Install admin: ada@example.com' }).click();
    await toast('Ada Lovelace is no longer an install admin.').waitFor();
  });

  it('exports an app as DSL and imports it as a new app', async () => {
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'More' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Export DSL' }).click()]);
    const yaml = await readFile((await download.path())!, 'utf8');
    expect(yaml).to.include('Support bot').and.to.include('{{company}}');
    await nav('Apps').click();
    await page.getByRole('button', { name: 'Import DSL' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import DSL' });
    await dialog.getByLabel('DSL (YAML)').fill(yaml.replace('Support bot', 'Support bot imported'));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Support bot imported' }).waitFor();
    expect(await page.getByLabel('Instructions (prompt)').inputValue()).to.equal('You are a helpful assistant for {{company}}.');
  });

  it('gives an agent app the tools of enabled plugins', async () => {
    await nav('Apps').click();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create app' });
    await dialog.getByRole('radio', { name: 'Agent' }).check();
    await dialog.getByLabel('App name').fill('Math agent');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Math agent' }).waitFor();
    await page.getByRole('checkbox', { name: /Calculator/ }).check();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await toast(/Draft saved/).waitFor();
    await page.reload();
    expect(await page.getByRole('checkbox', { name: /Calculator/ }).isChecked()).to.equal(true);
    await page.evaluate(() => window.scrollTo(0, 260));
    await screenshot(page, 'app-agent');
  });

  it('switches to Simplified Chinese and remembers the choice', async () => {
    await nav('Apps').click();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '应用' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).to.equal('zh-CN');
    await page.goto(appUrl); // a full load: the choice was kept
    await page.getByRole('button', { name: '发布' }).waitFor();
    await screenshot(page, 'app-configure-zh');
    await page.getByLabel('语言').selectOption('en');
  });

  it('shows who published each version and offers an upgrade with its publisher (uploads by the install owner)', async () => {
    const dir = fileURLToPath(new URL('../test-artifacts', import.meta.url));
    const files = [];
    for (const version of ['1.0.0', '1.1.0']) {
      const built = await buildProbePlugin('@acme/probe', version);
      const file = join(dir, `acme-probe-${version}.tgz`);
      await writeFile(file, built.tarball);
      files.push(file);
    }
    await nav('Plugins').click();
    await page.locator('input[type="file"]').setInputFiles(files[0]!);
    await toast('@acme/probe@1.0.0 installed. Enable it to use it here.').waitFor();
    await page.locator('tr', { hasText: '@acme/probe' }).getByRole('link').click();
    await page.getByRole('table', { name: 'Installed versions' }).locator('tr', { hasText: 'Unsigned' }).getByText('uploaded to this install').waitFor();
    await page.getByRole('button', { name: 'Enable in this workspace' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Grant and enable' }).click();
    await toast('@acme/probe enabled.').waitFor();

    await nav('Plugins').click();
    await page.locator('input[type="file"]').setInputFiles(files[1]!);
    await toast('@acme/probe@1.1.0 installed. Enable it to use it here.').waitFor();
    await page.locator('tr', { hasText: '@acme/probe' }).getByRole('link').click();
    // The workspace stays on 1.0.0 until its admin moves; the offer names who published 1.1.0.
    const offer = page.getByTestId('upgrade-offer');
    await offer.getByText('1.1.0 available').waitFor();
    await offer.getByText(/unsigned, uploaded to this install/).waitFor();
    await screenshot(page, 'plugin-upgrade');
    await offer.getByRole('button', { name: 'Upgrade to 1.1.0' }).click();
    await toast('@acme/probe switched version.').waitFor();
    await offer.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Installed versions' }).locator('tr', { hasText: '1.1.0' }).getByText('runs here').waitFor();
  });

  it('logged no browser errors (no CSP violations, no uncaught exceptions)', () => {
    expect(errors).to.deep.equal([]);
    expect(adaErrors).to.deep.equal([]);
  });
});
