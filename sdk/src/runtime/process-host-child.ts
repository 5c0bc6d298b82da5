/**
 * The plugin-host process: forked by {@link PluginHostProcess} (process-runtime.ts),
 * it holds the API process's isolate runtimes, keyed by runtime id, and runs
 * them exactly as the API process would (IsolateRuntime with its CPU, memory,
 * wall-clock and bridge limits). Each call gets a {@link HostCapabilities} that
 * asks the API process over the IPC channel, so grants, secrets and the
 * database stay there. If a plugin brings this process down, only the calls in
 * it fail (`plugin_crashed`) and the API process starts a new one.
 */
import type { ChatChunk } from '../chat.js';
import { PluginError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { HostCapabilities, HostFetchRequest, HostFetchResponse } from './capabilities.js';
import { IsolateRuntime } from './isolate-runtime.js';
import { fromWire, Outbox, readBatch, toWire, type Batch, type BatchSource, type CapOp, type FromHost, type StatsTuple, type ToHost } from './process-protocol.js';
import type { PluginRuntime } from './plugin-runtime.js';

if (typeof process.send !== 'function') throw new Error('process-host-child must be forked with an IPC channel');

const runtimes = new Map<number, PluginRuntime>();
/** Calls and streams running, by the id of their `run`: their abort controller, and a stream's reader. */
interface Running {
  readonly controller: AbortController | undefined;
  stream?: BatchSource<JsonValue>;
}
const running = new Map<number, Running>();
/** Capability requests waiting for the API process's answer. */
const asked = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextCap = 0;

const outbox = new Outbox<FromHost>((message) => process.send!(message));
function post(message: FromHost): void {
  outbox.push(message);
}

function answer(id: number, work: Promise<unknown>, rid?: number): void {
  work.then(
    (value) => post({ k: 'res', id, ok: true, value, stats: statsOf(rid) }),
    (error: unknown) => post({ k: 'res', id, ok: false, error: toWire(error), stats: statsOf(rid) }),
  );
}

function statsOf(rid: number | undefined): StatsTuple | undefined {
  const runtime = rid === undefined ? undefined : runtimes.get(rid);
  if (!runtime) return undefined;
  const s = runtime.runtimeStats;
  return [s.generation, s.faults, s.fastCalls, s.slowCalls];
}

/** Sends a capability request; `signal` (a fetch's, a model call's) aborts it on the other side. */
function ask<T>(scope: number, op: CapOp, args: unknown, signal?: AbortSignal): { id: number; answer: Promise<T> } {
  const id = ++nextCap;
  const result = new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new PluginError('plugin_cancelled', 'the request was aborted'));
    asked.set(id, { resolve: resolve as (value: unknown) => void, reject });
    post({ k: 'cap', id, scope, op, args });
  });
  return { id, answer: result };
}

/** Forwards `signal`'s abort to capability request `id` until `release` is called. */
function forwardAbort(id: number, signal: AbortSignal): () => void {
  const abort = () => post({ k: 'capabort', id });
  signal.addEventListener('abort', abort, { once: true });
  return () => signal.removeEventListener('abort', abort);
}

/** An async iterable whose items are read from handle `handle` in the API process, in batches. */
async function* remoteIterable<T>(scope: number, handle: number, first: Batch<T>, release: () => void): AsyncGenerator<T, void, undefined> {
  let batch = first;
  let finished = first.done;
  try {
    for (;;) {
      for (const value of batch.values) yield value;
      if (batch.done) {
        finished = true;
        return;
      }
      batch = await ask<Batch<T>>(scope, 'iter.next', { handle }).answer;
    }
  } finally {
    release();
    if (!finished) await ask(scope, 'iter.return', { handle }).answer.catch(() => undefined);
  }
}

