import { PluginError, isPluginErrorCode, type PluginErrorCode } from '../errors.js';
import type { JsonValue } from '../json.js';
import { resolveBridgeLimits, type BridgeLimits } from './bridge-limits.js';
import { HostOps } from './host-ops.js';
import type { CallScope, CallTarget, PluginDescription, PluginRuntime, RuntimeOptions, RuntimeStats } from './plugin-runtime.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The call the request belongs to, failed with it when it runs out of time. */
  readonly callId?: string | undefined;
}

/** When an open call runs out of wall-clock time, and what it is told then. */
interface Deadline {
  at: number;
  why: string;
  expired: PluginError | undefined;
}

export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_STREAM_TIMEOUT_MS = 1_800_000;

/**
 * The part both runtimes share: requests go to the plugin's dispatcher (the
 * prelude), answers come back by sequence number, and every call gets its own
 * capability scope in {@link HostOps}. Subclasses say how a request reaches
 * the plugin and how a broken plugin is torn down.
 */
export abstract class DispatchRuntime implements PluginRuntime {
  protected seq = 0;
  protected readonly pending = new Map<number, Pending>();
  protected readonly ops: HostOps;
  protected disposed = false;
  protected stats = { generation: 0, faults: 0, fastCalls: 0, slowCalls: 0 };
  readonly memoryLimitMb: number;
  readonly cpuLimitMs: number;
  readonly callTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly streamTimeoutMs: number;
  readonly limits: BridgeLimits;
  /** Open calls' wall-clock deadlines, checked by one sweeper while any is open (cheaper than a timer per call). */
  private readonly deadlines = new Map<string, Deadline>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;

  constructor(protected readonly options: RuntimeOptions, onDelivery: (background: boolean) => void = () => undefined) {
    this.memoryLimitMb = options.memoryLimitMb ?? 128;
    this.cpuLimitMs = options.cpuLimitMs ?? 5000;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    this.streamTimeoutMs = options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS;
    // A deadline is met to within a tenth of the shortest limit (10 ms to 1 s).
    this.sweepMs = Math.max(10, Math.min(1000, Math.floor(Math.min(this.callTimeoutMs, this.streamIdleTimeoutMs, this.streamTimeoutMs) / 10)));
    this.limits = resolveBridgeLimits(options.bridgeLimits);
    this.ops = new HostOps(options.name, options.onLog, onDelivery, this.limits);
  }

  /** True while a loaded plugin can take requests. */
  protected abstract get live(): boolean;
  protected abstract ensureLoaded(): Promise<unknown>;
  /** Delivers one request; resolves with what the dispatcher answers for it. */
  protected abstract send(request: Record<string, unknown>, callId: string | undefined, signal?: AbortSignal, fastKey?: string): Promise<unknown>;
  /** Throws away the isolate or worker and fails everything in flight with `error`. */
  protected abstract teardown(error: PluginError, countFault?: boolean, keepCall?: string): void;

  get runtimeStats(): RuntimeStats {
    return { ...this.stats };
  }

  /** Loads the bundle and runs the plugin's `activate` (idempotent). */
  async activate(): Promise<void> {
    await this.ensureLoaded();
  }

  /** What the loaded bundle really exports: contribution ids and their methods, per group. */
  async describe(): Promise<PluginDescription> {
    await this.ensureLoaded();
    return (await this.send({ kind: 'describe' }, undefined)) as PluginDescription;
  }

