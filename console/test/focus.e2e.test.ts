import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../../kernel/test/support/apps.js';
import { OWNER } from '../../kernel/test/support/kernel.js';
import { hasChromium, launchBrowser, CHROMIUM } from './support/browser.js';
import { signedInPage } from './support/session.js';

interface Ring {
  element: string;
  ratio: number;
}

/**
 * The focused element's ring against what it sits on, measured in the page: the
 * ring is the box-shadow with the widest spread (or the outline), its colour
 * composited over the first opaque background behind the element, and WCAG's
 * contrast ratio of the two.
 */
function measureFocusRing(): Ring | null {
  const el = document.activeElement as HTMLElement | null;
  if (!el || el === document.body) return null;
  type RGBA = [number, number, number, number];
  const parse = (c: string): RGBA | null => {
    const m = /rgba?\(([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:[ ,/]+([\d.]+%?))?\)/.exec(c);
    if (!m) return null;
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return [+m[1]!, +m[2]!, +m[3]!, a];
  };
  const over = (top: RGBA, below: RGBA): RGBA => [0, 1, 2].map((i) => top[i]! * top[3] + below[i]! * (1 - top[3])).concat(1) as RGBA;
  // The background the ring is drawn on: the parent's, down to the page's.
  let below: RGBA = [255, 255, 255, 1];
  const layers: RGBA[] = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg && bg[3] > 0) layers.push(bg);
    if (bg && bg[3] === 1) break;
  }
  for (const layer of layers.reverse()) below = over(layer, below);
  const style = getComputedStyle(el);
  let ring: RGBA | null = null;
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ring = parse(style.outlineColor);
  if (!ring && style.boxShadow !== 'none') {
    // "rgb(…) 0px 0px 0px 3px, rgb(…) 0px 0px 0px 5px": the widest spread is the outermost ring.
    const shadows = style.boxShadow.split(/,(?![^(]*\))/).map((s) => ({ color: parse(s), spread: parseFloat(s.replace(/rgba?\([^)]*\)/, '').trim().split(/\s+/)[3] ?? '0') }));
    const widest = shadows.filter((s) => s.color && s.color[3] > 0).sort((a, b) => b.spread - a.spread)[0];
    ring = widest?.color ?? null;
  }
  const name = `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} "${(el.innerText || el.getAttribute('aria-label') || '').slice(0, 30)}"`;
  if (!ring) return { element: name, ratio: 1 };
  const lum = (c: RGBA) => {
    const [r, g, b] = [c[0], c[1], c[2]].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const a = lum(over(ring, below));
  const b = lum(below);
  return { element: name, ratio: Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 100) / 100 };
}

// tsx keeps function names with a __name helper that the page does not have.
const IN_PAGE = `(() => { const __name = (f) => f; return (${measureFocusRing.toString()})(); })()`;

/**
 * Focus rings that can be seen (issue #14: below 3:1, WCAG 2.2's non-text
 * contrast): every element reached with Tab on the main pages shows a ring of
 * at least 3:1 against the background it sits on. The console has one theme.
 */
if (!hasChromium()) {
  describe(`focus rings (needs ${CHROMIUM})`, () => it('have at least 3:1 contrast'));
} else describe('focus rings', function () {
  this.timeout(90_000);
  let k: AppKernel;
  let browser: Browser;
  let page: Page;
  let appId = '';

  before(async function () {
    this.timeout(120_000);
    [k, browser] = await Promise.all([startAppKernel(), launchBrowser()]);
    appId = (await createPublishedApp(k.t, k.token, 'chat', {}, 'Focus app')).id;
    ({ page } = await signedInPage(browser, k.t, OWNER.email, OWNER.password));
  });
  after(async () => {
    await browser?.close();
    if (k) await stopAppKernel(k.t, k.upstream);
  });

  for (const [what, path] of [['the apps page', '/apps'], ['an app’s builder', '/apps/:id'], ['the providers page', '/providers']] as const) {
    it(`are at least 3:1 on ${what}`, async () => {
      await page.goto(`${k.t.url}${path.replace(':id', appId)}`);
      await page.waitForLoadState('networkidle');
      const rings: Ring[] = [];
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        const ring = (await page.evaluate(IN_PAGE)) as Ring | null;
        if (ring) rings.push(ring);
      }
      expect(rings.length).to.be.greaterThan(5);
      expect(rings.filter((r) => r.ratio < 3)).to.deep.equal([]);
    });
  }
});
