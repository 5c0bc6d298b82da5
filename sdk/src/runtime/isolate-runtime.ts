import ivm from 'isolated-vm';
import { PluginError, type PluginErrorCode } from '../errors.js';
import type { RuntimeOptions } from './plugin-runtime.js';
import { bytesOut, DispatchRuntime } from './runtime-base.js';
import { ISOLATE_LOCKDOWN, PRELUDE } from './prelude-source.js';

export type { CallScope, CallTarget, PluginRuntime, RuntimeStats } from './plugin-runtime.js';

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
  readonly deliver: ivm.Reference<(opId: number, answer: string | Uint8Array) => void>;
}

/**
 * One unit of work the isolate runs: a request of the host's (`__tessera_dispatch`) or the
 * answer to a host operation (`__tessera_deliver`). Nothing else enters the isolate (see
 * ISOLATE_LOCKDOWN). Its tasks run one at a time in the order sent, each with its microtasks,
 * and each one's end is reported in that order: so the host knows when the isolate is idle,
 * which task is running, and the CPU time each used — billed to the call that owns it.
 */
interface Task {
  readonly kind: 'dispatch' | 'deliver';
  /** The call it belongs to; '' for the plugin's own requests (describe, activate, a stream's return). */
  readonly owner: string;
  readonly args: [number, string | Uint8Array];
  /** A call's first request: if the isolate is replaced before it ran, it goes to the fresh one. */
  readonly retry: boolean;
  readonly fastKey: string | undefined;
  /** A cheap call that came while the isolate was finishing a task: entered synchronously once it is idle. */
  readonly fast?: { readonly request: Record<string, unknown>; readonly callId: string | undefined; readonly signal: AbortSignal | undefined; readonly stats: TargetStats };
}

const COPY_ARGUMENTS = { arguments: { copy: true } } as const;
/** CPU time a task may go on using after the call it belongs to ended, before the isolate is replaced. */
const ORPHAN_GRACE_MS = 100;
/** Timers one call may have waiting (the prelude refuses more; this is the host's own count). */
const MAX_TIMERS_PER_CALL = 1024;

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
 * idle — no task of it outstanding (see Task), and no other call or host
 * operation in flight — and the target has been cheap, a call enters
 * synchronously (~5 µs) under a short time-out; if that runs over, the isolate
 * is replaced and the call re-run the slow way (it cannot have reached the host
 * yet, so nothing happens twice). CPU time is billed per task to the call that
 * owns it; nothing of a call runs after it ends (see `hostOp`, `callClosed`).
 */
export class IsolateRuntime extends DispatchRuntime {
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private readonly targets = new Map<string, TargetStats>();
  private watchdog: NodeJS.Timeout | undefined;
  /** The isolate tasks run in: set once the prelude is in, before the plugin is ready for calls (`loaded`). */
  private instance: Loaded | undefined;
  /** Tasks sent to the isolate and not yet ended, in order: the first is running; none means its thread is idle. */
  private outstanding: Task[] = [];
  /** A cheap call held back while the isolate finishes a task, to enter it synchronously after (see `send`). */
  private queue: Task[] = [];
  /** Isolate CPU time when the running task started (when the one before it ended). */
  private mark = 0n;
  /** Isolate CPU time when the running task's call ended under it (the task is running on its own time). */
  private orphanedAt: bigint | undefined;
  /** CPU time billed to each open call: the tasks it owns, ns. */
  private readonly callCpu = new Map<string, bigint>();
  /** Host timers of the plugin's `setTimeout` by operation id, per call ('' while loading): cleared when it ends. */
  private readonly timers = new Map<string, Map<number, NodeJS.Timeout>>();
  /** Open while the plugin loads: what it does then is owned by '' and ends with the load. */
  private loadScope: AbortController | undefined;