  /** Calls `target` with JSON arguments (the plugin also receives its context last) and returns its JSON result. */
  async call(target: CallTarget, args: readonly JsonValue[], scope: CallScope): Promise<JsonValue> {
    const { result, finish } = await this.start(target, args, scope, this.callTimeoutMs, `ran longer than ${this.callTimeoutMs} ms, its wall-clock limit`);
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
    // The overall cap counts from the start; the idle limit only while the host waits for the plugin's next items.
    const capAt = Date.now() + this.streamTimeoutMs;
    const capWhy = `streamed longer than ${this.streamTimeoutMs} ms, its wall-clock limit`;
    const idleWhy = `sent no item for ${this.streamIdleTimeoutMs} ms, its wall-clock limit between items`;
    const firstWait = Math.min(this.streamIdleTimeoutMs, this.streamTimeoutMs);
    const { result, finish, callId, deadline } = await this.start(target, args, scope, firstWait, firstWait < this.streamTimeoutMs ? idleWhy : capWhy);
    if (!isStream(result)) {
      finish();
      throw this.error('plugin_bad_output', `${target.group}.${target.id}.${target.method} returned a value where a stream was expected`);
    }
    let ended = false;
    try {
      let step = result.first;
      for (;;) {
        if (deadline.expired) throw deadline.expired;
        if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
        if (!step) {
          const now = Date.now();
          deadline.at = Math.min(now + this.streamIdleTimeoutMs, capAt);
          deadline.why = now + this.streamIdleTimeoutMs < capAt ? idleWhy : capWhy;
          // Each answer carries every item the plugin had ready without waiting on I/O: one crossing per batch.
          step = (await this.send({ kind: 'next', iteratorId: result.__stream }, callId, scope.signal)) as { done: boolean; values: JsonValue[] };
        }
        // While the consumer takes the items, only the overall cap runs.
        deadline.at = capAt;
        deadline.why = capWhy;
        for (const value of step.values) yield value;
        if (step.done) {
          ended = true;
          return;
        }
        step = undefined;
      }
    } finally {
      if (!ended && this.live) await this.send({ kind: 'return', iteratorId: result.__stream }, undefined).catch(() => undefined);
      finish();
    }
  }

  /** Unloads the plugin; a later call fails. */
  async dispose(): Promise<void> {
    this.disposed = true;
    // A deactivate that never settles does not hold the unload up for longer than a call may take.
    if (this.live) await this.send({ kind: 'deactivate' }, undefined, AbortSignal.timeout(this.callTimeoutMs)).catch(() => undefined);
    this.teardown(this.error('plugin_cancelled', 'the plugin was unloaded'), false);
  }

