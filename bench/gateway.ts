/**
 * bench/gateway: what Tessera's Service API adds to a chat message, against a
 * zero-latency local provider speaking OpenAI's wire format, next to calling
 * that provider directly in the same run (same machine, same HTTP client).
 *
 * - Added latency: p50 of blocking `POST /v1/chat-messages` minus p50 of a
 *   direct `POST /v1/chat/completions` (one request at a time, interleaved: at
 *   concurrency 64 latency is queueing, 64 / throughput, and is reported too).
 * - Throughput: blocking requests per second at concurrency 64 through Tessera,
 *   as a fraction of the provider's at concurrency 64.
 * - Streaming: time to the first `data:` event, Tessera (`response_mode:
 *   streaming`) minus direct (`stream: true`).
 *
 * On the embedded default (PGlite in the kernel's process) and, when they
 * answer, on PostgreSQL + Redis (a fresh schema and key prefix, dropped after).
 * The kernel runs in its own process (this file re-run with
 * BENCH_GATEWAY_SERVE=1) and the provider in another, so the load generator
 * here does not share an event loop with either. Every request takes the real
 * path: key lookup, limits, end user, prompt, plugin isolate, provider call,
 * and the conversation and message stored before the answer is sent.
 *
 * BENCH_GATEWAY_SECONDS (default 4) is the length of each throughput round;
 * BENCH_GATEWAY_PROFILE=<dir> writes a CPU profile of the kernel there.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { BenchResult } from './run.js';
import { summary } from './stats.js';
import { api, call, PROVIDER, provision, rssMb, startChild, stopChild, type Timing } from './support/gateway-kit.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CONCURRENCY = 64;
const SEQUENTIAL = Number(process.env.BENCH_GATEWAY_CALLS ?? 400);
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 4);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/**
 * The ceiling of any gateway on this machine: a do-nothing Node HTTP proxy that
 * forwards the body to the provider and its answer back, over keep-alive. It
 * adds one HTTP server and one HTTP client hop, and nothing else.
 */
const BARE_PROXY = `
const http = require('node:http');
const target = new URL(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const up = http.request({ host: target.hostname, port: target.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (answer) => {
      let out = '';
      answer.setEncoding('utf8');
      answer.on('data', (c) => (out += c));
      answer.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(out));
    });
    up.end(body);
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write('READY http://127.0.0.1:' + this.address().port + '\\n'); });
`;

// ---------------------------------------------------------------- the kernel process

/** Child mode: one kernel from source, configured by the environment, until SIGTERM. */
async function serve(): Promise<void> {
  const { loadConfig } = await import('../kernel/src/boot/config.js');
  const { createKernel } = await import('../kernel/src/kernel.js');
  const { createLogger } = await import('../kernel/src/logger.js');
  const config = loadConfig(process.env);
  const kernel = createKernel({ config, logger: createLogger(config.logLevel) });
  await kernel.start();
  process.stdout.write(`READY ${kernel.url}\n`);
  process.once('SIGTERM', () => {
    void kernel.stop().finally(() => process.exit(0));
  });
}

if (process.env.BENCH_GATEWAY_SERVE === '1') await serve();

// ---------------------------------------------------------------- the client side

interface Target {
  name: string;
  run(): Promise<Timing>;
}

/** `n` calls one after another. */
async function sequential(target: Target, n: number): Promise<Timing[]> {
  const out: Timing[] = [];
  for (let i = 0; i < n; i++) out.push(await target.run());
  return out;
}

