/**
 * bench/console: the console's production bundle and its first load.
 * - Bundle: what `index.html` loads before any route chunk (entry script,
 *   modulepreloads, CSS), raw and gzipped, next to the whole of `dist/`.
 * - First load: a kernel (`tessera start`, no plugins, no marketplace) serves
 *   the build on 127.0.0.1; headless Debian chromium opens `/` with a cold
 *   cache (a new browser context per run) and then warm (reload). Figures:
 *   first contentful paint, first meaningful paint (the page's `<h1>` — the
 *   setup form — in the DOM and painted), DOMContentLoaded, and bytes moved.
 * Targets (issue #7): < 500 KB gzipped initial JS; first meaningful paint < 1 s.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { BenchResult } from './run.js';
import { median, percentile } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONSOLE = join(root, 'console');
const DIST = join(CONSOLE, 'dist');
const CLI = join(root, 'kernel', 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const bundleFiles = (list: string[]) => list.filter((f) => !/\.(br|gz)$/.test(f));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function build(): number {
  const vite = join(dirname(createRequire(join(CONSOLE, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  const started = performance.now();
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: CONSOLE, stdio: 'ignore' });
  execFileSync(process.execPath, [join(CONSOLE, 'scripts', 'precompress.mjs')], { cwd: CONSOLE, stdio: 'ignore' });
  return Math.round(performance.now() - started);
}

/** The files index.html loads up front, with raw and gzipped sizes. */
function bundle() {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  const size = (file: string) => {
    const bytes = readFileSync(join(DIST, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  const initial = refs.map(size);
  const js = initial.filter((f) => f.file.endsWith('.js'));
  const css = initial.filter((f) => f.file.endsWith('.css'));
  const all = bundleFiles(readdirSync(join(DIST, 'assets'))).map((f) => size(`assets/${f}`));
  const sum = (list: typeof all, key: 'raw' | 'gzip') => list.reduce((s, f) => s + f[key], 0);
  const largestChunks = all.filter((f) => f.file.endsWith('.js') && !refs.includes(f.file)).sort((a, b) => b.gzip - a.gzip).slice(0, 5).map((f) => ({ file: f.file, gzipKb: kb(f.gzip) }));
  return {
    initialFiles: initial.map((f) => ({ file: f.file, rawKb: kb(f.raw), gzipKb: kb(f.gzip) })),
    initialJsRawKb: kb(sum(js, 'raw')),
    initialJsGzipKb: kb(sum(js, 'gzip')),
    initialCssGzipKb: kb(sum(css, 'gzip')),
    totalAssetsRawKb: kb(sum(all, 'raw')),
    totalAssetsGzipKb: kb(sum(all, 'gzip')),
    chunks: all.filter((f) => f.file.endsWith('.js')).length,
    largestLazyChunks: largestChunks,
  };
}

async function startKernel(port: number, dataDir: string) {
  const child = spawn(process.execPath, ['--no-node-snapshot', CLI, 'start'], {
    env: { PATH: process.env.PATH!, PORT: String(port), DATA_DIR: dataDir, MARKETPLACE: 'off', BUNDLED_PLUGINS_DIR: '', LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const begun = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tessera start exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false)) return child;
    if (performance.now() - begun > 60_000) throw new Error('kernel not ready within 60 s');
    await sleep(20);
  }
}

// Runs in the page before any script: the moment the first <h1> is in the DOM, then painted.
const PAINT_PROBE = `
  window.__fmp = new Promise((resolve) => {
    const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now())));
    const check = () => { if (document.querySelector('h1')) { observer.disconnect(); done(); return true; } return false; };
    const observer = new MutationObserver(check);
    document.addEventListener('DOMContentLoaded', () => check() || observer.observe(document.body, { childList: true, subtree: true }));
  });`;

interface LoadSample {
  fcpMs: number;
  fmpMs: number;
  domContentLoadedMs: number;
  transferredKb: number;
}

async function measureLoads(url: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const sample = async (page: import('playwright-core').Page): Promise<LoadSample> => {
    const fmpMs = (await page.evaluate('window.__fmp')) as number;
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const paints = performance.getEntriesByType('paint');
      const fcp = (paints.find((p) => p.name === 'first-contentful-paint') ?? paints[0])?.startTime ?? NaN;
      const bytes = [nav, ...performance.getEntriesByType('resource')].reduce((s, e) => s + ((e as PerformanceResourceTiming).transferSize ?? 0), 0);
      return { fcp, dcl: nav.domContentLoadedEventEnd, bytes };
    });
    return { fcpMs: Math.round(m.fcp), fmpMs: Math.round(fmpMs), domContentLoadedMs: Math.round(m.dcl), transferredKb: kb(m.bytes) };
  };
  const cold: LoadSample[] = [];
  const warm: LoadSample[] = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext({ locale: 'en-US' });
      await context.addInitScript(PAINT_PROBE);
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'load' });
      const first = await sample(page);
      await page.reload({ waitUntil: 'load' });
      const again = await sample(page);
      await context.close();
      if (i === 0) continue; // the first run warms the browser process itself
      cold.push(first);
      warm.push(again);
    }
  } finally {
    await browser.close();
  }
  return { cold, warm };
}

