import type { ChatChunk } from '../chat.js';
import { PluginError, isPluginErrorCode } from '../errors.js';
import type { JsonValue } from '../json.js';
import { droppedLogFields, KV_SET_ENVELOPE_CHARS, truncateLogMessage, type BridgeLimits } from './bridge-limits.js';
import type { HostCapabilities } from './capabilities.js';
import { linkSignals } from './signals.js';
import type { CallScope } from './plugin-runtime.js';

/** A response body the plugin reads piece by piece; `pending` is a read already asked for. */
interface OpenBody {
  readonly iterator: AsyncIterator<Uint8Array>;
  pending: Promise<IteratorResult<Uint8Array>> | undefined;
}

/** Body bytes that may ride along with a response's headers (the rest is read piece by piece). */
const PREFETCH_BYTES = 256 * 1024;
const LATER = Symbol('later');
/** Resolves after the I/O callbacks of this loop turn. */
const afterThisTurn = (): Promise<typeof LATER> => new Promise((resolve) => setImmediate(() => resolve(LATER)));

interface CallState {
  readonly scope: CallScope;
  readonly controller: AbortController;
  readonly bodies: Map<number, OpenBody>;
  /** Per-request aborts, keyed by the plugin's request id (its own AbortSignal). */
  readonly requests: Map<number, AbortController>;
  readonly streams: Map<number, AsyncIterator<ChatChunk>>;
  readonly unlink: () => void;
  cpuNs: bigint;
  /** Whether the call reached the host at least once (a re-run would repeat that). */
  touched: boolean;
  /** Log lines the call has written. */
  logLines: number;
}

type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);
/** Operations that carry no payload and do not count against `maxConcurrentOperations` (the prelude does not queue them either). */
const UNCOUNTED = new Set(['sleep', 'fetch.abort', 'fetch.cancel', 'models.return']);
/** The window of the log-line budget of lines written outside any call. */
const BACKGROUND_LOG_WINDOW_MS = 60_000;

/**
 * The host side of the capability bridge: every `ctx.*` call a plugin makes
 * arrives here with the id of the call it belongs to, and is served from that
 * call's scope only. A call that has finished (or a forged id) has no scope, so
 * a plugin cannot keep using a capability after its call returned.
 */
export class HostOps {
  private readonly calls = new Map<string, CallState>();
  private nextCall = 0;
  private nextHandle = 0;
  /** Host operations started by the isolate and not yet answered. */
  inFlight = 0;
  /** Of those, the ones that count against `maxConcurrentOperations` (all but `sleep`). */
  private active = 0;
  /** Log lines written outside any call in the current window. */
  private backgroundLog = { lines: 0, since: 0 };
  /** Why a finished call's work is aborted: one error for all, as building one per call is costly. */
  private readonly callEnded: PluginError;

  constructor(
    private readonly plugin: string,
    private readonly onLog: HostCapabilities['log'] | undefined,
    /** Called as each answer goes back into the isolate; `background` when no call owns it. */
    private readonly onDelivery: (background: boolean) => void,
    private readonly limits: BridgeLimits,
  ) {
    this.callEnded = new PluginError('plugin_cancelled', `plugin ${plugin}: the call ended`);
  }

  get openCalls(): number {
    return this.calls.size;
  }

  open(scope: CallScope): string {
    const id = `c${++this.nextCall}`;
    const controller = new AbortController();
    const abort = () => controller.abort(scope.signal?.reason);
    scope.signal?.addEventListener('abort', abort, { once: true });
    this.calls.set(id, { scope, controller, bodies: new Map(), requests: new Map(), streams: new Map(), unlink: () => scope.signal?.removeEventListener('abort', abort), cpuNs: 0n, touched: false, logLines: 0 });
    return id;
  }

