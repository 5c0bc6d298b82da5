import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mochaGlobalSetup as prepareKernelTemplate } from '../../kernel/test/hooks.js';
import { CONSOLE_DIR } from './support/browser.js';

/** Newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Mocha global setup: the kernel's PGlite template (so test kernels start fast),
 * and a console build no older than its sources — the browser tests drive the
 * bundle the kernel really serves.
 */
export async function mochaGlobalSetup(): Promise<void> {
  await prepareKernelTemplate();
  const index = join(CONSOLE_DIR, 'dist', 'index.html');
  const sources = Math.max(newest(join(CONSOLE_DIR, 'src')), statSync(join(CONSOLE_DIR, 'index.html')).mtimeMs);
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    process.stdout.write('  (building the console for the browser tests…)\n');
    const vite = join(dirname(createRequire(join(CONSOLE_DIR, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: CONSOLE_DIR, stdio: 'inherit' });
  }
}