  constructor(private readonly isolateOptions: IsolateRuntimeOptions) {
    super(isolateOptions);
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
    // Loading has the call's wall-clock limit: a module or an activate that never settles fails it.
    const scope = new AbortController();
    this.loadScope = scope;
    const timer = setTimeout(() => scope.abort(this.error('plugin_timeout', `took longer than ${this.callTimeoutMs} ms to load, its wall-clock limit`)), this.callTimeoutMs);
    const timedOut = new Promise<never>((_, reject) => scope.signal.addEventListener('abort', () => reject(scope.signal.reason as Error), { once: true }));
    timedOut.catch(() => undefined);
    try {
      const context = await isolate.createContext();
      const global = context.global;
      await global.set('globalThis', global.derefInto());
      await global.set('__host_done', new ivm.Callback((seq: number, json: string) => this.onDone(seq, json), { ignored: true }));
      await global.set('__host_log', new ivm.Callback((callId: string, level: string, message: string, fields: string) => this.ops.log(callId, level, message, fields), { ignored: true }));
      await global.set('__host_op', new ivm.Callback((opId: number, owner: string, callId: string, op: string, json: string, bytes?: Uint8Array) => this.hostOp(opId, owner, callId, op, json, bytes), { ignored: true }));
      await global.set('__host_limits', new ivm.ExternalCopy({ ...this.limits }).copyInto());
      await context.eval(ISOLATE_LOCKDOWN, { timeout: 1000 });
      await context.eval(PRELUDE, { timeout: 1000 });
      const dispatch = (await global.get('__tessera_dispatch', { reference: true })) as Loaded['dispatch'];
      const deliver = (await global.get('__tessera_deliver', { reference: true })) as Loaded['deliver'];
      await context.eval('delete globalThis.__tessera_dispatch; delete globalThis.__tessera_deliver;', { timeout: 1000 });
      const loaded: Loaded = { isolate, context, dispatch, deliver };
      this.instance = loaded;
      const plugin = await isolate.compileModule(this.isolateOptions.code, { filename: `plugin:${this.options.name}` });
      const boot = await isolate.compileModule(`import plugin from 'plugin'; globalThis.__tessera_install(plugin); delete globalThis.__tessera_install;`);
      await plugin.instantiate(context, (specifier) => {
        throw new Error(`the bundle imports "${specifier}": a plugin bundle must be self-contained (tessera-plugin build bundles dependencies)`);
      });
      await boot.instantiate(context, (specifier) => {
        if (specifier === 'plugin') return plugin;
        throw new Error(`unexpected import "${specifier}"`);
      });
      await Promise.race([plugin.evaluate({ timeout: this.cpuLimitMs }), timedOut]);
      await Promise.race([boot.evaluate({ timeout: this.cpuLimitMs }), timedOut]);
      this.loaded = loaded;
      const description = (await this.send({ kind: 'describe' }, undefined, scope.signal)) as { kind?: string };
      if (description.kind !== 'plugin') throw new Error('the bundle\'s default export is not a plugin (use definePlugin)');
      await this.send({ kind: 'activate', callId: '' }, undefined, scope.signal);
      return loaded;
    } catch (error) {
      this.loaded = undefined;
      if (this.instance?.isolate === isolate) this.dropTasks();
      if (!isolate.isDisposed) isolate.dispose();
      if (error instanceof PluginError) throw error;
      const code: PluginErrorCode = /memory limit/.test(String((error as Error).message)) ? 'plugin_out_of_memory' : 'plugin_invalid_definition';
      throw this.error(code, `failed to load: ${(error as Error).message}`);
    } finally {
      // What the plugin started while loading ends with it (its timers too).
      clearTimeout(timer);
      if (this.loadScope === scope) this.loadScope = undefined;
      this.clearTimers('');
      scope.abort();
    }
  }

