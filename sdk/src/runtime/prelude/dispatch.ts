/**
 * The dispatcher: every request the host sends (`__tessera_dispatch`) runs
 * here — a call of a contribution's method, the next batch of a stream, its
 * end, an abort, describe, activate and deactivate.
 */
import type { ContributionGroup } from '../../plugin.js';
import { bytesIn, finish } from './answer.js';
import { calls, enterCall, iterators, type Batch } from './calls.js';
import { pluginError } from './host.js';
import { forgetOps, waiting } from './ops.js';
import { makeContext } from './plugin-context.js';
import { AbortSignalImpl } from './signals.js';
import { isAsyncIterable, nextBatch } from './streams.js';

/** One contribution of the plugin: its methods by name. */
type Contribution = Readonly<Record<string, unknown>>;
/** The plugin's default export as read here: foreign code, so each member is checked before it is used. */
type PluginExports = { readonly apiVersion?: unknown; readonly kind?: unknown; readonly activate?: unknown; readonly deactivate?: unknown }
  & { readonly [G in ContributionGroup]?: Readonly<Record<string, Contribution>> };

/** A request from the host (runtime-base.ts sends them). */
type Request =
  | { readonly kind: 'call'; readonly callId: string; readonly workspaceId: string; readonly group: ContributionGroup; readonly id: string; readonly method: string; readonly args: unknown[] }
  | { readonly kind: 'next' | 'return'; readonly iteratorId: number }
  | { readonly kind: 'abort'; readonly callId: string; readonly reason?: string }
  | { readonly kind: 'activate'; readonly callId: string }
  | { readonly kind: 'describe' | 'deactivate' };

let plugin: PluginExports | undefined;
let nextIterator = 1;

async function run(request: Request): Promise<unknown> {
  const { kind } = request;
  if (kind === 'call') {
    const { callId, workspaceId, group, id, method, args } = request;
    const contribution = plugin && plugin[group] && Object.prototype.hasOwnProperty.call(plugin[group], id) ? plugin[group]![id] : undefined;
    if (!contribution) throw pluginError('plugin_not_found', 'the plugin has no ' + group + ' "' + id + '"');
    const fn = contribution[method];
    if (typeof fn !== 'function') throw pluginError('plugin_not_supported', group + ' "' + id + '" does not implement ' + method);
    const signal = new AbortSignalImpl();
    calls.set(callId, signal);
    const ctx = makeContext(callId, workspaceId, signal);
    let result;
    try { result = await fn.apply(contribution, [...args, ctx]); }
    catch (e) { calls.delete(callId); forgetOps(callId); throw e; }
    if (isAsyncIterable(result)) {
      const iteratorId = nextIterator++;
      iterators.set(iteratorId, { iterator: result[Symbol.asyncIterator](), callId });
      // The first batch rides along with the call's answer: one crossing fewer per stream.
      return { __stream: iteratorId, first: await nextBatch(iteratorId) };
    }
    calls.delete(callId); forgetOps(callId);
    return result;
  }
  if (kind === 'return') {
    const entry = iterators.get(request.iteratorId);
    if (!entry) return { done: true, values: [] } satisfies Batch;
    iterators.delete(request.iteratorId);
    const signal = calls.get(entry.callId); calls.delete(entry.callId); forgetOps(entry.callId);
    // The generator may be waiting on the host (a prefetched next): abort its call and let return() run
    // once that wait ends, rather than blocking the consumer behind it.
    if (signal) signal._abort(pluginError('plugin_cancelled', 'the consumer stopped reading'));
    if (entry.iterator.return) Promise.resolve().then(() => entry.iterator.return!()).catch(() => {});
    return { done: true, values: [] } satisfies Batch;
  }
  if (kind === 'next') return nextBatch(request.iteratorId);
  // The host has ended the call (cancelled, or out of time): its signal fires, its operations are forgotten.
  if (kind === 'abort') { const s = calls.get(request.callId); if (s) s._abort(pluginError('plugin_cancelled', request.reason || 'the call was cancelled')); calls.delete(request.callId); forgetOps(request.callId); return null; }
  if (kind === 'describe') {
    const out: Record<string, Record<string, string[]>> = {};
    for (const group of ['tools', 'providers', 'nodes', 'vectorStores', 'documentLoaders'] as const) {
      out[group] = {};
      for (const [id, c] of Object.entries((plugin && plugin[group]) || {})) out[group][id] = Object.keys(c).filter((k) => typeof c[k] === 'function');
    }
    return { apiVersion: plugin && plugin.apiVersion, kind: plugin && plugin.kind, contributions: out };
  }
  if (kind === 'activate') { if (plugin && typeof plugin.activate === 'function') await plugin.activate(makeContext(request.callId, '', new AbortSignalImpl())); forgetOps(''); return null; }
  if (kind === 'deactivate') { if (plugin && typeof plugin.deactivate === 'function') await plugin.deactivate(); return null; }
  throw pluginError('plugin_internal_error', 'unknown dispatch kind ' + kind);
}

/** `__tessera_dispatch`: runs request `requestJson`, then answers `seq` (answer.ts). */
export function dispatch(seq: number, requestJson: string): void {
  let request: Request & { readonly callId?: unknown; readonly iteratorId?: number };
  try { request = JSON.parse(requestJson, bytesIn); } catch (e) { finish(seq, false, e); return; }
  const iterator = request.iteratorId !== undefined ? iterators.get(request.iteratorId) : undefined;
  enterCall(typeof request.callId === 'string' ? request.callId : iterator ? iterator.callId : '');
  run(request).then((v) => finish(seq, true, v), (e) => finish(seq, false, e));
}

/** `__tessera_install`: the plugin's default export. */
export function install(p: unknown): void { plugin = p as PluginExports; }

/** `__tessera_deliver`: the answer to host operation `id`, in the task of the call that asked. */
export function deliver(id: number, answer: unknown): void {
  const w = waiting.get(id);
  if (!w) return;
  waiting.delete(id);
  enterCall(w.callId);
  w.resolve(answer);
}
