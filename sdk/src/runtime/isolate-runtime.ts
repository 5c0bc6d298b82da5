import ivm from 'isolated-vm';
import { PluginError, type PluginErrorCode } from '../errors.js';
import { bytesOut, DispatchRuntime, type RuntimeOptions } from './runtime-base.js';
import { PRELUDE } from './prelude.js';

export type { CallScope, CallTarget, PluginRuntime, RuntimeStats } from './runtime-base.js';

export interface IsolateRuntimeOptions extends RuntimeOptions {
  /** The plugin's bundle: one self-contained ES module whose default export is `definePlugin(…)`. */
  readonly code: string;
}

interface TargetStats {
  calls: number;
  /** CPU of its latest calls that ran alone (a window, so one cold first call does not count forever). */
  recentCpuNs: bigint[];
  slow: boolean;
}

/** Calls a target's CPU is judged by. */
const CPU_WINDOW = 16;

function maxOf(values: bigint[]): bigint {
  let max = 0n;
  for (const v of values) if (v > max) max = v;
  return max;
}

interface Loaded {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  readonly dispatch: ivm.Reference<(seq: number, request: string) => void>;
}

/** Sync work on the Node thread above this fails over to the isolate's own thread (see `send`). */
const FAST_PATH_BUDGET_MS = 20;
/** A target is a fast-path candidate when its calls used less CPU than this. */
const FAST_PATH_MAX_CPU_NS = 2_000_000n;
const WATCHDOG_MS = 25;

/**
 * One plugin in one V8 isolate (isolated-vm): its own heap with a memory cap, a
 * CPU-time budget per call, no Node APIs, and only the capabilities the
 * caller's scope grants. A fault (memory, CPU, crash) fails the calls in that
 * isolate with a coded error naming the plugin; the next call gets a fresh one.
 *
 * Calls normally enter the isolate asynchronously (~60 µs). When the isolate is
 * provably idle — no call or host operation in flight — and the target has been
 * cheap, a call enters synchronously (~5 µs) under a short time-out; if that
 * runs over, the isolate is replaced and the call re-run the slow way (it
 * cannot have reached the host yet, so nothing happens twice).
 */
export class IsolateRuntime extends DispatchRuntime {
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private readonly targets = new Map<string, TargetStats>();
  private tainted = false;
  private deliveries = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private lastCpuNs = 0n;
  private backgroundCpuNs = 0n;

  constructor(private readonly isolateOptions: IsolateRuntimeOptions) {
    super(isolateOptions, (background) => {
      this.deliveries++;
      if (background) this.tainted = true;
    });
  }

  protected get live(): boolean {
    return this.loaded !== undefined;
  }

  protected get current(): unknown {
    return this.loaded;
  }