  /** Sends one request into the isolate; resolves with what the dispatcher reports through `__host_done`. */
  protected send(request: Record<string, unknown>, callId: string | undefined, signal?: AbortSignal, fastKey?: string): Promise<unknown> {
    const loaded = this.loaded;
    if (!loaded) {
      // The isolate was replaced after this call was started: its first request goes to the fresh one.
      if (request.kind === 'call' && !this.disposed) return this.ensureLoaded().then(() => this.send(request, callId, signal, fastKey));
      return Promise.reject(this.error('plugin_internal_error', 'the plugin is not loaded'));
    }
    const seq = ++this.seq;
    const json = JSON.stringify(request, bytesOut);
    const result = this.expect(seq, signal, callId);
    const first = request.kind === 'call' && callId !== undefined;
    if (first) this.callCpu.set(callId, 0n);
    const owner = callId ?? '';
    const stats = fastKey ? this.targets.get(fastKey) : undefined;
    const cheap = stats !== undefined && !stats.slow && stats.calls > 0 && maxOf(stats.recentCpuNs) < FAST_PATH_MAX_CPU_NS;
    if (cheap && this.outstanding.length === 0 && this.queue.length === 0 && this.quiet()) return this.runFast(loaded, seq, json, request, callId, signal, stats, result);
    // The isolate is busy, or finishing the task that answered the last call (its answer comes before the
    // task's end): a cheap call waits for that and may still enter synchronously (see `ended`).
    const fast = cheap && first ? { request, callId, signal, stats } : undefined;
    this.enqueue({ kind: 'dispatch', owner, args: [seq, json], retry: first, fastKey: first ? fastKey : undefined, ...(fast ? { fast } : {}) });
    return result;
  }

  /** Nothing in flight but the call being sent: a fast call that runs over fails no other call. */
  private quiet(): boolean {
    return this.pending.size === 1 && this.ops.inFlight === 0 && this.ops.openCalls <= 1;
  }

  /** Enters the idle isolate synchronously, under a short time-out. */
  private runFast(loaded: Loaded, seq: number, json: string, request: Record<string, unknown>, callId: string | undefined, signal: AbortSignal | undefined, stats: TargetStats, result: Promise<unknown> | undefined): Promise<unknown> {
    try {
      this.stats.fastCalls++;
      const before = loaded.isolate.cpuTime;
      loaded.dispatch.applySync(undefined, [seq, json], { timeout: FAST_PATH_BUDGET_MS });
      if (!loaded.isolate.isDisposed) this.charge(callId ?? '', loaded.isolate.cpuTime - before);
      return result ?? Promise.resolve();
    } catch (error) {
      // Over budget on the Node thread: replace the isolate, then run the call the slow way.
      const pending = this.pending.get(seq);
      this.pending.delete(seq);
      stats.slow = true;
      const touched = callId !== undefined && this.ops.touched(callId);
      this.teardown(this.error('plugin_timeout', 'the isolate was replaced'), false, callId);
      const rerun = touched ? Promise.reject(this.fault(error)) : this.ensureLoaded().then(() => this.send(request, callId, signal));
      // From `ended` (no `result`) the caller holds the answer slot, not this promise: settle that.
      if (!result && pending) rerun.then(pending.resolve, pending.reject);
      return rerun;
    }
  }

  /** The isolate's CPU time; an isolate disposed by its memory limit has none to read (reading it throws), so the last mark. */
  private cpuOf(instance: Loaded): bigint {
    return instance.isolate.isDisposed ? this.mark : instance.isolate.cpuTime;
  }

  private isOpen(owner: string): boolean {
    return owner === '' ? this.loadScope !== undefined : this.callCpu.has(owner);
  }

  private enqueue(task: Task): void {
    if (task.fast && this.outstanding.length > 0 && this.queue.length === 0) {
      this.queue.push(task);
      return;
    }
    this.flush();
    this.submit(task);
  }

  /** Sends the held-back tasks, in order. */
  private flush(): void {
    while (this.queue.length > 0) this.submit(this.queue.shift()!);
  }

  /** Sends a task into the isolate; an answer for a call that has ended is dropped instead. */
  private submit(task: Task): void {
    const instance = this.instance;
    if (!instance || (task.kind === 'deliver' && !this.isOpen(task.owner))) return;
    if (this.outstanding.length === 0) {
      this.mark = this.cpuOf(instance);
      this.orphanedAt = task.owner !== '' && !this.isOpen(task.owner) ? this.mark : undefined;
    }
    this.outstanding.push(task);
    if (task.kind === 'dispatch') this.stats.slowCalls++;
    this.startWatchdog();
    const target = (task.kind === 'deliver' ? instance.deliver : instance.dispatch) as Loaded['deliver'];
    target.apply(undefined, task.args, typeof task.args[1] === 'string' ? undefined : COPY_ARGUMENTS).then(
      () => this.ended(instance, task, undefined),
      (error: unknown) => this.ended(instance, task, error),
    );
  }