/** CPU time (user + system, every thread) a process has used so far, ms; 0 where /proc is missing. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (CLK_TCK 100)
  } catch {
    return 0;
  }
}

/** The PostgreSQL and Redis servers' processes on this machine (their CPU counts against the gateway too). */
function servicePids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/^(postgres|redis-server)$/.test(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Who burns CPU during a round: the load generator (this process) and the children named. */
type CpuWatch = Record<string, () => number>;

function cpuSnapshot(watch: CpuWatch): Record<string, number> {
  return Object.fromEntries(Object.entries(watch).map(([name, read]) => [name, read()]));
}

interface Round {
  rps: number;
  timings: Timing[];
  /** CPU ms used during the round, per watched process. */
  cpuMs: Record<string, number>;
}

/** `CONCURRENCY` workers calling back to back for `seconds`; requests per second, the latencies and the CPU used. */
async function loaded(target: Target, seconds: number, watch: CpuWatch = {}): Promise<Round> {
  const timings: Timing[] = [];
  const all: CpuWatch = { loadGenerator: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }, ...watch };
  const before = cpuSnapshot(all);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) timings.push(await target.run());
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = cpuSnapshot(all);
  return { rps: timings.length / elapsed, timings, cpuMs: Object.fromEntries(Object.keys(all).map((k) => [k, after[k]! - before[k]!])) };
}

/** CPU µs per request, per process, over several rounds. */
function cpuPerRequest(rounds: Round[]): Record<string, number> {
  const requests = rounds.reduce((s, r) => s + r.timings.length, 0);
  const out: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.cpuMs)) out[k] = (out[k] ?? 0) + v;
  for (const k of Object.keys(out)) out[k] = Math.round((out[k]! * 1000) / requests);
  return out;
}

const okCount = (timings: Timing[]) => timings.filter((t) => t.ok).length;
const us = (values: number[]) => summary(values);

interface BackendFigures {
  backend: string;
  sequential: { calls: number; directP50Us: number; tesseraP50Us: number; addedP50Us: number; direct: ReturnType<typeof us>; tessera: ReturnType<typeof us> };
  concurrency64: {
    seconds: number;
    directRps: number;
    tesseraRps: number;
    fraction: number;
    /** The do-nothing proxy's throughput, and its fraction of direct: what no gateway on this machine can beat. */
    bareProxyRps: number;
    bareProxyFraction: number;
    /** Tessera's throughput as a fraction of the bare proxy's. */
    fractionOfBareProxy: number;
    directP50Us: number;
    tesseraP50Us: number;
    addedP50Us: number;
    errors: number;
    /** CPU µs per request, per process, during the rounds of each target. */
    cpuPerRequestUs: { direct: Record<string, number>; bareProxy: Record<string, number>; tessera: Record<string, number> };
  };
  streaming: { calls: number; directFirstEventP50Us: number; tesseraFirstEventP50Us: number; addedP50Us: number };
  /** Conversations stored during the run, as the console counts them (one per request). */
  storedConversations: number;
  requests: number;
  kernelRssMb: number;
}

interface Child {
  url: string;
  child: ChildProcess;
}

