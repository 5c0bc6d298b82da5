/**
 * bench/plugins: the isolate bridge against a direct in-process call of the
 * same plugin code, measured in the same run — warm tool call latency, cold
 * activation, and 100 concurrent calls spread over 10 plugins. The plugin is
 * the first-party calculator (plugins/calculator/dist/plugin.js).
 *
 * `npm run bench -- plugins-process` (or BENCH_PLUGIN_HOST=process) runs the same
 * bench with the isolates in the plugin-host process (ProcessIsolateRuntime, the
 * kernel's PLUGIN_HOST=process); `plugins` has them in this process (inline).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PluginContext } from '@tessera/sdk';
import { IsolateRuntime, PluginHostProcess, ProcessIsolateRuntime, type CallScope, type IsolateRuntimeOptions, type PluginRuntime } from '@tessera/sdk/runtime';
import { createMemoryCapabilities } from '@tessera/sdk/testing';
import type { BenchResult } from './run.js';
import { summary, timeEach } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(root, 'plugins', 'calculator', 'dist', 'plugin.js');
const WARM_CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const ARGS = { expression: '2 * (3 + 4) ^ 2 / sqrt(16)' };




export async function bench(HOST: 'process' | 'inline' = process.env.BENCH_PLUGIN_HOST === 'process' ? 'process' : 'inline'): Promise<BenchResult> {
  const host = HOST === 'process' ? new PluginHostProcess() : undefined;
  const make = (options: IsolateRuntimeOptions): PluginRuntime => (host ? new ProcessIsolateRuntime({ ...options, host }) : new IsolateRuntime(options));
  process.stdout.write(`isolates: ${HOST === 'process' ? 'in the plugin-host process (BENCH_PLUGIN_HOST=process)' : 'in this process'}\n`);
  const code = readFileSync(BUNDLE, 'utf8');
  const caps = createMemoryCapabilities();
  const scope: CallScope = { workspaceId: 'bench', capabilities: caps };
  const target = { group: 'tools' as const, id: 'calculate', method: 'invoke' };

  // Baseline: the same bundle imported into this process, called directly.
  const direct = ((await import(pathToFileURL(BUNDLE).href)) as { default: { tools: Record<string, { invoke(a: unknown, c: PluginContext): unknown }> } }).default;
  const ctx = { workspaceId: 'bench' } as unknown as PluginContext;
  const directCall = async () => direct.tools.calculate!.invoke(ARGS, ctx);

  const runtime = make({ name: 'calculator@bench', code });
  const isolateCall = () => runtime.call(target, [ARGS], scope);
  const expected = JSON.stringify(await directCall());
  if (JSON.stringify(await isolateCall()) !== expected) throw new Error('the isolate and the direct call disagree');

  await timeEach(2000, directCall);
  await timeEach(2000, isolateCall);
  const warmDirect = summary(await timeEach(WARM_CALLS, directCall));
  const warmIsolate = summary(await timeEach(WARM_CALLS, isolateCall));
  process.stdout.write(`warm call: isolate p50 ${warmIsolate.p50Us} µs p99 ${warmIsolate.p99Us} µs; direct p50 ${warmDirect.p50Us} µs p99 ${warmDirect.p99Us} µs\n`);

  // Cold activation: a new isolate, the bundle compiled and evaluated, activate() run, first call answered.
  const coldActivate: number[] = [];
  const coldFirstCall: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const fresh = make({ name: `calculator@cold${i}`, code });
    const t0 = process.hrtime.bigint();
    await fresh.activate();
    const t1 = process.hrtime.bigint();
    await fresh.call(target, [ARGS], scope);
    const t2 = process.hrtime.bigint();
    coldActivate.push(Number(t1 - t0) / 1000);
    coldFirstCall.push(Number(t2 - t0) / 1000);
    await fresh.dispose();
  }
  const directImport: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await import(`${pathToFileURL(BUNDLE).href}?cold=${i}`);
    directImport.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const cold = { activate: summary(coldActivate), activateAndFirstCall: summary(coldFirstCall), directImport: summary(directImport) };
  process.stdout.write(`cold activation: p50 ${(cold.activate.p50Us / 1000).toFixed(2)} ms (with first call ${(cold.activateAndFirstCall.p50Us / 1000).toFixed(2)} ms); direct import p50 ${(cold.directImport.p50Us / 1000).toFixed(2)} ms\n`);

  // 100 concurrent calls spread over 10 plugins (10 isolates), per round; and the same fan-out called directly.
  const plugins = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    const r = make({ name: `calculator@p${i}`, code });
    await r.activate();
    return r;
  }));
  const fanOut = async (call: (plugin: number) => Promise<unknown>) => {
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 100 }, (_, i) => call(i % 10)));
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < 5; i++) await fanOut((p) => plugins[p]!.call(target, [ARGS], scope));
  const concurrentIsolate: number[] = [];
  const concurrentDirect: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    concurrentIsolate.push(await fanOut((p) => plugins[p]!.call(target, [ARGS], scope)));
    concurrentDirect.push(await fanOut(() => directCall()));
  }
  const concurrent = { isolateRoundUs: summary(concurrentIsolate), directRoundUs: summary(concurrentDirect) };
  process.stdout.write(`100 concurrent calls over 10 plugins: isolate p50 ${(concurrent.isolateRoundUs.p50Us / 1000).toFixed(2)} ms per round (${Math.round(100 / (concurrent.isolateRoundUs.p50Us / 1e6))} calls/s); direct p50 ${(concurrent.directRoundUs.p50Us / 1000).toFixed(2)} ms\n`);

  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  const hostRssMb = host?.pid ? Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${host.pid}/status`, 'utf8'))![1]) / 1024) : undefined;
  await Promise.all([runtime, ...plugins].map((r) => r.dispose()));
  await host?.close();
  const figures = {
    warm: { isolate: warmIsolate, direct: warmDirect, ratioP50: Math.round((warmIsolate.p50Us / warmDirect.p50Us) * 10) / 10, fastPathCalls: runtime.runtimeStats.fastCalls },
    cold,
    concurrent,
    rssMbWith11Isolates: rssMb,
    pluginHost: HOST,
    ...(hostRssMb !== undefined ? { pluginHostRssMbWith11Isolates: hostRssMb } : {}),
  };
  process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\n`);
  return {
    name: HOST === 'process' ? 'plugins-process' : 'plugins',
    machine: { node: process.version, cpus: cpus().length, platform: process.platform },
    figures,
    targets: {
      'warm tool call p50': { target: `< 50 µs, got ${warmIsolate.p50Us} µs (direct ${warmDirect.p50Us} µs)`, met: warmIsolate.p50Us < 50 },
      'warm tool call p99': { target: `< 500 µs, got ${warmIsolate.p99Us} µs (direct ${warmDirect.p99Us} µs)`, met: warmIsolate.p99Us < 500 },
      'cold activation p50': { target: `< 30 ms, got ${(cold.activate.p50Us / 1000).toFixed(2)} ms`, met: cold.activate.p50Us < 30_000 },
    },
  };
}