  /** A task ended (with `error` if the isolate threw it out): bill it, and go on with the next. */
  private ended(instance: Loaded, task: Task, error: unknown): void {
    if (this.instance !== instance) return;
    const index = this.outstanding.indexOf(task);
    if (index < 0) return;
    this.outstanding.splice(index, 1);
    // An isolate disposed by its memory limit has no CPU time to read (reading it throws, and would end the process).
    const now = this.cpuOf(instance);
    const used = now - this.mark;
    this.mark = now;
    const orphan = this.orphanedAt !== undefined;
    this.orphanedAt = undefined;
    if (error !== undefined) {
      const fault = this.fault(error);
      const pending = task.kind === 'dispatch' ? this.pending.get(task.args[0]) : undefined;
      if (pending) {
        this.pending.delete(task.args[0]);
        pending.reject(fault);
      }
      if (this.instance !== instance) return;
    } else if (!orphan && this.charge(task.owner, used)) return;
    if (task.fastKey && error === undefined) {
      // A call's first task is what the fast path would run on the Node thread.
      const entry = this.targets.get(task.fastKey) ?? { calls: 0, recentCpuNs: [], slow: false };
      entry.recentCpuNs[entry.calls++ % CPU_WINDOW] = used;
      this.targets.set(task.fastKey, entry);
    }
    const next = this.outstanding[0];
    if (next && next.owner !== '' && !this.isOpen(next.owner)) this.orphanedAt = now;
    if (this.outstanding.length > 0 || this.queue.length === 0) return;
    // Idle: a lone cheap call held back enters synchronously, if nothing else came meanwhile.
    const held = this.queue.length === 1 ? this.queue[0]! : undefined;
    if (held?.fast && this.loaded === instance && this.pending.has(held.args[0]) && this.quiet()) {
      this.queue.length = 0;
      const { request, callId, signal, stats } = held.fast;
      void this.runFast(instance, held.args[0], held.args[1] as string, request, callId, signal, stats, undefined).catch(() => undefined);
      return;
    }
    this.flush();
  }

  /** Bills `ns` of isolate CPU time to `owner`; over the limit, the isolate is replaced (and true returned). */
  private charge(owner: string, ns: bigint): boolean {
    const limitNs = BigInt(this.cpuLimitMs) * 1_000_000n;
    const before = this.callCpu.get(owner);
    const total = before === undefined ? ns : before + ns;
    if (before !== undefined) this.callCpu.set(owner, total);
    if (total <= limitNs) return false;
    this.teardown(this.error('plugin_timeout', `used more than ${this.cpuLimitMs} ms of CPU time in one call`));
    return true;
  }

  /**
   * A host operation the plugin started, in a task of `owner`'s, with the context of `callId`
   * (the same call, unless the plugin kept another call's context). Its answer goes back as a
   * task of its own while `owner` is open, and not after: nothing of a call runs once it has ended.
   */
  private hostOp(opId: number, owner: string, callId: string, op: string, json: string, bytes: Uint8Array | undefined): void {
    const instance = this.instance;
    if (!instance || typeof owner !== 'string' || typeof callId !== 'string' || !this.isOpen(owner)) return;
    if (op === 'sleep.cancel') {
      const timer = this.timers.get(owner)?.get(opId);
      if (timer) clearTimeout(timer);
      this.timers.get(owner)?.delete(opId);
      return;
    }
    const answer = op === 'sleep' ? this.sleep(owner, opId, json) : this.ops.handle(callId, op, json, bytes);
    void answer?.then((result) => {
      if (this.instance === instance && this.isOpen(owner)) this.enqueue({ kind: 'deliver', owner, args: [opId, result], retry: false, fastKey: undefined });
    });
  }

  /** A timer of `owner`'s: it never fires once `owner` has ended (`clearTimers`) or it was cancelled; past the cap, never at all. */
  private sleep(owner: string, opId: number, json: string): Promise<string> | undefined {
    let timers = this.timers.get(owner);
    if (!timers) this.timers.set(owner, (timers = new Map()));
    if (timers.size >= MAX_TIMERS_PER_CALL || timers.has(opId)) return undefined;
    let ms = 0;
    try {
      ms = Math.max(0, Math.min(Number((JSON.parse(json) as { ms?: unknown }).ms) || 0, 600_000));
    } catch {
      return undefined;
    }
    const own = timers;
    return new Promise((resolve) => {
      own.set(opId, setTimeout(() => {
        own.delete(opId);
        resolve('null');
      }, ms));
    });
  }