  /** Ends a call: its open response bodies and model streams are closed, its capabilities revoked. */
  close(id: string, reason?: Error): void {
    const state = this.calls.get(id);
    if (!state) return;
    this.calls.delete(id);
    state.unlink();
    state.controller.abort(reason ?? this.callEnded);
    for (const body of state.bodies.values()) void body.iterator.return?.().catch(() => undefined);
    for (const stream of state.streams.values()) void stream.return?.().catch(() => undefined);
  }

  failAll(error: Error, except?: string): void {
    for (const id of [...this.calls.keys()]) if (id !== except) this.close(id, error);
  }

  touched(id: string): boolean {
    return this.calls.get(id)?.touched ?? false;
  }

  /** Shares `deltaNs` of isolate CPU time among the open calls; true when one went over `limitNs`. */
  chargeCpu(deltaNs: bigint, limitNs: bigint): boolean {
    if (this.calls.size === 0) return false;
    const share = deltaNs / BigInt(this.calls.size);
    let over = false;
    for (const state of this.calls.values()) {
      state.cpuNs += share;
      if (state.cpuNs > limitNs) over = true;
    }
    return over;
  }

  /**
   * A log line from the plugin. Sizes are checked before anything is parsed (the
   * prelude cuts them too, but it runs beside the plugin's code); each call may
   * write `maxLogLinesPerCall` lines, lines outside a call that many per minute.
   */
  log(callId: string, level: string, message: string, fieldsJson: string): void {
    const { maxLogMessageChars, maxLogFieldsChars, maxLogLinesPerCall } = this.limits;
    const state = this.calls.get(callId);
    const sink = state?.scope.capabilities.log ?? this.onLog;
    if (!sink) return;
    if (!state && Date.now() - this.backgroundLog.since > BACKGROUND_LOG_WINDOW_MS) this.backgroundLog = { lines: 0, since: Date.now() };
    const lines = state ? ++state.logLines : ++this.backgroundLog.lines;
    if (lines > maxLogLinesPerCall) {
      if (lines === maxLogLinesPerCall + 1) sink('warn', `log limit reached: ${maxLogLinesPerCall} lines ${state ? 'in this call' : 'a minute outside calls'}; further lines are dropped`, undefined);
      return;
    }
    const lvl: LogLevel = LEVELS.has(level as LogLevel) ? (level as LogLevel) : 'info';
    let fields: Record<string, JsonValue | undefined> | undefined;
    if (typeof fieldsJson === 'string' && fieldsJson.length > maxLogFieldsChars) fields = droppedLogFields(fieldsJson.length, maxLogFieldsChars);
    else {
      try {
        const parsed = JSON.parse(String(fieldsJson)) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Record<string, JsonValue>;
      } catch {
        fields = undefined;
      }
    }
    sink(lvl, truncateLogMessage(typeof message === 'string' ? message : String(message), maxLogMessageChars), fields);
  }

  /** Refuses an operation whose argument is over its size limit, before it is parsed, or one past the concurrency cap. */
  private admit(op: string, json: string, bytes: Uint8Array | undefined): void {
    const { maxOperationBytes, maxKvValueBytes, maxConcurrentOperations } = this.limits;
    if (typeof json !== 'string' || (bytes !== undefined && !(bytes instanceof Uint8Array))) throw new PluginError('plugin_invalid_arguments', `plugin ${this.plugin}: "${op}" was called with a malformed argument`);
    const size = json.length + (bytes instanceof Uint8Array ? bytes.byteLength : 0);
    if (size > maxOperationBytes) throw new PluginError('plugin_payload_too_large', `plugin ${this.plugin}: the argument of "${op}" is ${size} bytes, over the limit of ${maxOperationBytes}`);
    if (op === 'kv.set' && json.length > maxKvValueBytes + KV_SET_ENVELOPE_CHARS) throw kvValueTooLarge(this.plugin, maxKvValueBytes);
    if (!UNCOUNTED.has(op) && this.active > maxConcurrentOperations) throw new PluginError('plugin_quota_exceeded', `plugin ${this.plugin}: more than ${maxConcurrentOperations} host operations at once`);
  }

