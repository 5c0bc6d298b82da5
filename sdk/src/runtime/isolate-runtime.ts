import ivm from 'isolated-vm';
import { PluginError, isPluginErrorCode, type PluginErrorCode } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { ContributionGroup } from '../plugin.js';
import type { HostCapabilities } from './capabilities.js';
import { HostOps } from './host-ops.js';
import { PRELUDE } from './prelude.js';

export interface IsolateRuntimeOptions {
  /** `name@version`, used in every error and log line. */
  readonly name: string;
  /** The plugin's bundle: one self-contained ES module whose default export is `definePlugin(…)`. */
  readonly code: string;
  /** Heap cap of the isolate (default 128 MB). Exceeding it disposes the isolate and fails the calls in it. */
  readonly memoryLimitMb?: number;
  /** CPU time one call may use (default 2000 ms); past it the isolate is disposed and the call fails. */
  readonly cpuLimitMs?: number;
  /** Logs not tied to a call (`console.log` at load time, background work). */
  readonly onLog?: HostCapabilities['log'];
}

export interface CallTarget {
  readonly group: ContributionGroup;
  readonly id: string;
  readonly method: string;
}

/** Who is calling, and what that caller granted the plugin. */
export interface CallScope {
  readonly workspaceId: string;
  readonly capabilities: HostCapabilities;
  readonly signal?: AbortSignal;
}