function stats(samples: LoadSample[], key: keyof LoadSample) {
  const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
  return { median: median(sorted), p90: percentile(sorted, 90), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export async function bench(): Promise<BenchResult> {
  if (!existsSync(CLI)) throw new Error('kernel/dist is missing: run `npm run build` first');
  const buildMs = build();
  const sizes = bundle();
  process.stdout.write(`console bundle: initial JS ${sizes.initialJsGzipKb} KB gzipped (${sizes.initialJsRawKb} KB raw), CSS ${sizes.initialCssGzipKb} KB gzipped; all assets ${sizes.totalAssetsGzipKb} KB gzipped in ${sizes.chunks} JS chunks; build ${buildMs} ms\n`);

  let load: Record<string, unknown> = { skipped: `no chromium at ${CHROMIUM}` };
  let fmpMedian = NaN;
  if (existsSync(CHROMIUM)) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-console-'));
    const kernel = await startKernel(port, dataDir);
    try {
      const { cold, warm } = await measureLoads(`http://127.0.0.1:${port}/`);
      load = {
        runs: cold.length,
        cold: { fcpMs: stats(cold, 'fcpMs'), fmpMs: stats(cold, 'fmpMs'), domContentLoadedMs: stats(cold, 'domContentLoadedMs'), transferredKb: stats(cold, 'transferredKb') },
        warm: { fcpMs: stats(warm, 'fcpMs'), fmpMs: stats(warm, 'fmpMs'), domContentLoadedMs: stats(warm, 'domContentLoadedMs'), transferredKb: stats(warm, 'transferredKb') },
      };
      fmpMedian = stats(cold, 'fmpMs').median;
      process.stdout.write(`first load of / (cold cache, median of ${cold.length}): FCP ${stats(cold, 'fcpMs').median} ms, first meaningful paint ${fmpMedian} ms, ${stats(cold, 'transferredKb').median} KB transferred; warm: FMP ${stats(warm, 'fmpMs').median} ms\n`);
    } finally {
      kernel.kill('SIGTERM');
      await new Promise((resolve) => kernel.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return {
    name: 'console',
    machine: { node: process.version, cpus: cpus().length, platform: process.platform },
    figures: { buildMs, bundle: sizes, firstLoad: load, distMtime: statSync(join(DIST, 'index.html')).mtime.toISOString() },
    targets: {
      'initial JS gzipped': { target: '< 500 KB', met: sizes.initialJsGzipKb < 500 },
      'first meaningful paint on localhost (cold, median)': { target: '< 1000 ms', met: fmpMedian < 1000 },
    },
  };
}