  async handle(callId: string, op: string, json: string, bytes: Uint8Array | undefined): Promise<string | Uint8Array> {
    this.inFlight++;
    const counted = !UNCOUNTED.has(op);
    if (counted) this.active++;
    const state = this.calls.get(callId);
    try {
      this.admit(op, json, bytes);
      if (op === 'sleep') return await sleep(json, state?.controller.signal);
      if (!state) throw new PluginError('plugin_permission_denied', `plugin ${this.plugin}: capability "${op}" used outside of a call (after it returned?)`);
      state.touched = true;
      const result = await this.run(state, op, JSON.parse(json) as Record<string, unknown>, bytes);
      return result instanceof Uint8Array ? result : JSON.stringify(result ?? null);
    } catch (error) {
      return JSON.stringify({ __error: toBridgeError(error) });
    } finally {
      this.inFlight--;
      if (counted) this.active--;
      this.onDelivery(!state || !this.calls.has(callId));
    }
  }

  private async run(state: CallState, op: string, args: Record<string, unknown>, bytes: Uint8Array | undefined): Promise<unknown> {
    const caps = state.scope.capabilities;
    const signal = state.controller.signal;
    switch (op) {
      case 'fetch': {
        const requestId = Number(args.requestId);
        const own = new AbortController();
        state.requests.set(requestId, own);
        const response = await caps.fetch({
          url: String(args.url),
          method: String(args.method ?? 'GET').toUpperCase(),
          headers: Array.isArray(args.headers) ? (args.headers as unknown[]).map((h) => [String((h as unknown[])[0]), String((h as unknown[])[1])] as [string, string]) : [],
          body: bytes ?? null,
          redirect: args.redirect === 'error' || args.redirect === 'manual' ? args.redirect : 'follow',
          signal: linkSignals(signal, own.signal),
        });
        let bodyId: number | null = null;
        let ended = false;
        const arrived: Uint8Array[] = [];
        let size = 0;
        if (response.body) {
          const iterator = response.body[Symbol.asyncIterator]();
          let pending = iterator.next();
          // One loop turn for the lot, not one per chunk: a fast stream must not hold back its first chunk.
          const later = afterThisTurn();
          // What has already arrived rides along with the headers — often the whole body, when
          // the answer is short: then the plugin reads it without crossing the bridge again.
          while (size < PREFETCH_BYTES) {
            let step: IteratorResult<Uint8Array> | typeof LATER;
            try {
              step = await Promise.race([pending, later]);
            } catch (error) {
              // A body that fails at once fails the fetch, as before; a later failure is the read's.
              if (arrived.length === 0) throw error;
              break;
            }
            if (step === LATER) break;
            if (step.done) {
              ended = true;
              break;
            }
            arrived.push(step.value);
            size += step.value.byteLength;
            pending = iterator.next();
          }
          if (!ended) {
            // A read still in flight belongs to the body: the next `fetch.read` takes its chunk first.
            bodyId = ++this.nextHandle;
            state.bodies.set(bodyId, { iterator, pending });
          }
        }
        const meta = JSON.stringify({ status: response.status, statusText: response.statusText, url: response.url, redirected: response.redirected, headers: response.headers, bodyId, ended });
        if (size === 0) return JSON.parse(meta) as unknown;
        return packWithBytes(meta, arrived.length === 1 ? arrived[0]! : Buffer.concat(arrived));
      }
      case 'fetch.abort': {
        state.requests.get(Number(args.requestId))?.abort(new PluginError('plugin_cancelled', 'the plugin aborted the request'));
        state.requests.delete(Number(args.requestId));
        return null;
      }
      case 'fetch.read': {
        const body = state.bodies.get(Number(args.bodyId));
        if (!body) return null;
        const read = body.pending ?? body.iterator.next();
        body.pending = undefined;
        const step = await read;
        if (step.done) {
          state.bodies.delete(Number(args.bodyId));
          return null;
        }
        return step.value;
      }
      case 'fetch.cancel': {
        const body = state.bodies.get(Number(args.bodyId));
        state.bodies.delete(Number(args.bodyId));
        await body?.iterator.return?.();
        return null;
      }
      case 'kv.get': {
        const value = await caps.kv.get(String(args.key));
        return value === undefined ? { found: false } : { found: true, value };
      }
      case 'kv.set':
        if ((JSON.stringify(args.value ?? null) ?? '').length > this.limits.maxKvValueBytes) throw kvValueTooLarge(this.plugin, this.limits.maxKvValueBytes);
        await caps.kv.set(String(args.key), (args.value ?? null) as JsonValue, typeof args.ttlSeconds === 'number' ? args.ttlSeconds : undefined);
        return null;
      case 'kv.delete':
        return caps.kv.delete(String(args.key));
      case 'kv.list':
        return caps.kv.list(args);
      case 'kv.quota':
        return caps.kv.quota();
      case 'secrets.get': {
        const value = await caps.secrets.get(String(args.name));
        return value === undefined ? { found: false } : { found: true, value };
      }
      case 'secrets.getAll':
        return caps.secrets.getAll();
      case 'models.chat': {
        const streamId = ++this.nextHandle;
        state.streams.set(streamId, caps.models.chat(args as never, signal)[Symbol.asyncIterator]());
        return { streamId };
      }
      case 'models.next': {
        const stream = state.streams.get(Number(args.streamId));
        if (!stream) return { done: true };
        const step = await stream.next();
        if (step.done) state.streams.delete(Number(args.streamId));
        return step.done ? { done: true } : { done: false, value: step.value };
      }
      case 'models.return': {
        const stream = state.streams.get(Number(args.streamId));
        state.streams.delete(Number(args.streamId));
        await stream?.return?.();
        return null;
      }
      case 'models.embed':
        return caps.models.embed(args as never, signal);
      case 'models.rerank':
        return caps.models.rerank(args as never, signal);
      default:
        throw new PluginError('plugin_not_supported', `unknown capability "${op}"`);
    }
  }
}

