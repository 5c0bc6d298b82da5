/**
 * bench/streams: many streams at once on the embedded default (issue #14 item 5).
 *
 * Rounds of STREAMS (default 200) concurrent `response_mode: streaming` chat
 * messages, each a new conversation of one of 100 end users, against the
 * zero-latency OpenAI-wire provider of bench/gateway, the kernel in its own
 * process (PGlite inside it). Reported:
 *
 * - time to the first `data:` event: p50, p99, max over every stream of every
 *   round, next to the same for the provider called directly at the same
 *   concurrency (the baseline of this run);
 * - the kernel's RSS: idle after warm-up, peak during the rounds, and after
 *   the load, once it has had SETTLE_SECONDS to give memory back.
 *
 * Targets (#14): p99 time to first event < 1 s at 200 streams; RSS after the
 * load within 20% of idle. BENCH_STREAMS, BENCH_STREAMS_ROUNDS,
 * BENCH_STREAMS_SETTLE_SECONDS and BENCH_STREAMS_NAMING change the shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, PROVIDER, provision, rssMb, startChild, stopChild, type Timing } from './support/gateway-kit.js';
import type { BenchResult } from './run.js';
import { percentile } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const ROUNDS = Number(process.env.BENCH_STREAMS_ROUNDS ?? 10);
const SETTLE_SECONDS = Number(process.env.BENCH_STREAMS_SETTLE_SECONDS ?? 20);
/** BENCH_STREAMS_NAMING=1: Dify's default `auto_generate_name`, a second model call per new conversation (off by default, as in bench/gateway). */
const NAMING = process.env.BENCH_STREAMS_NAMING === '1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function firstEvent(timings: Timing[]) {
  const ok = timings.filter((t) => t.ok);
  const sorted = ok.map((t) => t.firstUs / 1000).sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { streams: timings.length, errors: timings.length - ok.length, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? 0) };
}

export async function bench(): Promise<BenchResult> {
  const provider = await startChild(['-e', PROVIDER], {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-streams-'));
  const kernel = await startChild(['--no-node-snapshot', '--import', 'tsx', join(here, 'gateway.ts')], { BENCH_GATEWAY_SERVE: '1', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', BUNDLED_PLUGINS_DIR: join(root, 'plugins'), MARKETPLACE: 'off' });
  const pid = kernel.child.pid!;
  try {
    const { key } = await provision(kernel.url, provider.url);
    const agent = new Agent({ keepAlive: true, maxSockets: STREAMS });
    const directAgent = new Agent({ keepAlive: true, maxSockets: STREAMS });
    const chatMessages = new URL(`${kernel.url}/v1/chat-messages`);
    const completions = new URL(`${provider.url}/v1/chat/completions`);
    let n = 0;
    const stream = () => call(agent, chatMessages, { Authorization: `Bearer ${key}` }, JSON.stringify({ inputs: {}, query: 'Hi', user: `user-${n++ % 100}`, response_mode: 'streaming', auto_generate_name: NAMING }), (b) => b.includes('"event":"message_end"'));
    const direct = () => call(directAgent, completions, { Authorization: 'Bearer sk-bench' }, JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hi' }] }), (b) => b.includes('[DONE]'));

    for (let i = 0; i < 100; i++) await stream(); // JIT, isolate, pools
    await Promise.all(Array.from({ length: STREAMS }, stream)); // the sockets and buffers a round needs
    await sleep(3000);
    const idleRss = rssMb(pid);

    let peakRss = idleRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(pid))), 100);
    const tessera: Timing[] = [];
    const baseline: Timing[] = [];
    const started = performance.now();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        baseline.push(...(await Promise.all(Array.from({ length: STREAMS }, direct))));
        tessera.push(...(await Promise.all(Array.from({ length: STREAMS }, stream))));
      }
    } finally {
      clearInterval(sampler);
    }
    const loadSeconds = Math.round((performance.now() - started) / 100) / 10;
    const rssRightAfter = rssMb(pid);
    const settle: number[] = [];
    for (let s = 0; s < SETTLE_SECONDS; s++) {
      await sleep(1000);
      settle.push(rssMb(pid));
    }
    const afterRss = settle.at(-1) ?? rssRightAfter;
    agent.destroy();
    directAgent.destroy();

    const figures = {
      streamsPerRound: STREAMS,
      naming: NAMING,
      rounds: ROUNDS,
      loadSeconds,
      tesseraFirstEvent: firstEvent(tessera),
      directFirstEvent: firstEvent(baseline),
      rssMb: { idle: idleRss, peak: peakRss, rightAfter: rssRightAfter, afterSettle: afterRss, settleSeconds: SETTLE_SECONDS, afterOverIdle: Math.round((afterRss / idleRss) * 100) / 100, settleCurve: settle },
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    const t = figures.tesseraFirstEvent;
    return {
      name: 'streams',
      machine: { node: process.version, cpus: cpus().length, platform: process.platform },
      figures,
      targets: {
        [`p99 time to first event at ${STREAMS} streams`]: { target: `< 1000 ms, got ${t.p99Ms} ms (p50 ${t.p50Ms} ms; provider direct p99 ${figures.directFirstEvent.p99Ms} ms)`, met: t.p99Ms < 1000 },
        'no failed streams': { target: `0, got ${t.errors} of ${t.streams}`, met: t.errors === 0 },
        'RSS after the load within 20% of idle': { target: `≤ ${Math.round(idleRss * 1.2)} MB, got ${afterRss} MB (idle ${idleRss}, peak ${peakRss})`, met: afterRss <= idleRss * 1.2 },
      },
    };
  } finally {
    await stopChild(kernel.child);
    await stopChild(provider.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
