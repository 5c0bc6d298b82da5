import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CONSOLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS_DIR = join(CONSOLE_DIR, 'test-artifacts');
export const DOCS_DIR = join(CONSOLE_DIR, '..', 'docs', 'console');

/** Debian's chromium (never a browser download: `apt-get install -y chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Saves a screenshot as a test artifact (console/test-artifacts/, gitignored);
 * with UPDATE_DOCS_SCREENSHOTS=1 also as the user guide's picture in docs/console/.
 */
export async function screenshot(page: Page, name: string, options: { toasts?: boolean; docs?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`);
  // Toasts left over from the previous step would only clutter the picture.
  await page.screenshot({ path: file, fullPage: false, animations: 'disabled', ...(options.toasts ? {} : { style: '.toasts { display: none !important; }' }) });
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1' && options.docs !== false) {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(file, join(DOCS_DIR, `${name}.png`));
  }
}

/** Console errors and uncaught exceptions of a page (CSP violations show up here too). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // Failed API calls the test provokes on purpose are reported by the browser as resource errors.
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    errors.push(`console: ${text}`);
  });
  return errors;
}