  protected async start(target: CallTarget, args: readonly JsonValue[], scope: CallScope, limitMs: number, why: string) {
    if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
    const loaded = await this.ensureLoaded();
    const callId = this.ops.open(scope);
    const deadline: Deadline = { at: Date.now() + limitMs, why, expired: undefined };
    this.deadlines.set(callId, deadline);
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs).unref();
    const finish = () => {
      this.deadlines.delete(callId);
      this.ops.close(callId);
      this.callClosed(callId);
    };
    const key = `${target.group}/${target.id}/${target.method}`;
    const onAbort = () => {
      if (this.live && this.current === loaded) void this.send({ kind: 'abort', callId, reason: 'the call was cancelled' }, undefined).catch(() => undefined);
    };
    scope.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const request = { kind: 'call', callId, workspaceId: scope.workspaceId, group: target.group, id: target.id, method: target.method, args };
      const result = await this.send(request, callId, scope.signal, key);
      return { result, finish, callId, deadline };
    } catch (error) {
      finish();
      throw error;
    } finally {
      scope.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A call ended: resources a subclass keeps per call can go. May come twice for a call (once when it ran out of time). */
  protected callClosed(_callId: string): void {}

  /** A call ran out of wall-clock time (its requests have just been failed); a subclass stops its code if it is running. */
  protected callExpired(_callId: string): void {}

  private sweep(): void {
    const now = Date.now();
    for (const [callId, deadline] of this.deadlines) if (now >= deadline.at) this.expire(callId, deadline);
    if (this.deadlines.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Fails a call that ran out of time: its requests, its scope (host operations abort), and the plugin's signal. */
  private expire(callId: string, deadline: Deadline): void {
    this.deadlines.delete(callId);
    const error = this.error('plugin_timeout', deadline.why);
    deadline.expired = error;
    for (const [seq, pending] of this.pending) {
      if (pending.callId !== callId) continue;
      this.pending.delete(seq);
      pending.reject(error);
    }
    this.callExpired(callId);
    if (this.live) void this.send({ kind: 'abort', callId, reason: deadline.why }, callId).catch(() => undefined);
    this.ops.close(callId, error);
    this.callClosed(callId);
  }

  /**
   * Registers an answer slot for `seq` (of `callId`, if a call's); a fired `signal` rejects it with
   * plugin_cancelled, or with its reason when that is a plugin_timeout (a time limit of the host's).
   */
  protected expect(seq: number, signal: AbortSignal | undefined, callId?: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (!signal) {
        this.pending.set(seq, { resolve, reject, callId });
        return;
      }
      // A stream sends one request per batch under the same signal: each listener goes when its answer comes.
      const abort = () => {
        const reason: unknown = signal.reason;
        if (this.pending.delete(seq)) reject(reason instanceof PluginError && reason.code === 'plugin_timeout' ? reason : this.error('plugin_cancelled', 'the call was cancelled'));
      };
      signal.addEventListener('abort', abort, { once: true });
      this.pending.set(seq, {
        resolve: (value) => {
          signal.removeEventListener('abort', abort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener('abort', abort);
          reject(error);
        },
        callId,
      });
    });
  }

  /** Fails every request in flight. */
  protected rejectAll(error: PluginError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  /** The loaded plugin instance, to tell a reload apart from the one a call started on. */
  protected abstract get current(): unknown;

  protected onDone(seq: number, json: string): void {
    const pending = this.pending.get(seq);
    if (!pending) return;
    this.pending.delete(seq);
    // Checked before parsing: a string copied out of the isolate is external, so its length costs nothing.
    if (typeof json !== 'string') {
      pending.reject(this.error('plugin_bad_output', 'the plugin returned unreadable output'));
      return;
    }
    if (json.length > this.limits.maxResultBytes) {
      pending.reject(this.error('plugin_payload_too_large', `the plugin's answer is over the limit of ${this.limits.maxResultBytes} bytes`));
      return;
    }
    let message: { ok: boolean; value?: unknown; error?: { code?: string; message?: string; name?: string } };
    try {
      message = JSON.parse(json, bytesIn);
    } catch {
      pending.reject(this.error('plugin_bad_output', 'the plugin returned unreadable output'));
      return;
    }
    if (message.ok) pending.resolve(message.value);
    else pending.reject(this.fromPlugin((message.error ?? {}) as Parameters<DispatchRuntime['fromPlugin']>[0]));
  }

  protected fromPlugin(error: { code?: string; message?: string; name?: string; retryAfterMs?: number; details?: JsonValue }): PluginError {
    const message = error.message ?? 'unknown error';
    if (isPluginErrorCode(error.code)) {
      // Retry-After and the plugin's details survive the bridge: the model runtime schedules retries by them.
      const details = error.details !== undefined && typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details) ? { ...(error.details as object), plugin: this.options.name } : { plugin: this.options.name };
      return new PluginError(error.code, `plugin ${this.options.name}: ${message}`, { details: details as JsonValue, ...(typeof error.retryAfterMs === 'number' ? { retryAfterMs: error.retryAfterMs } : {}) });
    }
    return this.error('plugin_internal_error', `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${message}`);
  }

  protected error(code: PluginErrorCode, message: string): PluginError {
    return new PluginError(code, `plugin ${this.options.name}: ${message}`, { details: { plugin: this.options.name } });
  }
}

/** Bytes cross the bridge inside JSON as `{"$bytes": base64}`, both ways (the prelude does the same). */
export function bytesOut(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) return { $bytes: Buffer.from((value as { data: number[] }).data).toString('base64') };
  return value;
}

export function bytesIn(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $bytes?: unknown }).$bytes === 'string' && Object.keys(value).length === 1) return new Uint8Array(Buffer.from((value as { $bytes: string }).$bytes, 'base64'));
  return value;
}

export function isStream(value: unknown): value is { __stream: number; first?: { done: boolean; values: JsonValue[] } } {
  return typeof value === 'object' && value !== null && typeof (value as { __stream?: unknown }).__stream === 'number';
}