export interface RuntimeStats {
  /** Isolates created so far (1 + the number of recreations after faults). */
  readonly generation: number;
  readonly faults: number;
  readonly fastCalls: number;
  readonly slowCalls: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface TargetStats {
  calls: number;
  maxCpuNs: bigint;
  slow: boolean;
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
export class IsolateRuntime {
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly ops: HostOps;
  private readonly targets = new Map<string, TargetStats>();
  private tainted = false;
  private deliveries = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private lastCpuNs = 0n;
  private backgroundCpuNs = 0n;
  private disposed = false;
  private stats = { generation: 0, faults: 0, fastCalls: 0, slowCalls: 0 };
  readonly memoryLimitMb: number;
  readonly cpuLimitMs: number;

  constructor(private readonly options: IsolateRuntimeOptions) {
    this.memoryLimitMb = options.memoryLimitMb ?? 128;
    this.cpuLimitMs = options.cpuLimitMs ?? 2000;
    this.ops = new HostOps(options.name, options.onLog, (background) => {
      this.deliveries++;
      if (background) this.tainted = true;
    });
  }

  get runtimeStats(): RuntimeStats {
    return { ...this.stats };
  }

  /** Loads the bundle and runs the plugin's `activate` (idempotent). */
  async activate(): Promise<void> {
    await this.ensureLoaded();
  }

  /** What the loaded bundle really exports: contribution ids and their methods, per group. */
  async describe(): Promise<{ apiVersion: string; contributions: Record<ContributionGroup, Record<string, string[]>> }> {
    await this.ensureLoaded();
    return (await this.send({ kind: 'describe' }, undefined)) as { apiVersion: string; contributions: Record<ContributionGroup, Record<string, string[]>> };
  }

  /** Calls `target` with JSON arguments (the plugin also receives its context last) and returns its JSON result. */
  async call(target: CallTarget, args: readonly JsonValue[], scope: CallScope): Promise<JsonValue> {
    const { result, finish } = await this.start(target, args, scope);
    if (isStream(result)) {
      await this.send({ kind: 'return', iteratorId: result.__stream }, undefined).catch(() => undefined);
      finish();
      throw this.error('plugin_bad_output', `${target.group}.${target.id}.${target.method} returned a stream where a value was expected`);
    }
    finish();
    return result as JsonValue;
  }

  /** Calls a `target` that returns an async iterable; its items cross the bridge one by one as produced. */
  async *stream(target: CallTarget, args: readonly JsonValue[], scope: CallScope): AsyncGenerator<JsonValue, void, undefined> {
    const { result, finish, callId } = await this.start(target, args, scope);
    if (!isStream(result)) {
      finish();
      throw this.error('plugin_bad_output', `${target.group}.${target.id}.${target.method} returned a value where a stream was expected`);
    }
    let ended = false;
    try {
      for (;;) {
        if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
        const step = (await this.send({ kind: 'next', iteratorId: result.__stream }, callId, scope.signal)) as { done: boolean; value?: JsonValue };
        if (step.done) {
          ended = true;
          return;
        }
        yield step.value ?? null;
      }
    } finally {
      if (!ended && this.loaded) await this.send({ kind: 'return', iteratorId: result.__stream }, undefined).catch(() => undefined);
      finish();
    }
  }

  /** Disposes the isolate; a later call would fail. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.loaded) await this.send({ kind: 'deactivate' }, undefined).catch(() => undefined);
    this.teardown(this.error('plugin_cancelled', 'the plugin was unloaded'));
  }

  private async start(target: CallTarget, args: readonly JsonValue[], scope: CallScope) {
    if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
    const loaded = await this.ensureLoaded();
    const callId = this.ops.open(scope);
    const finish = () => this.ops.close(callId);
    const key = `${target.group}/${target.id}/${target.method}`;
    const onAbort = () => {
      if (this.loaded === loaded) void this.send({ kind: 'abort', callId, reason: 'the call was cancelled' }, undefined).catch(() => undefined);
    };
    scope.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const request = { kind: 'call', callId, workspaceId: scope.workspaceId, group: target.group, id: target.id, method: target.method, args };
      const result = await this.send(request, callId, scope.signal, key);
      return { result, finish, callId };
    } catch (error) {
      finish();
      throw error;
    } finally {
      scope.signal?.removeEventListener('abort', onAbort);
    }
  }

  private ensureLoaded(): Promise<Loaded> {
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
      const plugin = await isolate.compileModule(this.options.code, { filename: `plugin:${this.options.name}` });
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
  private send(request: Record<string, unknown>, callId: string | undefined, signal?: AbortSignal, fastKey?: string): Promise<unknown> {
    const loaded = this.loaded;
    if (!loaded) return Promise.reject(this.error('plugin_internal_error', 'the plugin is not loaded'));
    const seq = ++this.seq;
    const json = JSON.stringify(request);
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      if (signal) {
        const abort = () => {
          if (this.pending.delete(seq)) reject(this.error('plugin_cancelled', 'the call was cancelled'));
        };
        signal.addEventListener('abort', abort, { once: true });
      }
    });
    const stats = fastKey ? this.targets.get(fastKey) : undefined;
    // Quiet: nothing else in flight, so the isolate's thread is idle and a sync entry cannot block on it.
    const quiet = this.pending.size === 1 && this.ops.inFlight === 0 && this.ops.openCalls <= 1 && !this.tainted;
    if (quiet && stats && !stats.slow && stats.calls > 0 && stats.maxCpuNs < FAST_PATH_MAX_CPU_NS) {
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
          const entry = this.targets.get(fastKey) ?? { calls: 0, maxCpuNs: 0n, slow: false };
          entry.calls++;
          if (used > entry.maxCpuNs) entry.maxCpuNs = used;
          this.targets.set(fastKey, entry);
        },
        () => undefined,
      );
    }
    return result;
  }

  private onDone(seq: number, json: string): void {
    const pending = this.pending.get(seq);
    if (!pending) return;
    this.pending.delete(seq);
    let message: { ok: boolean; value?: unknown; error?: { code?: string; message?: string; name?: string } };
    try {
      message = JSON.parse(json);
    } catch {
      pending.reject(this.error('plugin_bad_output', 'the plugin returned unreadable output'));
      return;
    }
    if (message.ok) pending.resolve(message.value);
    else pending.reject(this.fromPlugin(message.error ?? {}));
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
  private teardown(error: PluginError, countFault = true, keepCall?: string): void {
    const loaded = this.loaded;
    this.loaded = undefined;
    this.tainted = false;
    this.stopWatchdog();
    if (countFault) this.stats.faults++;
    if (loaded && !loaded.isolate.isDisposed) loaded.isolate.dispose();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
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

  private fromPlugin(error: { code?: string; message?: string; name?: string }): PluginError {
    const message = error.message ?? 'unknown error';
    if (isPluginErrorCode(error.code)) return this.error(error.code, message);
    return this.error('plugin_internal_error', `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${message}`);
  }

  private error(code: PluginErrorCode, message: string): PluginError {
    return new PluginError(code, `plugin ${this.options.name}: ${message}`, { details: { plugin: this.options.name } });
  }
}

function isStream(value: unknown): value is { __stream: number } {
  return typeof value === 'object' && value !== null && typeof (value as { __stream?: unknown }).__stream === 'number';
}
