/**
 * bench/plugin-host-process: what running plugin isolates in a supervised
 * plugin-host process (as VS Code's extension host and Dify's plugin daemon do)
 * would cost, against the in-process isolate, in the same run: warm call
 * latency one at a time, throughput at concurrency 16, and the host's memory.
 * The plugin is the first-party calculator. Issue #13 asks for this decision
 * with figures (docs/architecture.md, "Plugins in the API process").
 *
 * Two plugin-host processes are measured: the minimal prototype the decision
 * was taken on (bench/support/plugin-host-child.ts: one message each way per
 * call) and the one the kernel runs (ProcessIsolateRuntime in a
 * PluginHostProcess, PLUGIN_HOST=process: call scopes, capability requests,
 * crash supervision).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolateRuntime, PluginHostProcess, ProcessIsolateRuntime, type CallScope } from '@tessera/sdk/runtime';
import { createMemoryCapabilities } from '@tessera/sdk/testing';
import type { BenchResult } from './run.js';
import { summary, timeEach } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(here, '..', 'plugins', 'calculator', 'dist', 'plugin.js');
const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const CONCURRENT_CALLS = Number(process.env.BENCH_CONCURRENT_CALLS ?? 20_000);
const ARGS = { expression: '2 * (3 + 4) ^ 2 / sqrt(16)' };
/** A stream of 1,000 small items (a model's tokens), produced without waiting: how items cross in batches. */
const STREAM_CODE = `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { count: { kind: 'tool', invoke: async function* (a) { for (let i = 0; i < a.n; i++) yield { delta: 'token ' + i }; } } }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
const STREAM_ITEMS = 1000;
const STREAM_RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 50);

async function throughput(call: () => Promise<unknown>, total: number, concurrency: number): Promise<number> {
  let started = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started++ < total) await call();
  }));
  return Math.round(total / (Number(process.hrtime.bigint() - t0) / 1e9));
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

export async function bench(): Promise<BenchResult> {
  const code = readFileSync(BUNDLE, 'utf8');
  const scope: CallScope = { workspaceId: 'bench', capabilities: createMemoryCapabilities() };
  const target = { group: 'tools' as const, id: 'calculate', method: 'invoke' };
  const runtime = new IsolateRuntime({ name: 'calculator@bench', code });
  const inProcess = () => runtime.call(target, [ARGS], scope);
  const host = new PluginHostProcess();
  const hosted = new ProcessIsolateRuntime({ name: 'calculator@bench', code, host });
  const realProcess = () => hosted.call(target, [ARGS], scope);

  const child = fork(join(here, 'support', 'plugin-host-child.ts'), [], {
    execArgv: ['--no-node-snapshot', '--import', 'tsx'],
    env: { ...process.env, BENCH_BUNDLE: BUNDLE },
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) return resolve();
      const waiter = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.error !== undefined) waiter?.reject(new Error(m.error));
      else waiter?.resolve(m.result);
    });
  });
  const outOfProcess = () => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    child.send({ id, args: ARGS });
  });
  try {
    const expected = JSON.stringify(await inProcess());
    if (expected !== JSON.stringify(await outOfProcess()) || expected !== JSON.stringify(await realProcess())) throw new Error('the hosts disagree');
    await timeEach(2000, inProcess);
    await timeEach(2000, outOfProcess);
    await timeEach(2000, realProcess);
    const seqIn = summary(await timeEach(CALLS, inProcess));
    const seqOut = summary(await timeEach(CALLS, outOfProcess));
    const seqReal = summary(await timeEach(CALLS, realProcess));
    const tputIn = await throughput(inProcess, CONCURRENT_CALLS, 16);
    const tputOut = await throughput(outOfProcess, CONCURRENT_CALLS, 16);
    const tputReal = await throughput(realProcess, CONCURRENT_CALLS, 16);
    // Streams: the same plugin inline and in the plugin-host process.
    const streamTarget = { group: 'tools' as const, id: 'count', method: 'invoke' };
    const streamIn = new IsolateRuntime({ name: 'stream@bench', code: STREAM_CODE });
    const streamOut = new ProcessIsolateRuntime({ name: 'stream@bench', code: STREAM_CODE, host });
    const drain = async (r: IsolateRuntime | ProcessIsolateRuntime) => {
      let n = 0;
      for await (const _ of r.stream(streamTarget, [{ n: STREAM_ITEMS }], scope)) n++;
      if (n !== STREAM_ITEMS) throw new Error(`the stream gave ${n} items`);
    };
    await timeEach(5, () => drain(streamIn));
    await timeEach(5, () => drain(streamOut));
    const streamInS = summary(await timeEach(STREAM_RUNS, () => drain(streamIn)));
    const streamOutS = summary(await timeEach(STREAM_RUNS, () => drain(streamOut)));
    await streamIn.dispose();
    await streamOut.dispose();
    const hostRssMb = rssOf(child.pid!);
    const realRssMb = rssOf(host.pid!);
    const added = (s: { p50Us: number }) => Math.round((s.p50Us - seqIn.p50Us) * 10) / 10;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const figures = {
      sequential: { inProcess: seqIn, pluginHostProcess: seqOut, addedP50Us: added(seqOut), ratioP50: ratio(seqOut.p50Us, seqIn.p50Us), processIsolateRuntime: seqReal, processAddedP50Us: added(seqReal), processRatioP50: ratio(seqReal.p50Us, seqIn.p50Us) },
      throughputC16: { inProcessPerS: tputIn, pluginHostProcessPerS: tputOut, ratio: ratio(tputOut, tputIn), processIsolateRuntimePerS: tputReal, processRatio: ratio(tputReal, tputIn) },
      stream1000Items: { inProcess: streamInS, processIsolateRuntime: streamOutS, ratioP50: ratio(streamOutS.p50Us, streamInS.p50Us) },
      pluginHostRssMb: hostRssMb,
      processIsolateRuntimeHostRssMb: realRssMb,
    };
    process.stdout.write(`one at a time: in-process p50 ${seqIn.p50Us} µs, prototype host process p50 ${seqOut.p50Us} µs (+${figures.sequential.addedP50Us} µs, ×${figures.sequential.ratioP50}), PLUGIN_HOST=process p50 ${seqReal.p50Us} µs (+${figures.sequential.processAddedP50Us} µs, ×${figures.sequential.processRatioP50})\n`);
    process.stdout.write(`concurrency 16: in-process ${tputIn}/s, prototype ${tputOut}/s (×${figures.throughputC16.ratio}), PLUGIN_HOST=process ${tputReal}/s (×${figures.throughputC16.processRatio})\n`);
    process.stdout.write(`a stream of ${STREAM_ITEMS} items: in-process p50 ${(streamInS.p50Us / 1000).toFixed(2)} ms, PLUGIN_HOST=process p50 ${(streamOutS.p50Us / 1000).toFixed(2)} ms (×${figures.stream1000Items.ratioP50}); host process RSS: prototype ${hostRssMb} MB (under tsx), PLUGIN_HOST=process ${realRssMb} MB (compiled)\n`);
    return { name: 'plugin-host-process', machine: { node: process.version, cpus: cpus().length, platform: process.platform }, figures, targets: {} };
  } finally {
    child.kill();
    await runtime.dispose();
    await hosted.dispose();
    await host.close();
  }
}