  protected ensureLoaded(): Promise<Loaded> {
    if (this.disposed) return Promise.reject(this.error('plugin_cancelled', 'the plugin was unloaded'));
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Loaded> {
    const isolate = new ivm.Isolate({ memoryLimit: this.memoryLimitMb });
    this.stats.generation++;
    try {
      const context = await isolate.createContext();
      const global = context.global;
      await global.set('globalThis', global.derefInto());
      await global.set('__host_done', new ivm.Callback((seq: number, json: string) => this.onDone(seq, json), { ignored: true }));
      await global.set('__host_log', new ivm.Callback((callId: string, level: string, message: string, fields: string) => this.ops.log(callId, level, message, fields), { ignored: true }));
      await global.set('__host_op_ref', new ivm.Reference((callId: string, op: string, json: string, bytes?: Uint8Array) => this.ops.handle(callId, op, json, bytes)));
      await context.eval(PRELUDE, { timeout: 1000 });
      const plugin = await isolate.compileModule(this.isolateOptions.code, { filename: `plugin:${this.options.name}` });
      const boot = await isolate.compileModule(`import plugin from 'plugin'; globalThis.__tessera_install(plugin); delete globalThis.__tessera_install;`);
      await plugin.instantiate(context, (specifier) => {
        throw new Error(`the bundle imports "${specifier}": a plugin bundle must be self-contained (tessera-plugin build bundles dependencies)`);
      });
      await boot.instantiate(context, (specifier) => {
        if (specifier === 'plugin') return plugin;
        throw new Error(`unexpected import "${specifier}"`);
      });
      await plugin.evaluate({ timeout: this.cpuLimitMs });
      await boot.evaluate({ timeout: this.cpuLimitMs });
      const dispatch = (await global.get('__tessera_dispatch', { reference: true })) as ivm.Reference<(seq: number, request: string) => void>;
      const loaded: Loaded = { isolate, context, dispatch };
      this.loaded = loaded;
      this.lastCpuNs = isolate.cpuTime;
      const description = (await this.send({ kind: 'describe' }, undefined)) as { kind?: string };
      if (description.kind !== 'plugin') throw new Error('the bundle\'s default export is not a plugin (use definePlugin)');
      await this.send({ kind: 'activate', callId: '' }, undefined);
      return loaded;
    } catch (error) {
      this.loaded = undefined;
      if (!isolate.isDisposed) isolate.dispose();
      if (error instanceof PluginError) throw error;
      const code: PluginErrorCode = /memory limit/.test(String((error as Error).message)) ? 'plugin_out_of_memory' : 'plugin_invalid_definition';
      throw this.error(code, `failed to load: ${(error as Error).message}`);
    }
  }

  /** Sends one request into the isolate; resolves with what the dispatcher reports through `__host_done`. */
  protected send(request: Record<string, unknown>, callId: string | undefined, signal?: AbortSignal, fastKey?: string): Promise<unknown> {
    const loaded = this.loaded;
    if (!loaded) return Promise.reject(this.error('plugin_internal_error', 'the plugin is not loaded'));
    const seq = ++this.seq;
    const json = JSON.stringify(request, bytesOut);
    const result = this.expect(seq, signal);
    const stats = fastKey ? this.targets.get(fastKey) : undefined;
    // Quiet: nothing else in flight, so the isolate's thread is idle and a sync entry cannot block on it.
    const quiet = this.pending.size === 1 && this.ops.inFlight === 0 && this.ops.openCalls <= 1 && !this.tainted;
    if (quiet && stats && !stats.slow && stats.calls > 0 && maxOf(stats.recentCpuNs) < FAST_PATH_MAX_CPU_NS) {
      try {
        this.stats.fastCalls++;
        loaded.dispatch.applySync(undefined, [seq, json], { timeout: FAST_PATH_BUDGET_MS });
        return result;
      } catch (error) {
        // Over budget on the Node thread: replace the isolate, then run the call the slow way.
        this.pending.delete(seq);
        stats.slow = true;
        const touched = callId !== undefined && this.ops.touched(callId);
        this.teardown(this.error('plugin_timeout', 'the isolate was replaced'), false, callId);
        if (touched) return Promise.reject(this.fault(error));
        return this.ensureLoaded().then(() => this.send(request, callId, signal));
      }
    }
    this.stats.slowCalls++;
    const alone = this.pending.size === 1;
    const cpuBefore = loaded.isolate.cpuTime;
    const deliveriesBefore = this.deliveries;
    this.startWatchdog();
    loaded.dispatch.apply(undefined, [seq, json]).then(
      () => {
        if (this.deliveries === deliveriesBefore) this.tainted = false;
      },
      (error: unknown) => {
        const pending = this.pending.get(seq);
        if (pending) {
          this.pending.delete(seq);
          pending.reject(this.fault(error));
        }
      },
    );
    if (fastKey) {
      void result.then(
        () => {
          if (!alone || this.loaded !== loaded || loaded.isolate.isDisposed) return;
          const used = loaded.isolate.cpuTime - cpuBefore;
          const entry = this.targets.get(fastKey) ?? { calls: 0, recentCpuNs: [], slow: false };
          entry.recentCpuNs[entry.calls++ % CPU_WINDOW] = used;
          this.targets.set(fastKey, entry);
        },
        () => undefined,
      );
    }
    return result;
  }

  /** CPU-time accounting while anything runs in the isolate; disposes a runaway one. */
  private startWatchdog(): void {
    if (this.watchdog) return;
    this.lastCpuNs = this.loaded?.isolate.cpuTime ?? 0n;
    this.watchdog = setInterval(() => this.tick(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  private tick(): void {
    const loaded = this.loaded;
    if (!loaded) return this.stopWatchdog();
    if (loaded.isolate.isDisposed) {
      // Only the memory limit disposes an isolate behind our back.
      this.teardown(this.error('plugin_out_of_memory', `exceeded its memory limit of ${this.memoryLimitMb} MB`));
      return;
    }
    const now = loaded.isolate.cpuTime;
    const delta = now - this.lastCpuNs;
    this.lastCpuNs = now;
    const limitNs = BigInt(this.cpuLimitMs) * 1_000_000n;
    const over = this.ops.chargeCpu(delta, limitNs) || (this.ops.openCalls === 0 && (this.backgroundCpuNs += delta) > limitNs);
    if (over) {
      this.teardown(this.error('plugin_timeout', `used more than ${this.cpuLimitMs} ms of CPU time in one call`));
      return;
    }
    if (this.pending.size === 0 && this.ops.inFlight === 0 && this.ops.openCalls === 0) {
      this.backgroundCpuNs = 0n;
      this.stopWatchdog();
    }
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Disposes the current isolate and fails everything in flight with `error`. */
  protected teardown(error: PluginError, countFault = true, keepCall?: string): void {
    const loaded = this.loaded;
    this.loaded = undefined;
    this.tainted = false;
    this.stopWatchdog();
    if (countFault) this.stats.faults++;
    if (loaded && !loaded.isolate.isDisposed) loaded.isolate.dispose();
    this.rejectAll(error);
    this.ops.failAll(error, keepCall);
  }

  private fault(error: unknown): PluginError {
    const message = String((error as Error)?.message ?? error);
    if (/memory limit/.test(message)) {
      this.teardown(this.error('plugin_out_of_memory', `exceeded its memory limit of ${this.memoryLimitMb} MB`));
      return this.error('plugin_out_of_memory', `exceeded its memory limit of ${this.memoryLimitMb} MB`);
    }
    if (/timed out/.test(message)) return this.error('plugin_timeout', `used more than ${this.cpuLimitMs} ms of CPU time in one call`);
    if (/disposed/.test(message)) return this.error('plugin_internal_error', 'the isolate was disposed during the call');
    return this.error('plugin_internal_error', message);
  }
}
