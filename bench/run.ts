/**
 * Benchmarks: `npm run bench` runs them all, `npm run bench -- boot` one.
 * Each prints its figures and writes bench/results/<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  machine: { node: string; cpus: number; platform: string };
  figures: Record<string, unknown>;
  targets: Record<string, { target: string; met: boolean }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const benches: Record<string, () => Promise<BenchResult>> = {
  boot: async () => (await import('./boot.js')).bench(),
  plugins: async () => (await import('./plugins.js')).bench(),
  models: async () => (await import('./models.js')).bench(),
  marketplace: async () => (await import('./marketplace.js')).bench(),
  console: async () => (await import('./console.js')).bench(),
  gateway: async () => (await import('./gateway.js')).bench(),
  streams: async () => (await import('./streams.js')).bench(),
  'plugin-host-process': async () => (await import('./plugin-host-process.js')).bench(),
  'plugins-process': async () => (await import('./plugins.js')).bench('process'),
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(benches);
let allMet = true;
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    process.stderr.write(`bench: unknown benchmark "${name}" (have: ${Object.keys(benches).join(', ')})\n`);
    process.exit(2);
  }
  const result = await bench();
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\n${name}: written to ${file}\n`);
  for (const [what, t] of Object.entries(result.targets)) {
    process.stdout.write(`  ${t.met ? 'met ' : 'MISSED'} ${what}: ${t.target}\n`);
    allMet &&= t.met;
  }
}
process.exitCode = allMet ? 0 : 1;
