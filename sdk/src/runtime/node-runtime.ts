import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { PluginError } from '../errors.js';
import type { RuntimeOptions } from './plugin-runtime.js';
import { bytesOut, DispatchRuntime } from './runtime-base.js';
import type { NodeTask } from './node-worker.js';

export interface NodeRuntimeOptions extends RuntimeOptions {
  /** The plugin's bundle: an ES module (built for Node) whose default export is `definePlugin(…)`. */
  readonly code: string;
  /** Where the bundle is written for the worker to import (one file per content hash). */
  readonly cacheDir: string;
}

// Under tsx (tests) the worker is the TypeScript source; built, it is the compiled file next to this one.
const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './node-worker.ts' : './node-worker.js', import.meta.url));
const WATCHDOG_MS = 25;

/**
 * The `node` runtime, for plugins an admin trusts with full Node.js (database
 * drivers and the like): the plugin runs in its own worker thread (piscina)
 * with a heap cap, a CPU-time watchdog, and the same dispatcher and
 * capability bridge as an isolate — but no sandbox around Node's own APIs.
 */
export class NodeRuntime extends DispatchRuntime {
  private pool: Piscina<NodeTask, string> | undefined;
  private loading: Promise<Piscina<NodeTask, string>> | undefined;
  private readonly bundlePath: string;
  private readonly ports = new Map<string, MessagePort[]>();
  private watchdog: NodeJS.Timeout | undefined;
  private lastElu: ReturnType<typeof performance.eventLoopUtilization> | undefined;

  constructor(options: NodeRuntimeOptions) {
    super(options);
    mkdirSync(options.cacheDir, { recursive: true });
    const hash = createHash('sha256').update(options.code).digest('hex').slice(0, 16);
    this.bundlePath = join(options.cacheDir, `${options.name.replace(/[^\w.@-]+/g, '_')}-${hash}.mjs`);
    if (!existsSync(this.bundlePath)) writeFileSync(this.bundlePath, options.code);
  }

  protected get live(): boolean {
    return this.pool !== undefined;
  }

  protected get current(): unknown {
    return this.pool;
  }

  protected ensureLoaded(): Promise<Piscina<NodeTask, string>> {
    if (this.disposed) return Promise.reject(this.error('plugin_cancelled', 'the plugin was unloaded'));
    if (this.pool) return Promise.resolve(this.pool);
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Piscina<NodeTask, string>> {
    this.stats.generation++;
    const pool = new Piscina<NodeTask, string>({
      filename: WORKER,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 256,
      idleTimeout: 2 ** 31 - 1,
      resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, Math.floor(this.memoryLimitMb / 8))) },
    });
    this.pool = pool;
    try {
      const description = (await this.send({ kind: 'describe' }, undefined)) as { kind?: string };
      if (description.kind !== 'plugin') throw this.error('plugin_invalid_definition', "failed to load: the bundle's default export is not a plugin (use definePlugin)");
      await this.send({ kind: 'activate', callId: '' }, undefined);
      return pool;
    } catch (error) {
      if (this.pool === pool) this.pool = undefined;
      await pool.destroy();
      if ((error as PluginError).code?.startsWith('plugin_')) throw error;
      throw this.error('plugin_invalid_definition', `failed to load: ${(error as Error).message}`);
    }
  }

  protected send(request: Record<string, unknown>, callId: string | undefined): Promise<unknown> {
    const pool = this.pool;
    if (!pool) return Promise.reject(this.error('plugin_internal_error', 'the plugin is not loaded'));
    const seq = ++this.seq;
    const answer = this.expect(seq, undefined, callId);
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (message: { id?: number; callId: string; op: string; json: string; bytes?: Uint8Array; log?: [string, string, string, string] }) => {
      if (message.log) return this.ops.log(...message.log);
      void this.ops.handle(message.callId, message.op, message.json, message.bytes).then((result) => port1.postMessage({ id: message.id, result }));
    });
    if (callId) this.ports.set(callId, [...(this.ports.get(callId) ?? []), port1]);
    this.startWatchdog();
    this.stats.slowCalls++;
    pool.run({ bundle: this.bundlePath, seq, request: JSON.stringify(request, bytesOut), callId: callId ?? '', port: port2, limits: this.limits }, { transferList: [port2] }).then(
      (json) => this.onDone(seq, json),
      (error: Error & { code?: string }) => {
        if (this.pool !== pool) return;
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') this.teardown(this.error('plugin_out_of_memory', `exceeded its memory limit of ${this.memoryLimitMb} MB`));
        else this.teardown(this.error('plugin_internal_error', `the worker failed: ${error.message}`));
      },
    );
    if (!callId) void answer.finally(() => port1.close()).catch(() => undefined);
    return answer;
  }

  protected override callClosed(callId: string): void {
    for (const port of this.ports.get(callId) ?? []) port.close();
    this.ports.delete(callId);
  }

  private startWatchdog(): void {
    if (this.watchdog) return;
    this.lastElu = undefined;
    this.watchdog = setInterval(() => this.tick(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  /** Event-loop busy time of the worker is its CPU time here: a plugin stuck in a loop never goes idle. */
  private tick(): void {
    const worker = this.pool?.threads[0];
    if (!worker) return;
    const elu = worker.performance.eventLoopUtilization();
    const delta = this.lastElu ? worker.performance.eventLoopUtilization(elu, this.lastElu) : undefined;
    this.lastElu = elu;
    if (delta && this.ops.chargeCpu(BigInt(Math.round(delta.active * 1e6)), BigInt(this.cpuLimitMs) * 1_000_000n)) {
      this.teardown(this.error('plugin_timeout', `used more than ${this.cpuLimitMs} ms of CPU time in one call`));
      return;
    }
    if (this.pending.size === 0 && this.ops.openCalls === 0) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  protected teardown(error: PluginError, countFault = true): void {
    const pool = this.pool;
    this.pool = undefined;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (countFault) this.stats.faults++;
    this.rejectAll(error);
    this.ops.failAll(error);
    for (const id of [...this.ports.keys()]) this.callClosed(id);
    if (pool) void pool.destroy();
  }
}
