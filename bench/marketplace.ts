/**
 * bench/marketplace: the embedded registry's start-up time (spawn → first
 * /-/ping answer) and idle RSS (a process of its own), and the time to install
 * a small plugin from it through the kernel (signature, pacote fetch with
 * integrity check, manifest and bundle check, store).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { findFreePort, publishTarball, startRegistry } from '@tessera/marketplace';
import { generatePublisherKeyPair, signPackage, tarballIntegrity } from '@tessera/sdk/publishing';
import { loadConfig } from '../kernel/src/boot/config.js';
import { createKernel } from '../kernel/src/kernel.js';
import { createLogger } from '../kernel/src/logger.js';
import type { BenchResult } from './run.js';
import { median } from './stats.js';
import { AccountsRef, CatalogRef, MarketplaceRef, PublishersRef } from '../kernel/src/services.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** The calculator plugin packed under another name, as an npm tarball. */
async function calculatorAs(name: string): Promise<Buffer> {
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-mp-'));
  try {
    const source = join(root, 'plugins', 'calculator');
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(work, 'package.json'), JSON.stringify({ ...pkg, name }));
    cpSync(join(source, 'dist'), join(work, 'dist'), { recursive: true });
    await tar.c({ gzip: true, file: join(work, 'p.tgz'), cwd: work, prefix: 'package/', portable: true }, ['package.json', 'dist']);
    return readFileSync(join(work, 'p.tgz'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function bench(): Promise<BenchResult> {
  const startMs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const storageDir = mkdtempSync(join(tmpdir(), 'tessera-bench-registry-'));
    const begun = performance.now();
    const registry = await startRegistry({ storageDir, port: await findFreePort(), logLevel: 'warn' });
    startMs.push(Math.round(performance.now() - begun));
    await sleep(2000);
    rss.push(rssMb(registry.pid!));
    await registry.stop();
    rmSync(storageDir, { recursive: true, force: true });
    process.stdout.write(`registry ${i + 1}/${RUNS}: ready in ${startMs[i]} ms, idle RSS ${rss[i]} MB\n`);
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-mp-kernel-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', BUNDLED_PLUGINS_DIR: '', MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()) });
  const kernel = createKernel({ config, logger: createLogger('silent'), http: true });
  await kernel.start();
  const installMs: number[] = [];
  try {
    await kernel.get(MarketplaceRef).ready();
    const url = kernel.get(MarketplaceRef).url!;
    const { workspaceId, accountId } = await kernel.get(AccountsRef).createAdmin({ email: 'bench@example.com', password: 'bench-pass-1', name: 'Bench' });
    const { token } = await kernel.get(MarketplaceRef).issuePublishToken('bench');
    const keys = generatePublisherKeyPair();
    await kernel.get(PublishersRef).add(keys.publicKey, 'Bench', null);
    for (let i = 0; i < RUNS; i++) {
      const name = `@bench/calculator-${i}`;
      const tarball = await calculatorAs(name);
      await publishTarball(url, token, tarball, signPackage(keys.privateKeyPem, name, '0.1.0', tarballIntegrity(tarball)));
      const begun = performance.now();
      await kernel.get(CatalogRef).install(workspaceId, name, undefined, {}, accountId);
      installMs.push(Math.round(performance.now() - begun));
      process.stdout.write(`install ${i + 1}/${RUNS}: ${installMs[i]} ms\n`);
    }
  } finally {
    await kernel.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const figures = { runs: RUNS, registryStartMsMedian: median(startMs), registryStartMsMax: Math.max(...startMs), registryIdleRssMbMedian: median(rss), installMsMedian: median(installMs), installMsMax: Math.max(...installMs) };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  return {
    name: 'marketplace',
    machine: { node: process.version, cpus: cpus().length, platform: process.platform },
    figures,
    targets: {
      'registry start-up (median)': { target: `< 3000 ms, got ${figures.registryStartMsMedian} ms`, met: figures.registryStartMsMedian < 3000 },
      'registry idle RSS (median)': { target: `< 150 MB, got ${figures.registryIdleRssMbMedian} MB`, met: figures.registryIdleRssMbMedian < 150 },
      'install of a small plugin (median)': { target: `< 2000 ms, got ${figures.installMsMedian} ms`, met: figures.installMsMedian < 2000 },
    },
  };
}
