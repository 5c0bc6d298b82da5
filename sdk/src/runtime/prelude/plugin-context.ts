/**
 * The `PluginContext` each call gets (context.ts is the contract it is
 * checked against): fetch, kv, secrets, models and log, each a host operation.
 */
import type { ChatChunk } from '../../chat.js';
import type { FetchInit, FetchResponse, KvListResult, LogFields, PluginContext } from '../../context.js';
import type { JsonValue } from '../../json.js';
import type { EmbedResult, RerankResult } from '../../model-calls.js';
import { Headers, makeResponse, type ResponseMeta } from './fetch.js';
import { MAX_KV_VALUE, MAX_OPERATION, pluginError, stringify } from './host.js';
import { logLine, op, refuse, tooLong } from './ops.js';
import type { AbortSignalImpl } from './signals.js';
import { TextDecoder, TextEncoder } from './text.js';

let nextRequest = 1;

/** The context of call `callId`, on behalf of `workspaceId` ('' for activation); `signal` fires when the call ends. */
export function makeContext(callId: string, workspaceId: string, signal: AbortSignalImpl): PluginContext {
  const log = (level: string) => (message: string, fields?: LogFields) => logLine(callId, level, message, fields);
  return Object.freeze({
    workspaceId, signal,
    async fetch(input: string | { readonly href: string }, init: FetchInit = {}): Promise<FetchResponse> {
      const url = typeof input === 'string' ? input : input && input.href;
      if (typeof url !== 'string') throw pluginError('plugin_invalid_arguments', 'fetch needs a URL string');
      let headers: unknown = init.headers || [];
      if (headers instanceof Headers) headers = [...headers];
      else if (!Array.isArray(headers)) headers = Object.entries(headers as Record<string, string>);
      let body = init.body === undefined || init.body === null ? null : init.body;
      if (typeof body === 'string') body = new TextEncoder().encode(body);
      else if (body instanceof ArrayBuffer) body = new Uint8Array(body);
      else if (body !== null && !(body instanceof Uint8Array)) throw pluginError('plugin_invalid_arguments', 'fetch body must be a string, Uint8Array or ArrayBuffer');
      const requestId = nextRequest++;
      const own = init.signal;
      if (own && own.aborted) throw own.reason || pluginError('plugin_cancelled', 'the request was aborted');
      // The plugin's own signal (a timeout of its own, say) aborts the host's request, body included.
      const onAbort = () => { op(callId, 'fetch.abort', { requestId }).catch(() => {}); };
      if (own) own.addEventListener('abort', onAbort);
      try {
        const answer = await op<Uint8Array | ResponseMeta>(callId, 'fetch', { url, method: init.method || 'GET', headers, redirect: init.redirect || 'follow', requestId }, body === null ? undefined : body);
        if (answer instanceof Uint8Array) {
          // Headers and the first body chunk in one answer: [u32 length][JSON][bytes].
          const length = new DataView(answer.buffer, answer.byteOffset, answer.byteLength).getUint32(0);
          const meta = JSON.parse(new TextDecoder().decode(answer.subarray(4, 4 + length)));
          return makeResponse(callId, meta, answer.slice(4 + length));
        }
        return makeResponse(callId, answer);
      } catch (e) {
        if (own && own.aborted) throw own.reason || e;
        throw e;
      }
    },
    kv: Object.freeze({
      get: (key: string) => { const e = tooLong('kv.get', key, MAX_OPERATION); return e ? refuse(e) : op<{ found: boolean; value?: JsonValue }>(callId, 'kv.get', { key }).then((r) => (r.found ? r.value : undefined)); },
      set: (key: string, value: JsonValue, options?: { readonly ttlSeconds?: number }) => {
        // The value is measured on its own, before the argument is built around it.
        const e = tooLong('kv.set', key, MAX_OPERATION) || (typeof value === 'string' && value.length > MAX_KV_VALUE ? pluginError('plugin_payload_too_large', 'kv.set: a kv value may be at most ' + MAX_KV_VALUE + ' bytes of JSON, this one is ' + (value.length + 2)) : undefined);
        if (e) return refuse(e);
        let v: string | undefined = stringify(value);
        if (typeof v !== 'string') v = 'null';
        if (v.length > MAX_KV_VALUE) return Promise.reject(pluginError('plugin_payload_too_large', 'kv.set: a kv value may be at most ' + MAX_KV_VALUE + ' bytes of JSON, this one is ' + v.length));
        const ttl = options && options.ttlSeconds;
        return op<void>(callId, 'kv.set', undefined, undefined, '{"key":' + (stringify(key) || 'null') + ',"value":' + v + (ttl === undefined ? '' : ',"ttlSeconds":' + (stringify(ttl) || 'null')) + '}');
      },
      delete: (key: string) => { const e = tooLong('kv.delete', key, MAX_OPERATION); return e ? refuse(e) : op<boolean>(callId, 'kv.delete', { key }); },
      list: (options?: object) => op<KvListResult>(callId, 'kv.list', options || {}),
      quota: () => op<{ readonly usedBytes: number; readonly quotaBytes: number }>(callId, 'kv.quota', {}),
    }),
    secrets: Object.freeze({
      get: (name: string) => op<{ found: boolean; value?: string }>(callId, 'secrets.get', { name }).then((r) => (r.found ? r.value : undefined)),
      getAll: () => op<Readonly<Record<string, string>>>(callId, 'secrets.getAll', {}),
    }),
    models: Object.freeze({
      chat(request: object): AsyncIterable<ChatChunk> {
        return { async *[Symbol.asyncIterator]() {
          const { streamId } = await op<{ streamId: number }>(callId, 'models.chat', request);
          try { for (;;) { const r = await op<{ done: true } | { done: false; value: ChatChunk }>(callId, 'models.next', { streamId }); if (r.done) return; yield r.value; } }
          finally { op(callId, 'models.return', { streamId }).catch(() => {}); }
        } };
      },
      embed: (request: object) => op<EmbedResult>(callId, 'models.embed', request),
      rerank: (request: object) => op<RerankResult>(callId, 'models.rerank', request),
    }),
    log: Object.freeze({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }),
  });
}
