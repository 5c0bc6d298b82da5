import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestKernel } from '../../../kernel/test/support/kernel.js';
import { collectErrors } from './browser.js';

export interface SignedInPage {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/**
 * A browser context already signed in as `email` (its tokens put where the
 * console keeps them), so a test starts on the page it is about instead of
 * walking through setup and sign-in again.
 */
export async function signedInPage(browser: Browser, t: TestKernel, email: string, password: string, options: { width?: number; height?: number; locale?: string } = {}): Promise<SignedInPage> {
  const session = await t.api('POST', '/console/api/login', { body: { email, password } });
  if (session.status !== 200) throw new Error(`login failed: ${session.status} ${JSON.stringify(session.body)}`);
  const context = await browser.newContext({ locale: options.locale ?? 'en-US', viewport: { width: options.width ?? 1360, height: options.height ?? 860 } });
  await context.addInitScript((tokens: string) => {
    if (!localStorage.getItem('tessera.tokens')) localStorage.setItem('tessera.tokens', tokens);
  }, JSON.stringify(session.body.data));
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return { context, page, errors: collectErrors(page) };
}