  private clearTimers(owner: string): void {
    const timers = this.timers.get(owner);
    if (!timers) return;
    this.timers.delete(owner);
    for (const timer of timers.values()) clearTimeout(timer);
  }

  protected override callClosed(callId: string): void {
    this.clearTimers(callId);
    if (!this.callCpu.delete(callId)) return;
    // Its task may go on for a while (a loop started after the answer): on its own time from now.
    if (this.outstanding[0]?.owner === callId && this.orphanedAt === undefined && this.instance) this.orphanedAt = this.cpuOf(this.instance);
  }

  protected override callExpired(callId: string): void {
    if (this.outstanding[0]?.owner === callId) this.teardown(this.error('plugin_timeout', 'its code was still running when the call ran out of wall-clock time'));
  }

  /** CPU-time accounting of the running task; disposes a runaway one. */
  private startWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.tick(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  private tick(): void {
    const instance = this.instance;
    if (!instance) return this.stopWatchdog();
    if (instance.isolate.isDisposed) {
      // Only the memory limit disposes an isolate behind our back.
      this.teardown(this.error('plugin_out_of_memory', `exceeded its memory limit of ${this.memoryLimitMb} MB`));
      return;
    }
    const task = this.outstanding[0];
    if (!task) return this.stopWatchdog();
    const now = instance.isolate.cpuTime;
    if (this.orphanedAt !== undefined) {
      if (now - this.orphanedAt > BigInt(Math.min(ORPHAN_GRACE_MS, this.cpuLimitMs)) * 1_000_000n) this.teardown(this.error('plugin_timeout', 'kept running after its call ended'));
      return;
    }
    const used = (this.callCpu.get(task.owner) ?? 0n) + (now - this.mark);
    if (used > BigInt(this.cpuLimitMs) * 1_000_000n) this.teardown(this.error('plugin_timeout', `used more than ${this.cpuLimitMs} ms of CPU time in one call`));
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Forgets every task of the current isolate. */
  private dropTasks(): void {
    this.instance = undefined;
    this.outstanding = [];
    this.queue = [];
    this.orphanedAt = undefined;
  }

  /**
   * Disposes the current isolate and fails everything in flight with `error` — except
   * calls whose first request was waiting behind the running task and had not reached
   * the host: they lose nothing by going to a fresh isolate, so a misbehaving call does
   * not take the calls queued behind it along.
   */
  protected teardown(error: PluginError, countFault = true, keepCall?: string): void {
    const instance = this.instance ?? this.loaded;
    const waiting = [...this.outstanding.slice(1), ...this.queue];
    const retry = this.disposed ? [] : waiting.filter((task) => task.retry && this.pending.has(task.args[0]) && !this.ops.touched(task.owner));
    this.loaded = undefined;
    this.dropTasks();
    this.stopWatchdog();
    for (const owner of [...this.timers.keys()]) this.clearTimers(owner);
    if (countFault) this.stats.faults++;
    if (instance && !instance.isolate.isDisposed) instance.isolate.dispose();
    const kept = retry.map((task) => [task.args[0], this.pending.get(task.args[0])!] as const);
    for (const [seq] of kept) this.pending.delete(seq);
    this.rejectAll(error);
    if (retry.length === 0) this.ops.failAll(error, keepCall);
    else {
      const keep = new Set(retry.map((task) => task.owner));
      if (keepCall !== undefined) keep.add(keepCall);
      for (const id of [...this.callCpu.keys()]) if (!keep.has(id)) this.ops.close(id, error);
    }
    for (const [seq, pending] of kept) this.pending.set(seq, pending);
    if (retry.length === 0) return;
    void this.ensureLoaded().then(
      () => {
        for (const task of retry) if (this.pending.has(task.args[0])) this.enqueue(task);
      },
      (failure: PluginError) => {
        for (const [seq, pending] of kept) if (this.pending.delete(seq)) pending.reject(failure);
      },
    );
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
