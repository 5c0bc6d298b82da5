/**
 * bench/boot: time from process start to `GET /ready` answering 200, and idle
 * RSS, for `tessera start` on the embedded default (no plugins). First start on
 * an empty data folder and restarts on existing data, next to a bare Node
 * HTTP server measured the same way in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { BenchResult } from './run.js';
import { median } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'kernel', 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

interface Sample {
  readyMs: number;
  idleRssMb: number;
}

/** Starts `args`, waits for `GET <url>/ready` (or `/`) to answer 200, measures, stops. */
async function measure(args: string[], env: Record<string, string>, port: number, path: string): Promise<Sample> {
  const begun = performance.now();
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH!, ...env }, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (performance.now() - begun > 60_000) throw new Error('not ready within 60 s');
      await sleep(5);
    }
    const readyMs = performance.now() - begun;
    await sleep(2000);
    return { readyMs: Math.round(readyMs), idleRssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** The machine's PostgreSQL (or BENCH_DATABASE_URL), if it answers; server mode is measured only then. */
async function reachablePostgres(): Promise<string | undefined> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}


export async function bench(): Promise<BenchResult> {
  const port = 47_000 + Math.floor(Math.random() * 1000);
  const first: Sample[] = [];
  const restart: Sample[] = [];
  const bare: Sample[] = [];
  const server: Sample[] = [];
  const databaseUrl = await reachablePostgres();
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
    const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
    try {
      first.push(await measure(['--no-node-snapshot', CLI, 'start'], env, port, '/ready'));
      restart.push(await measure(['--no-node-snapshot', CLI, 'start'], env, port, '/ready'));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    if (databaseUrl) {
      const schema = `bench_${process.pid}_${i}`;
      const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
      try {
        server.push(await measure(['--no-node-snapshot', CLI, 'start'], { DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema }, port, '/ready'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await dropSchema(databaseUrl, schema);
      }
    }
    const script = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    bare.push(await measure(['-e', script], {}, port, '/'));
    const fmt = (s: Sample | undefined) => (s ? `${s.readyMs} ms / ${s.idleRssMb} MB` : 'n/a');
    process.stdout.write(`run ${i + 1}/${RUNS}: embedded first ${fmt(first[i])}, restart ${fmt(restart[i])}; PostgreSQL server ${fmt(server[i])}; bare node ${fmt(bare[i])}\n`);
  }
  const summary = (samples: Sample[]) => ({
    readyMsMedian: median(samples.map((s) => s.readyMs)),
    readyMsMax: Math.max(...samples.map((s) => s.readyMs)),
    idleRssMbMedian: median(samples.map((s) => s.idleRssMb)),
    idleRssMbMax: Math.max(...samples.map((s) => s.idleRssMb)),
  });
  const figures = { runs: RUNS, firstStart: summary(first), restart: summary(restart), postgresServer: server.length ? summary(server) : null, bareNodeBaseline: summary(bare) };
  const worstReady = Math.max(figures.firstStart.readyMsMedian, figures.restart.readyMsMedian);
  const worstRss = Math.max(figures.firstStart.idleRssMbMedian, figures.restart.idleRssMbMedian);
  process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\n`);
  return {
    name: 'boot',
    machine: { node: process.version, cpus: cpus().length, platform: process.platform },
    figures: { ...figures, readyVsBareNode: Math.round((worstReady / figures.bareNodeBaseline.readyMsMedian) * 10) / 10 },
    targets: {
      'start to /ready (median)': { target: `< 2000 ms, got ${worstReady} ms`, met: worstReady < 2000 },
      'idle RSS without plugins, embedded PGlite (median)': { target: `< 150 MB, got ${worstRss} MB`, met: worstRss < 150 },
      ...(figures.postgresServer
        ? { 'idle RSS without plugins, PostgreSQL server (median)': { target: `< 150 MB, got ${figures.postgresServer.idleRssMbMedian} MB`, met: figures.postgresServer.idleRssMbMedian < 150 } }
        : {}),
    },
  };
}