async function measureBackend(backend: string, provider: Child, proxy: Child, env: Record<string, string>): Promise<BackendFigures> {
  const providerUrl = provider.url;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-gateway-'));
  const profile = process.env.BENCH_GATEWAY_PROFILE;
  const args = ['--no-node-snapshot', '--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}/${backend}`] : []), join(here, 'gateway.ts')];
  const { child, url } = await startChild(args, { BENCH_GATEWAY_SERVE: '1', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', BUNDLED_PLUGINS_DIR: join(root, 'plugins'), MARKETPLACE: 'off', ...(process.env.PLUGIN_HOST ? { PLUGIN_HOST: process.env.PLUGIN_HOST } : {}), ...env });
  try {
    const { key, token, appId } = await provision(url, providerUrl);
    const directAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const tesseraAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const proxyAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const chatCompletions = new URL(`${providerUrl}/v1/chat/completions`);
    const chatMessages = new URL(`${url}/v1/chat-messages`);
    const auth = { Authorization: 'Bearer sk-bench' };
    const appAuth = { Authorization: `Bearer ${key}` };
    const isMessage = (b: string) => b.includes('"answer":"Hello there"');
    const isStream = (b: string) => b.includes('"event":"message_end"');
    let n = 0;
    // The same question both ways: a system prompt and one user message, answered by the same provider.
    const direct: Target = { name: 'direct', run: () => call(directAgent, chatCompletions, auth, JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }] }), (b) => b.includes('Hello there')) };
    const bareProxy: Target = { name: 'bare-proxy', run: () => call(proxyAgent, new URL(`${proxy.url}/v1/chat/completions`), auth, JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }] }), (b) => b.includes('Hello there')) };
    const directStream: Target = { name: 'direct-stream', run: () => call(directAgent, chatCompletions, auth, JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }] }), (b) => b.includes('[DONE]')) };
    // 100 end users, as a real app has many: each request is one new conversation. Naming it is
    // a second model call by design (`auto_generate_name`, default on), not gateway overhead: off here.
    const tessera: Target = { name: 'tessera', run: () => call(tesseraAgent, chatMessages, appAuth, JSON.stringify({ inputs: {}, query: 'Hi', user: `user-${n++ % 100}`, response_mode: 'blocking', auto_generate_name: false }), isMessage) };
    const tesseraStream: Target = { name: 'tessera-stream', run: () => call(tesseraAgent, chatMessages, appAuth, JSON.stringify({ inputs: {}, query: 'Hi', user: `user-${n++ % 100}`, response_mode: 'streaming', auto_generate_name: false }), isStream) };

    // Warm up every path (JIT, isolate, pools, caches).
    for (const target of [direct, tessera, directStream, tesseraStream]) await sequential(target, 200);
    await loaded(direct, 1);
    await loaded(tessera, 1);

    // One at a time, interleaved in rounds so drift hits both alike.
    const d: Timing[] = [], t: Timing[] = [], ds: Timing[] = [], ts: Timing[] = [];
    for (let round = 0; round < 4; round++) {
      d.push(...(await sequential(direct, SEQUENTIAL / 4)));
      t.push(...(await sequential(tessera, SEQUENTIAL / 4)));
      ds.push(...(await sequential(directStream, SEQUENTIAL / 4)));
      ts.push(...(await sequential(tesseraStream, SEQUENTIAL / 4)));
    }
    // Concurrency 64: two rounds each, interleaved, with the CPU each process used.
    const services = servicePids();
    const watch: CpuWatch = {
      kernel: () => cpuMs(child.pid!),
      provider: () => cpuMs(provider.child.pid!),
      bareProxy: () => cpuMs(proxy.child.pid!),
      ...(env.DATABASE_URL ? { postgresAndRedis: () => services.reduce((sum, pid) => sum + cpuMs(pid), 0) } : {}),
    };
    const dl: Round[] = [], pl: Round[] = [], tl: Round[] = [];
    await loaded(bareProxy, 1);
    for (let round = 0; round < 2; round++) {
      dl.push(await loaded(direct, SECONDS / 2, watch));
      pl.push(await loaded(bareProxy, SECONDS / 2, watch));
      tl.push(await loaded(tessera, SECONDS / 2, watch));
    }
    directAgent.destroy();
    tesseraAgent.destroy();
    proxyAgent.destroy();

    const errors = [d, t, ds, ts, ...dl.map((r) => r.timings), ...pl.map((r) => r.timings), ...tl.map((r) => r.timings)].reduce((sum, list) => sum + list.length - okCount(list), 0);
    const seqDirect = us(d.map((x) => x.totalUs));
    const seqTessera = us(t.map((x) => x.totalUs));
    const directRps = dl.reduce((s, r) => s + r.rps, 0) / dl.length;
    const tesseraRps = tl.reduce((s, r) => s + r.rps, 0) / tl.length;
    const proxyRps = pl.reduce((s, r) => s + r.rps, 0) / pl.length;
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    const loadedDirect = us(dl.flatMap((r) => r.timings.map((x) => x.totalUs)));
    const loadedTessera = us(tl.flatMap((r) => r.timings.map((x) => x.totalUs)));
    const firstDirect = us(ds.map((x) => x.firstUs));
    const firstTessera = us(ts.map((x) => x.firstUs));
    const figures: BackendFigures = {
      backend,
      sequential: { calls: SEQUENTIAL, directP50Us: seqDirect.p50Us, tesseraP50Us: seqTessera.p50Us, addedP50Us: Math.round(seqTessera.p50Us - seqDirect.p50Us), direct: seqDirect, tessera: seqTessera },
      concurrency64: {
        seconds: SECONDS,
        directRps: Math.round(directRps),
        tesseraRps: Math.round(tesseraRps),
        fraction: ratio(tesseraRps, directRps),
        bareProxyRps: Math.round(proxyRps),
        bareProxyFraction: ratio(proxyRps, directRps),
        fractionOfBareProxy: ratio(tesseraRps, proxyRps),
        directP50Us: loadedDirect.p50Us,
        tesseraP50Us: loadedTessera.p50Us,
        addedP50Us: Math.round(loadedTessera.p50Us - loadedDirect.p50Us),
        errors,
        cpuPerRequestUs: { direct: cpuPerRequest(dl), bareProxy: cpuPerRequest(pl), tessera: cpuPerRequest(tl) },
      },
      streaming: { calls: SEQUENTIAL, directFirstEventP50Us: firstDirect.p50Us, tesseraFirstEventP50Us: firstTessera.p50Us, addedP50Us: Math.round(firstTessera.p50Us - firstDirect.p50Us) },
      storedConversations: Number((await api(url, 'GET', `/console/api/apps/${appId}/conversations?limit=1`, undefined, token)).total),
      requests: n,
      kernelRssMb: rssMb(child.pid!),
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return figures;
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
    try {
      await redis.connect();
      await redis.ping();
      return true;
    } finally {
      redis.disconnect();
    }
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

export async function bench(): Promise<BenchResult> {
  const provider = await startChild(['-e', PROVIDER], {});
  const proxy = await startChild(['-e', BARE_PROXY, provider.url], {});
  const results: BackendFigures[] = [];
  const only = process.env.BENCH_GATEWAY_BACKENDS?.split(',');
  try {
    // The embedded default: PGlite inside the kernel's process.
    if (!only || only.includes('embedded')) results.push(await measureBackend('embedded', provider, proxy, {}));
    if (only && !only.includes('postgres+redis')) {
      // not asked for
    } else if (await reachable()) {
      const schema = `bench_gw_${process.pid}_${Date.now().toString(36)}`;
      const prefix = `bench-gateway:${process.pid}:${Date.now().toString(36)}`;
      try {
        results.push(await measureBackend('postgres+redis', provider, proxy, { DATABASE_URL, DATABASE_SCHEMA: schema, REDIS_URL, REDIS_PREFIX: prefix }));
      } finally {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
        await dropRedisPrefix(prefix);
      }
    } else process.stdout.write('PostgreSQL or Redis not reachable: measured the embedded default only\n');
  } finally {
    await stopChild(provider.child);
    await stopChild(proxy.child);
  }
  const targets: BenchResult['targets'] = {};
  for (const r of results) {
    targets[`${r.backend}: added p50 latency, blocking chat`] = { target: `< 1000 µs, got ${r.sequential.addedP50Us} µs (one at a time; at concurrency 64: ${r.concurrency64.addedP50Us} µs)`, met: r.sequential.addedP50Us < 1000 };
    targets[`${r.backend}: throughput at concurrency 64, fraction of direct`] = { target: `≥ 0.5, got ${r.concurrency64.fraction} (${r.concurrency64.tesseraRps} of ${r.concurrency64.directRps} req/s; a do-nothing proxy gets ${r.concurrency64.bareProxyFraction})`, met: r.concurrency64.fraction >= 0.5 };
    targets[`${r.backend}: added time to first streamed event`] = { target: `< 3000 µs, got ${r.streaming.addedP50Us} µs`, met: r.streaming.addedP50Us < 3000 };
    targets[`${r.backend}: no failed requests`] = { target: `0, got ${r.concurrency64.errors}`, met: r.concurrency64.errors === 0 };
    targets[`${r.backend}: every request's conversation stored before its answer`] = { target: `${r.requests} stored, got ${r.storedConversations}`, met: r.storedConversations === r.requests };
  }
  return { name: 'gateway', machine: { node: process.version, cpus: cpus().length, platform: process.platform }, figures: { backends: results }, targets };
}