/** The capabilities of one call: every operation is served by the API process from the call's scope there. */
function capabilities(scope: number, rid: number): HostCapabilities {
  const call = <T>(op: CapOp, args: unknown) => ask<T>(scope, op, args).answer;
  return {
    async fetch(request: HostFetchRequest): Promise<HostFetchResponse> {
      const { signal, ...rest } = request;
      const { id, answer: response } = ask<Omit<HostFetchResponse, 'body'> & { body: (Batch<Uint8Array> & { handle: number }) | null }>(scope, 'fetch', rest, signal);
      const release = forwardAbort(id, signal);
      let meta;
      try {
        meta = await response;
      } catch (error) {
        release();
        throw error;
      }
      if (!meta.body) release();
      return { ...meta, body: meta.body ? remoteIterable(scope, meta.body.handle, meta.body, release) : null };
    },
    kv: {
      get: (key) => call('kv.get', { key }),
      set: (key, value, ttlSeconds) => call('kv.set', { key, value, ttlSeconds }),
      delete: (key) => call('kv.delete', { key }),
      list: (options) => call('kv.list', options),
      quota: () => call('kv.quota', {}),
    },
    secrets: {
      get: (name) => call('secrets.get', { name }),
      getAll: () => call('secrets.getAll', {}),
    },
    models: {
      chat(request, signal): AsyncIterable<ChatChunk> {
        return {
          async *[Symbol.asyncIterator]() {
            const { id, answer: opened } = ask<Batch<ChatChunk> & { handle: number }>(scope, 'models.chat', request, signal);
            const release = forwardAbort(id, signal);
            let first;
            try {
              first = await opened;
            } catch (error) {
              release();
              throw error;
            }
            yield* remoteIterable(scope, first.handle, first, release);
          },
        };
      },
      async embed(request, signal) {
        const { id, answer: result } = ask<Awaited<ReturnType<HostCapabilities['models']['embed']>>>(scope, 'models.embed', request, signal);
        const release = forwardAbort(id, signal);
        return result.finally(release);
      },
      async rerank(request, signal) {
        const { id, answer: result } = ask<Awaited<ReturnType<HostCapabilities['models']['rerank']>>>(scope, 'models.rerank', request, signal);
        const release = forwardAbort(id, signal);
        return result.finally(release);
      },
    },
    log(level, message, fields) {
      post({ k: 'log', scope, rid, level, message, fields });
    },
  };
}

async function run(message: Extract<ToHost, { k: 'run' }>): Promise<unknown> {
  const runtime = runtimes.get(message.rid);
  if (!runtime) throw new PluginError('plugin_internal_error', `plugin-host process: no runtime ${message.rid}`);
  switch (message.kind) {
    case 'activate':
      return runtime.activate();
    case 'describe':
      return runtime.describe();
    case 'dispose':
      runtimes.delete(message.rid);
      return runtime.dispose();
    case 'call':
    case 'stream': {
      // A call whose caller has no signal cannot be aborted: it gets no controller (they cost a few µs).
      const controller = message.kind === 'stream' || message.abortable ? new AbortController() : undefined;
      const entry: Running = { controller };
      if (controller) running.set(message.id, entry);
      const scope = { workspaceId: message.workspaceId ?? '', capabilities: capabilities(message.id, message.rid), ...(controller ? { signal: controller.signal } : {}) };
      if (message.kind === 'call') {
        try {
          return await runtime.call(message.target!, message.args ?? [], scope);
        } finally {
          if (controller) running.delete(message.id);
        }
      }
      // A stream's first batch comes with the answer; it stays open (`running`) until read to its end or returned.
      entry.stream = { iterator: runtime.stream(message.target!, message.args ?? [], scope), pending: undefined };
      try {
        const batch = await readBatch(entry.stream);
        if (batch.done) running.delete(message.id);
        return batch;
      } catch (error) {
        running.delete(message.id);
        throw error;
      }
    }
  }
}

/** The next batch of a stream; its end (or failure) ends its run. */
async function next(id: number): Promise<Batch<JsonValue>> {
  const entry = running.get(id);
  if (!entry?.stream) return { values: [], done: true };
  try {
    const batch = await readBatch(entry.stream);
    if (batch.done) running.delete(id);
    return batch;
  } catch (error) {
    running.delete(id);
    throw error;
  }
}

/**
 * The consumer stopped reading. A batch read ahead that the plugin is still working on is cancelled
 * first (its signal fires, its host operations end), as the isolate does with its own read-ahead: then
 * the stream is closed, and nothing of the call runs on.
 */
async function stop(id: number): Promise<void> {
  const entry = running.get(id);
  running.delete(id);
  if (!entry?.stream) return;
  if (entry.stream.pending) {
    entry.controller?.abort(new PluginError('plugin_cancelled', 'the consumer stopped reading'));
    await entry.stream.pending.catch(() => undefined);
  }
  await entry.stream.iterator.return?.(undefined).catch(() => undefined);
}

process.on('message', (message: ToHost | ToHost[]) => {
  if (Array.isArray(message)) for (const m of message) receive(m);
  else receive(message);
});

function receive(message: ToHost): void {
  switch (message.k) {
    case 'open': {
      const rid = message.rid;
      runtimes.set(rid, new IsolateRuntime({ ...message.options, onLog: (level, text, fields) => post({ k: 'log', rid, level, message: text, fields }) }));
      return;
    }
    case 'run':
      return answer(message.id, run(message), message.rid);
    case 'next':
      return answer(message.id, next(message.id));
    case 'return':
      return answer(message.reply, stop(message.id));
    case 'abort':
      running.get(message.id)?.controller?.abort(new PluginError('plugin_cancelled', 'the call was cancelled'));
      return;
    case 'capres': {
      const waiter = asked.get(message.id);
      if (!waiter) return;
      asked.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(fromWire(message.error));
      return;
    }
  }
}

// The API process went away: nothing here may outlive it.
process.on('disconnect', () => process.exit(0));
post({ k: 'ready' });