function kvValueTooLarge(plugin: string, max: number): PluginError {
  return new PluginError('plugin_payload_too_large', `plugin ${plugin}: a kv value may be at most ${max} bytes of JSON`);
}

/** `[u32 length][JSON][bytes]`: an answer that carries both (the isolate side unpacks it). */
function packWithBytes(json: string, bytes: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(4 + head.length + bytes.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(bytes, 4 + head.length);
  return out;
}

async function sleep(json: string, signal: AbortSignal | undefined): Promise<string> {
  const ms = Math.max(0, Math.min(Number((JSON.parse(json) as { ms?: unknown }).ms) || 0, 600_000));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  return 'null';
}

/** Errors cross into the isolate as `{code, message}`; codes outside the plugin set become permission or upstream errors. */
function toBridgeError(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const message = String(e?.message ?? error);
  if (isPluginErrorCode(e?.code)) return { code: e.code, message };
  if (typeof e?.code === 'string' && /^plugin_(host_not_allowed|address_blocked)$/.test(e.code)) return { code: 'plugin_permission_denied', message };
  if (typeof e?.code === 'string' && e.code.startsWith('plugin_')) return { code: 'plugin_invalid_arguments', message };
  if (e?.name === 'AbortError') return { code: 'plugin_cancelled', message };
  // A host service's coded HTTP-style error (the kernel's): keep its meaning.
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number') {
    const byStatus: Record<number, string> = { 400: 'plugin_invalid_arguments', 401: 'plugin_credentials_invalid', 403: 'plugin_permission_denied', 404: 'plugin_not_found', 409: 'plugin_invalid_arguments', 429: 'plugin_rate_limited' };
    return { code: byStatus[status] ?? (status >= 500 ? 'plugin_internal_error' : 'plugin_invalid_arguments'), message };
  }
  return { code: 'plugin_upstream_error', message };
}
