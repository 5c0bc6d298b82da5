import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { HostCapabilities } from './capabilities.js';
import type { IsolateRuntimeOptions } from './isolate-runtime.js';
import { fromWire, Outbox, readBatch, toWire, type Batch, type BatchSource, type FromHost, type OpenOptions, type RunKind, type ToHost } from './process-protocol.js';
import type { CallScope, CallTarget, PluginDescription, PluginRuntime, RuntimeStats } from './plugin-runtime.js';
import { DEFAULT_CALL_TIMEOUT_MS } from './runtime-base.js';
import { linkSignals } from './signals.js';

// Under tsx (tests) the host is the TypeScript source; built, it is the compiled file next to this one.
const TS = import.meta.url.endsWith('.ts');
const CHILD = fileURLToPath(new URL(TS ? './process-host-child.ts' : './process-host-child.js', import.meta.url));

export interface PluginHostProcessOptions {
  /** Heap cap of the host process's own V8 heap (`--max-old-space-size`), MB; default 512. Each isolate has its own cap besides. */
  readonly maxOldSpaceMb?: number;
  /** Told each time the host process ends other than by {@link PluginHostProcess.close} (it is started again at once). */
  readonly onExit?: (info: { pid: number | undefined; code: number | null; signal: NodeJS.Signals | null; failedCalls: number }) => void;
}

interface Waiter {
  readonly runtime: ProcessIsolateRuntime;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** What the API process keeps for a call while it runs in the host process: its capabilities, and what the plugin opened through them. */
interface Scope {
  readonly capabilities: HostCapabilities;
  readonly signal: AbortSignal | undefined;
  /** Created on the first capability request (most calls make none). */
  open?: {
    readonly controller: AbortController;
    readonly handles: Map<number, BatchSource<unknown>>;
    readonly requests: Set<number>;
  };
}

/**
 * The plugin-host process: one child process (forked on first use, with the
 * advanced serialisation) that holds the isolates of every
 * {@link ProcessIsolateRuntime} using it. V8 cannot unwind from every
 * out-of-memory condition, so a hostile plugin may abort the process hosting
 * its isolate: here that is this child, not the API process. When it dies,
 * every call in flight in it fails with `plugin_crashed` naming its plugin,
 * and a new one is started; runtimes load their plugin again on their next
 * call. Capability requests from the child are served here, from the scope of
 * the call they belong to, so grants, secrets and the database stay in the API
 * process.
 */
export class PluginHostProcess {
  private child: ChildProcess | undefined;
  private outbox: Outbox<ToHost> | undefined;
  private ready = false;
  private queue: ToHost[] = [];
  /** Bumped each time a new child is started: a runtime opened in an older one opens again. */
  generation = 0;
  private nextId = 0;
  private nextHandle = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly scopes = new Map<number, Scope>();
  /** Capability requests the child may abort (a fetch, a model call), by request id. */
  private readonly aborts = new Map<number, AbortController>();
  private readonly runtimes = new Map<number, ProcessIsolateRuntime>();
  private closed = false;
  private restarts = 0;

  constructor(private readonly options: PluginHostProcessOptions = {}) {}

  /** The child's pid, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Host processes started after the first one died. */
  get restartCount(): number {
    return this.restarts;
  }

  /** Starts the child now (it is otherwise started on first use); resolves once it takes requests. */
  async start(): Promise<void> {
    if (this.closed) throw new Error('the plugin-host process was closed');
    this.spawn();
    if (this.ready) return;
    const child = this.child!;
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromHost) => {
        if (message.k !== 'ready') return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve();
      };
      const onExit = () => {
        child.off('message', onMessage);
        reject(new Error('the plugin-host process ended while starting'));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  /** Stops the child and fails what is in flight; runtimes using this host fail from now on. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    this.fail((runtime) => new PluginError('plugin_cancelled', `plugin ${runtime.name}: the plugin host was stopped`, { details: { plugin: runtime.name } }));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  /** @internal */
  register(runtime: ProcessIsolateRuntime): number {
    const rid = ++this.nextId;
    this.runtimes.set(rid, runtime);
    return rid;
  }

  /** @internal */
  forget(rid: number): void {
    this.runtimes.delete(rid);
  }

  /** @internal A call's capabilities are served while it runs (until `endScope`). */
  beginScope(id: number, scope: CallScope): void {
    this.scopes.set(id, { capabilities: scope.capabilities, signal: scope.signal });
  }

  /** @internal */
  endScope(id: number, reason?: Error): void {
    const scope = this.scopes.get(id);
    if (!scope) return;
    this.scopes.delete(id);
    if (!scope.open) return;
    scope.open.controller.abort(reason ?? new PluginError('plugin_cancelled', 'the call ended'));
    for (const request of scope.open.requests) this.aborts.delete(request);
    for (const handle of scope.open.handles.values()) void handle.iterator.return?.().catch(() => undefined);
  }

  /** @internal */
  newId(): number {
    return ++this.nextId;
  }

  /**
   * Sends `message` (a run or a stream's next) for `runtime` and resolves with the child's answer to `id`;
   * a fired `signal` rejects at once (plugin_cancelled, or its reason when that is a plugin_timeout) and aborts it in the child.
   */
  /** @internal */
  request(runtime: ProcessIsolateRuntime, id: number, message: ToHost, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new PluginError('plugin_cancelled', `plugin ${runtime.name}: the plugin host was stopped`, { details: { plugin: runtime.name } }));
    return new Promise<unknown>((resolve, reject) => {
      this.open(runtime);
      let onAbort: (() => void) | undefined;
      if (signal) {
        onAbort = () => {
          if (!this.waiting.delete(id)) return;
          this.refresh();
          this.post({ k: 'abort', id });
          const reason: unknown = signal.reason;
          reject(reason instanceof PluginError && reason.code === 'plugin_timeout' ? reason : new PluginError('plugin_cancelled', `plugin ${runtime.name}: the call was cancelled`, { details: { plugin: runtime.name } }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.waiting.set(id, {
        runtime,
        resolve: (value) => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.refresh();
      this.post(message);
    });
  }

  /** Opens `runtime` in the current child if it is not open there yet (messages keep their order, so no wait). */
  private open(runtime: ProcessIsolateRuntime): void {
    this.spawn();
    if (runtime.openedIn === this.generation) return;
    runtime.openedIn = this.generation;
    this.post({ k: 'open', rid: runtime.rid, options: runtime.openOptions });
  }

  private post(message: ToHost): void {
    if (!this.child) return;
    if (!this.ready) this.queue.push(message);
    else this.outbox!.push(message);
  }

  /** The IPC channel keeps the API process alive only while it waits for the child. */
  private refresh(): void {
    const channel = this.child?.channel as { ref?(): void; unref?(): void } | null | undefined;
    if (this.waiting.size > 0) channel?.ref?.();
    else channel?.unref?.();
  }

  private spawn(): void {
    if (this.child || this.closed) return;
    this.generation++;
    const execArgv = ['--no-node-snapshot', `--max-old-space-size=${this.options.maxOldSpaceMb ?? 512}`];
    if (TS) execArgv.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
    const child = fork(CHILD, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: childEnv() });
    this.child = child;
    this.outbox = new Outbox<ToHost>((message) => {
      if (this.child === child && child.connected) child.send(message);
    });
    this.ready = false;
    child.unref();
    child.on('message', (message: FromHost | FromHost[]) => {
      if (Array.isArray(message)) for (const m of message) this.receive(child, m);
      else this.receive(child, message);
    });
    child.on('error', () => {
      // A failed send or spawn: the child is of no use any more.
      if (this.child === child) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    this.refresh();
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    const started = this.ready;
    this.child = undefined;
    this.ready = false;
    this.queue = [];
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const failed = this.fail((runtime) => new PluginError('plugin_crashed', `plugin ${runtime.name}: the plugin-host process died during the call (${how}); it is restarted for the next call`, { details: { plugin: runtime.name } }));
    this.options.onExit?.({ pid: child.pid, code, signal, failedCalls: failed });
    if (this.closed) return;
    this.restarts++;
    // Started again at once, so the next call does not wait for it; no plugin is loaded until it is called.
    // One that died before it was ready is started by the next call only (no restart loop).
    if (started && this.runtimes.size > 0) this.spawn();
  }

  /** Fails every request in flight in `child`; returns how many. */
  private fail(error: (runtime: ProcessIsolateRuntime) => PluginError): number {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    const hit = new Set<ProcessIsolateRuntime>();
    for (const waiter of waiters) {
      hit.add(waiter.runtime);
      waiter.reject(error(waiter.runtime));
    }
    for (const id of [...this.scopes.keys()]) this.endScope(id, new PluginError('plugin_cancelled', 'the plugin-host process ended'));
    for (const runtime of this.runtimes.values()) runtime.lostChild(hit.has(runtime));
    return waiters.length;
  }

  private receive(child: ChildProcess, message: FromHost): void {
    if (this.child !== child) return;
    switch (message.k) {
      case 'ready': {
        this.ready = true;
        const queued = this.queue;
        this.queue = [];
        for (const m of queued) this.outbox!.push(m);
        return;
      }
      case 'res': {
        const waiter = this.waiting.get(message.id);
        if (!waiter) return;
        this.waiting.delete(message.id);
        this.refresh();
        if (message.stats) waiter.runtime.childStats = { generation: message.stats[0], faults: message.stats[1], fastCalls: message.stats[2], slowCalls: message.stats[3] };
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(fromWire(message.error));
        return;
      }
      case 'cap':
        void this.serve(child, message);
        return;
      case 'capabort':
        this.aborts.get(message.id)?.abort(new PluginError('plugin_cancelled', 'the plugin aborted the request'));
        this.aborts.delete(message.id);
        return;
      case 'log': {
        // A call's line that comes after the call ended here (it was cancelled) goes to the plugin-wide log, as inline.
        const sink = (message.scope !== undefined ? this.scopes.get(message.scope)?.capabilities.log : undefined) ?? (message.rid !== undefined ? this.runtimes.get(message.rid)?.onLog : undefined);
        sink?.(message.level, message.message, message.fields as Parameters<HostCapabilities['log']>[2]);
        return;
      }
    }
  }

  /** Serves one capability request of a call from its scope; every request is answered, with an error if its call has ended. */
  private async serve(child: ChildProcess, message: Extract<FromHost, { k: 'cap' }>): Promise<void> {
    let reply: ToHost;
    try {
      const value = await this.capability(message);
      reply = { k: 'capres', id: message.id, ok: true, value };
    } catch (error) {
      reply = { k: 'capres', id: message.id, ok: false, error: toWire(error) };
    }
    if (this.child === child) this.outbox!.push(reply);
  }

  private async capability(message: Extract<FromHost, { k: 'cap' }>): Promise<unknown> {
    const scope = this.scopes.get(message.scope);
    if (!scope) throw new PluginError('plugin_cancelled', 'the call ended');
    const caps = scope.capabilities;
    const args = (message.args ?? {}) as Record<string, unknown>;
    switch (message.op) {
      case 'kv.get':
        return caps.kv.get(String(args.key));
      case 'kv.set':
        return caps.kv.set(String(args.key), args.value as JsonValue, typeof args.ttlSeconds === 'number' ? args.ttlSeconds : undefined);
      case 'kv.delete':
        return caps.kv.delete(String(args.key));
      case 'kv.list':
        return caps.kv.list(args);
      case 'kv.quota':
        return caps.kv.quota();
      case 'secrets.get':
        return caps.secrets.get(String(args.name));
      case 'secrets.getAll':
        return caps.secrets.getAll();
      case 'iter.next': {
        const handles = scope.open?.handles;
        const source = handles?.get(Number(args.handle));
        if (!source) return { values: [], done: true } satisfies Batch<unknown>;
        try {
          const batch = await readBatch(source);
          if (batch.done) handles!.delete(Number(args.handle));
          return batch;
        } catch (error) {
          handles!.delete(Number(args.handle));
          throw error;
        }
      }
      case 'iter.return': {
        const source = scope.open?.handles.get(Number(args.handle));
        scope.open?.handles.delete(Number(args.handle));
        await source?.iterator.return?.();
        return null;
      }
      default:
        break;
    }
    // The rest can be aborted by the plugin (its own AbortSignal), and end with the call.
    const open = (scope.open ??= { controller: new AbortController(), handles: new Map(), requests: new Set() });
    // The caller's abort ends the call, and with it the scope (`endScope`): no link to its signal is needed here.
    const own = new AbortController();
    this.aborts.set(message.id, own);
    open.requests.add(message.id);
    const signal = linkSignals(open.controller.signal, own.signal);
    const keep = (iterable: AsyncIterable<unknown>) => {
      const handle = ++this.nextHandle;
      const source: BatchSource<unknown> = { iterator: iterable[Symbol.asyncIterator](), pending: undefined };
      open.handles.set(handle, source);
      return { handle, source };
    };
    switch (message.op) {
      case 'fetch': {
        const request = args as unknown as { url: string; method: string; headers: [string, string][]; body: Uint8Array | null; redirect: 'follow' | 'error' | 'manual' };
        const response = await caps.fetch({ url: request.url, method: request.method, headers: request.headers, body: request.body, redirect: request.redirect, signal });
        let body: (Batch<unknown> & { handle: number }) | null = null;
        if (response.body) {
          const { handle, source } = keep(response.body);
          // What has already arrived rides along with the headers (often the whole body); the headers do not wait for more.
          const first = await readBatch(source, false);
          if (first.done) open.handles.delete(handle);
          body = { handle, ...first };
        }
        return { status: response.status, statusText: response.statusText, url: response.url, redirected: response.redirected, headers: response.headers, body };
      }
      case 'models.chat': {
        const { handle, source } = keep(caps.models.chat(args as never, signal));
        const first = await readBatch(source);
        if (first.done) open.handles.delete(handle);
        return { handle, ...first };
      }
      case 'models.embed':
      case 'models.rerank':
        try {
          return await (message.op === 'models.embed' ? caps.models.embed(args as never, signal) : caps.models.rerank(args as never, signal));
        } finally {
          this.aborts.delete(message.id);
          open.requests.delete(message.id);
        }
      default:
        throw new PluginError('plugin_not_supported', `unknown capability "${String(message.op)}"`);
    }
  }
}

/** The host process gets none of the kernel's settings (SECRET_KEY, DATABASE_URL, …): only what Node itself uses. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'TZ', 'LANG', 'NODE_ENV', 'TMPDIR']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

let shared: PluginHostProcess | undefined;

/** The host process shared by runtimes created without one (started on first use). */
export function sharedPluginHostProcess(): PluginHostProcess {
  shared ??= new PluginHostProcess();
  return shared;
}

export interface ProcessIsolateRuntimeOptions extends IsolateRuntimeOptions {
  /** The host process to run in (default: {@link sharedPluginHostProcess}). */
  readonly host?: PluginHostProcess;
}

const ZERO_STATS: RuntimeStats = { generation: 0, faults: 0, fastCalls: 0, slowCalls: 0 };

/**
 * An isolate runtime whose isolate lives in the plugin-host process: the same
 * plugin, limits and results as {@link IsolateRuntime}, one IPC round trip
 * away, and a plugin that brings its process down fails only the calls in that
 * process (`plugin_crashed`) instead of the API process.
 */
export class ProcessIsolateRuntime implements PluginRuntime {
  /** @internal */ readonly rid: number;
  /** @internal */ readonly name: string;
  /** @internal */ readonly openOptions: OpenOptions;
  /** @internal */ readonly onLog: HostCapabilities['log'] | undefined;
  /** @internal The host generation the runtime was opened in. */
  openedIn = -1;
  /** @internal The child's stats of this runtime, as of its latest answer. */
  childStats: RuntimeStats = ZERO_STATS;
  /** Stats of runtimes in host processes that have died, and their crashes. */
  private past: RuntimeStats = ZERO_STATS;
  private readonly host: PluginHostProcess;
  private readonly callTimeoutMs: number;
  private disposed = false;

  constructor(options: ProcessIsolateRuntimeOptions) {
    const { host, onLog, ...rest } = options;
    this.host = host ?? sharedPluginHostProcess();
    this.name = options.name;
    this.onLog = onLog;
    this.openOptions = rest;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.rid = this.host.register(this);
  }

  get runtimeStats(): RuntimeStats {
    const now = this.childStats;
    return { generation: this.past.generation + now.generation, faults: this.past.faults + now.faults, fastCalls: this.past.fastCalls + now.fastCalls, slowCalls: this.past.slowCalls + now.slowCalls };
  }

  /** @internal The host process died; `hadCalls` when calls of this runtime were in it. */
  lostChild(hadCalls: boolean): void {
    const now = this.childStats;
    this.past = { generation: this.past.generation + now.generation, faults: this.past.faults + now.faults + (hadCalls ? 1 : 0), fastCalls: this.past.fastCalls + now.fastCalls, slowCalls: this.past.slowCalls + now.slowCalls };
    this.childStats = ZERO_STATS;
  }

  async activate(): Promise<void> {
    await this.run('activate');
  }

  async describe(): Promise<PluginDescription> {
    return (await this.run('describe')) as PluginDescription;
  }

  async call(target: CallTarget, args: readonly JsonValue[], scope: CallScope): Promise<JsonValue> {
    if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
    this.checkOpen();
    const id = this.host.newId();
    this.host.beginScope(id, scope);
    try {
      return (await this.host.request(this, id, { k: 'run', id, rid: this.rid, kind: 'call', target, args, workspaceId: scope.workspaceId, abortable: scope.signal !== undefined }, scope.signal)) as JsonValue;
    } finally {
      this.host.endScope(id);
    }
  }

  async *stream(target: CallTarget, args: readonly JsonValue[], scope: CallScope): AsyncGenerator<JsonValue, void, undefined> {
    if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
    this.checkOpen();
    const id = this.host.newId();
    this.host.beginScope(id, scope);
    let ended = false;
    try {
      let batch = (await this.host.request(this, id, { k: 'run', id, rid: this.rid, kind: 'stream', target, args, workspaceId: scope.workspaceId }, scope.signal)) as Batch<JsonValue>;
      for (;;) {
        for (const value of batch.values) yield value;
        if (batch.done) {
          ended = true;
          return;
        }
        if (scope.signal?.aborted) throw this.error('plugin_cancelled', 'the call was cancelled');
        batch = (await this.host.request(this, id, { k: 'next', id }, scope.signal)) as Batch<JsonValue>;
      }
    } finally {
      // The consumer goes on at once; the scope stays until the plugin's stream is closed in the host
      // process (what its `finally` does is still the call's). When the stream already ended there (a
      // failure, an abort), the return finds nothing to close and is answered at once.
      if (ended) this.host.endScope(id);
      else {
        const reply = this.host.newId();
        void this.host.request(this, reply, { k: 'return', id, reply }).catch(() => undefined).finally(() => this.host.endScope(id));
      }
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.openedIn === this.host.generation) await this.run('dispose', AbortSignal.timeout(this.callTimeoutMs), true).catch(() => undefined);
    this.host.forget(this.rid);
  }

  private run(kind: RunKind, signal?: AbortSignal, disposing = false): Promise<unknown> {
    if (!disposing) this.checkOpen();
    const id = this.host.newId();
    return this.host.request(this, id, { k: 'run', id, rid: this.rid, kind }, signal);
  }

  private checkOpen(): void {
    if (this.disposed) throw this.error('plugin_cancelled', 'the plugin was unloaded');
  }

  private error(code: 'plugin_cancelled', message: string): PluginError {
    return new PluginError(code, `plugin ${this.name}: ${message}`, { details: { plugin: this.name } });
  }
}
