/**
 * JavaScript that runs inside every plugin isolate before the plugin's bundle:
 * the few web globals plugins need (TextEncoder/TextDecoder, atob/btoa,
 * console, setTimeout) and the dispatcher through which the host calls the
 * plugin and the plugin reaches its capabilities. Plain ES2022, no imports.
 *
 * Host-provided globals (set by isolate-runtime.ts, deleted after boot):
 *   __host_done(seq, json)          ignored callback: a call finished
 *   __host_op_ref(callId, op, json, bytes?) Reference to an async host function: a
 *                                   capability call → JSON string (`{"__error":…}` on failure) or bytes
 *                                   (the node runtime's worker)
 *   __host_op(opId, owner, callId, op, json, bytes?) ignored callback, instead of __host_op_ref (isolates):
 *                                   the answer comes later as a task of its own, `__tessera_deliver(opId,
 *                                   answer)`, which the host sends only while `owner` — the call whose task
 *                                   asked; `callId` is the context used — is open
 *   __host_log(callId, level, message, fieldsJson) ignored callback
 *   __host_limits                   optional copy of the runtime's BridgeLimits: sizes are
 *                                   checked here before anything is copied out (and again on the host)
 */
export const PRELUDE = String.raw`
'use strict';
(() => {
const done = globalThis.__host_done, hostOpRef = globalThis.__host_op_ref, hostOpSend = globalThis.__host_op, hostLog = globalThis.__host_log;
delete globalThis.__host_done; delete globalThis.__host_op_ref; delete globalThis.__host_op; delete globalThis.__host_log;
// Every task that enters an isolate starts in __tessera_dispatch or __tessera_deliver, and each names the
// call it belongs to: currentCall ('' while loading). Timers set during a task belong to that call.
let currentCall = '';
// Host operations waiting for their answer (isolates): opId -> { resolve, callId: the owner }.
const waiting = new Map(); let nextOp = 1;
const hostOp = hostOpSend
  ? (owner, callId, name, json, bytes) => new Promise((resolve) => { const id = nextOp++; waiting.set(id, { resolve, callId: owner }); hostOpSend(id, owner, callId, name, json, bytes); })
  : (owner, ...a) => hostOpRef.apply(undefined, a, { arguments: { copy: true }, result: { promise: true, copy: true } });
// A call ended: the host drops the answers to its operations. They settle as FORGOTTEN, which gives their
// slots back (see op) but never returns to the code that waited: that code belonged to the call.
const FORGOTTEN = Object.freeze({}); const NEVER = new Promise(() => {});
function forgetOps(callId) { for (const [id, w] of waiting) if (w.callId === callId) { waiting.delete(id); w.resolve(FORGOTTEN); } timersOf.delete(callId); }
const ownerEnded = (owner) => hostOpSend !== undefined && owner !== '' && !calls.has(owner);

// --- size caps on what leaves the isolate (the host checks them again: this code runs beside the plugin's) ---
// The intrinsics the checks use are taken now, before the plugin's code can replace them.
const LIMITS = (() => { const l = globalThis.__host_limits; delete globalThis.__host_limits; return l !== null && typeof l === 'object' ? l : {}; })();
const limitOf = (name) => (typeof LIMITS[name] === 'number' && LIMITS[name] > 0 ? LIMITS[name] : Infinity);
const MAX_OPERATION = limitOf('maxOperationBytes'), MAX_KV_VALUE = limitOf('maxKvValueBytes'), MAX_RESULT = limitOf('maxResultBytes');
const MAX_OPS = limitOf('maxConcurrentOperations'), MAX_LOG_MESSAGE = limitOf('maxLogMessageChars'), MAX_LOG_FIELDS = limitOf('maxLogFieldsChars');
const stringify = JSON.stringify, toText = String;
const sliceText = Function.prototype.call.bind(String.prototype.slice);
const byteLengthOf = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength').get);
// Operations that carry no payload and must not wait behind others (a timer, an abort, a clean-up).
const UNQUEUED = new Set(['sleep', 'fetch.abort', 'fetch.cancel', 'models.return']);
let activeOps = 0; const waitingOps = [];
// A string argument refused by its length alone, before it is serialised (its JSON is at least that long).
function tooLong(name, value, max) { return typeof value === 'string' && value.length > max ? pluginError('plugin_payload_too_large', name + ': the argument is over the limit of ' + max + ' bytes') : undefined; }
const refuse = (e) => Promise.reject(e);
function logLine(callId, level, message, fields) {
  let text = toText(message);
  if (text.length > MAX_LOG_MESSAGE) { const marker = ' …[truncated: ' + text.length + ' characters]'; text = sliceText(text, 0, Math.max(0, MAX_LOG_MESSAGE - marker.length)) + marker; }
  let json = fields === undefined ? 'null' : stringify(fields);
  if (typeof json !== 'string') json = 'null';
  if (json.length > MAX_LOG_FIELDS) json = stringify({ truncated: 'fields of ' + json.length + ' characters dropped (the limit is ' + MAX_LOG_FIELDS + ')' });
  hostLog(callId, level, text, json);
}

// --- UTF-8 TextEncoder / TextDecoder (isolates have neither) ---
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') {
    const s = String(input); const out = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else c = 0xfffd;
      } else if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
}
class TextDecoder {
  constructor(label = 'utf-8', options = {}) {
    const l = String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('TextDecoder: only utf-8 is supported, got ' + label);
    this.fatal = !!options.fatal; this.pending = [];
  }
  get encoding() { return 'utf-8'; }
  decode(input, options = {}) {
    let bytes = input === undefined ? new Uint8Array(0) : input instanceof Uint8Array ? input : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    if (this.pending.length) { const m = new Uint8Array(this.pending.length + bytes.length); m.set(this.pending); m.set(bytes, this.pending.length); bytes = m; this.pending = []; }
    let out = ''; let i = 0; const n = bytes.length; const parts = [];
    while (i < n) {
      const b = bytes[i]; let need = 0, cp = 0;
      if (b < 0x80) { cp = b; }
      else if (b >= 0xc2 && b < 0xe0) { need = 1; cp = b & 31; }
      else if (b >= 0xe0 && b < 0xf0) { need = 2; cp = b & 15; }
      else if (b >= 0xf0 && b < 0xf5) { need = 3; cp = b & 7; }
      else { if (this.fatal) throw new TypeError('invalid utf-8'); out += '\ufffd'; i++; continue; }
      if (i + need >= n && need > 0 && options.stream) { this.pending = Array.from(bytes.subarray(i)); break; }
      let ok = i + need < n || need === 0;
      for (let k = 1; ok && k <= need; k++) { const x = bytes[i + k]; if ((x & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (x & 63); }
      if (!ok || (need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff))) {
        if (this.fatal) throw new TypeError('invalid utf-8'); out += '\ufffd'; i++; continue;
      }
      out += String.fromCodePoint(cp); i += need + 1;
      if (out.length > 8192) { parts.push(out); out = ''; }
    }
    parts.push(out);
    return parts.join('');
  }
}
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function btoa(s) {
  s = String(s); let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) throw new Error('btoa: character outside Latin-1');
    const t = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += B64[t >> 18] + B64[(t >> 12) & 63] + (i + 1 < s.length ? B64[(t >> 6) & 63] : '=') + (i + 2 < s.length ? B64[t & 63] : '=');
  }
  return out;
}
function atob(s) {
  s = String(s).replace(/[\s=]+/g, ''); let out = '', buf = 0, bits = 0;
  for (const ch of s) { const v = B64.indexOf(ch); if (v < 0) throw new Error('atob: invalid base64'); buf = (buf << 6) | v; bits += 6; if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); } }
  return out;
}

// --- the calls in flight, and the per-call plugin context ---
const calls = new Map(); // callId -> { controller }
const iterators = new Map(); let nextIterator = 1;
let plugin;

class AbortSignalImpl {
  constructor() { this.aborted = false; this.reason = undefined; this.listeners = new Set(); }
  addEventListener(type, fn) { if (type === 'abort') this.listeners.add(fn); }
  removeEventListener(type, fn) { this.listeners.delete(fn); }
  throwIfAborted() { if (this.aborted) throw this.reason; }
  _abort(reason) { if (this.aborted) return; this.aborted = true; this.reason = reason; for (const fn of this.listeners) { try { fn(); } catch {} } }
}

// Bytes cross the bridge inside JSON as {"$bytes": base64} (a document loader's file, a binary result).
function bytesIn(key, value) {
  if (value !== null && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1) {
    const raw = atob(value.$bytes); const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  return value;
}
// What bytes in the answer being serialised may still take (base64): past it, serialising stops at once.
let bytesBudget = Infinity; const OVER_BUDGET = {};
function bytesOut(key, value) {
  if (value instanceof Uint8Array) {
    if ((bytesBudget -= Math.ceil(byteLengthOf(value) / 3) * 4) < 0) throw OVER_BUDGET;
    let raw = ''; for (let i = 0; i < value.length; i += 8192) raw += String.fromCharCode.apply(null, value.subarray(i, i + 8192));
    return { $bytes: btoa(raw) };
  }
  return value;
}

function pluginError(code, message) { const e = new Error(message); e.name = 'PluginError'; e.code = code; return e; }

// One host operation: its argument is size-checked before it is copied out, and at most MAX_OPS are in
// flight at once (the rest wait here, so a burst of operations never piles up on the host).
async function op(callId, name, payload, bytes, json) {
  // The call whose task asks owns the answer (usually callId; another call's when a context was kept).
  const owner = currentCall;
  if (json === undefined) json = stringify(payload === undefined ? null : payload);
  if (typeof json !== 'string') json = 'null';
  const size = json.length + (bytes === undefined ? 0 : byteLengthOf(bytes));
  if (size > MAX_OPERATION) throw pluginError('plugin_payload_too_large', name + ': the argument is ' + size + ' bytes, over the limit of ' + MAX_OPERATION);
  const queued = !UNQUEUED.has(name);
  if (queued) { if (activeOps < MAX_OPS) activeOps++; else await new Promise((resolve) => waitingOps.push(resolve)); }
  let r = FORGOTTEN;
  // A finished operation hands its slot to the next waiting one.
  try { if (!ownerEnded(owner)) r = await hostOp(owner, callId, name, json, bytes); }
  finally { if (queued) { const next = waitingOps.shift(); if (next) next(); else activeOps--; } }
  if (r === FORGOTTEN) return NEVER;
  if (typeof r !== 'string') return r;
  const v = JSON.parse(r);
  if (v !== null && typeof v === 'object' && v.__error) throw pluginError(v.__error.code, v.__error.message);
  return v;
}

class Headers {
  constructor(pairs) { this.map = new Map(); for (const [k, v] of pairs || []) { const key = k.toLowerCase(); this.map.set(key, this.map.has(key) ? this.map.get(key) + ', ' + v : v); } }
  get(name) { const v = this.map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
  has(name) { return this.map.has(String(name).toLowerCase()); }
  forEach(fn) { for (const [k, v] of this.map) fn(v, k); }
  entries() { return this.map.entries(); }
  [Symbol.iterator]() { return this.map.entries(); }
}

function makeResponse(callId, meta, first) {
  let used = false;
  const bodyId = meta.bodyId;
  const hasBody = bodyId != null || meta.ended;
  async function* chunks() {
    if (used) throw new TypeError('Body has already been consumed');
    used = true;
    if (first) yield first;
    if (bodyId == null) return;
    try {
      for (;;) { const chunk = await op(callId, 'fetch.read', { bodyId }); if (!(chunk instanceof Uint8Array)) return; yield chunk; }
    } finally { op(callId, 'fetch.cancel', { bodyId }).catch(() => {}); }
  }
  async function bytes() { const parts = []; let size = 0; for await (const c of chunks()) { parts.push(c); size += c.length; } const all = new Uint8Array(size); let at = 0; for (const p of parts) { all.set(p, at); at += p.length; } return all; }
  return {
    status: meta.status, statusText: meta.statusText, ok: meta.status >= 200 && meta.status < 300, url: meta.url, redirected: meta.redirected,
    headers: new Headers(meta.headers),
    get body() { return hasBody ? { [Symbol.asyncIterator]: chunks } : null; },
    get bodyUsed() { return used; },
    async arrayBuffer() { const b = await bytes(); return b.buffer; },
    async bytes() { return bytes(); },
    async text() { return new TextDecoder().decode(await bytes()); },
    async json() { return JSON.parse(await this.text()); },
  };
}

class AbortController {
  constructor() { this.signal = new AbortSignalImpl(); }
  abort(reason) { this.signal._abort(reason === undefined ? pluginError('plugin_cancelled', 'aborted') : reason); }
}
let nextRequest = 1;

function makeContext(callId, workspaceId, signal) {
  const log = (level) => (message, fields) => logLine(callId, level, message, fields);
  return Object.freeze({
    workspaceId, signal,
    async fetch(input, init = {}) {
      const url = typeof input === 'string' ? input : input && input.href;
      if (typeof url !== 'string') throw pluginError('plugin_invalid_arguments', 'fetch needs a URL string');
      let headers = init.headers || [];
      if (headers instanceof Headers) headers = [...headers];
      else if (!Array.isArray(headers)) headers = Object.entries(headers);
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
        const answer = await op(callId, 'fetch', { url, method: init.method || 'GET', headers, redirect: init.redirect || 'follow', requestId }, body === null ? undefined : body);
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
      get: (key) => { const e = tooLong('kv.get', key, MAX_OPERATION); return e ? refuse(e) : op(callId, 'kv.get', { key }).then((r) => (r.found ? r.value : undefined)); },
      set: (key, value, options) => {
        // The value is measured on its own, before the argument is built around it.
        const e = tooLong('kv.set', key, MAX_OPERATION) || (typeof value === 'string' && value.length > MAX_KV_VALUE ? pluginError('plugin_payload_too_large', 'kv.set: a kv value may be at most ' + MAX_KV_VALUE + ' bytes of JSON, this one is ' + (value.length + 2)) : undefined);
        if (e) return refuse(e);
        let v = stringify(value);
        if (typeof v !== 'string') v = 'null';
        if (v.length > MAX_KV_VALUE) return Promise.reject(pluginError('plugin_payload_too_large', 'kv.set: a kv value may be at most ' + MAX_KV_VALUE + ' bytes of JSON, this one is ' + v.length));
        const ttl = options && options.ttlSeconds;
        return op(callId, 'kv.set', undefined, undefined, '{"key":' + (stringify(key) || 'null') + ',"value":' + v + (ttl === undefined ? '' : ',"ttlSeconds":' + (stringify(ttl) || 'null')) + '}');
      },
      delete: (key) => { const e = tooLong('kv.delete', key, MAX_OPERATION); return e ? refuse(e) : op(callId, 'kv.delete', { key }); },
      list: (options) => op(callId, 'kv.list', options || {}),
      quota: () => op(callId, 'kv.quota', {}),
    }),
    secrets: Object.freeze({
      get: (name) => op(callId, 'secrets.get', { name }).then((r) => (r.found ? r.value : undefined)),
      getAll: () => op(callId, 'secrets.getAll', {}),
    }),
    models: Object.freeze({
      chat(request) {
        return { async *[Symbol.asyncIterator]() {
          const { streamId } = await op(callId, 'models.chat', request);
          try { for (;;) { const r = await op(callId, 'models.next', { streamId }); if (r.done) return; yield r.value; } }
          finally { op(callId, 'models.return', { streamId }).catch(() => {}); }
        } };
      },
      embed: (request) => op(callId, 'models.embed', request),
      rerank: (request) => op(callId, 'models.rerank', request),
    }),
    log: Object.freeze({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }),
  });
}

function errorJson(error) {
  if (error && typeof error === 'object') {
    const e = error;
    return { name: String(e.name || 'Error'), code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message || e), retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined, details: e.details };
  }
  return { name: 'Error', message: String(error) };
}

function finish(seq, ok, value) {
  let json;
  bytesBudget = MAX_RESULT;
  try { json = stringify(ok ? { ok: true, value: value === undefined ? null : value } : { ok: false, error: errorJson(value) }, bytesOut); }
  catch (e) { json = e === OVER_BUDGET ? undefined : JSON.stringify({ ok: false, error: { name: 'PluginError', code: 'plugin_bad_output', message: 'the plugin returned a value that is not JSON: ' + String(e && e.message || e) } }); }
  finally { bytesBudget = Infinity; }
  if (typeof json === 'string' && json.length > MAX_RESULT && ok && value !== null && typeof value === 'object') {
    // A batch of stream items that does not fit goes out in parts; one item too large fails the stream.
    const batch = value.putBack ? value : value.first && value.first.putBack ? value.first : undefined;
    const keep = batch ? fitting(batch.values) : 0;
    if (keep > 0 && keep < batch.values.length) { batch.putBack(batch.values.slice(keep)); batch.values = batch.values.slice(0, keep); finish(seq, ok, value); return; }
  }
  if (typeof json !== 'string' || json.length > MAX_RESULT) {
    // Refused here, before it is copied out; a stream whose first batch is refused is dropped with it.
    if (ok && value !== null && typeof value === 'object' && typeof value.__stream === 'number') { const entry = iterators.get(value.__stream); iterators.delete(value.__stream); if (entry) calls.delete(entry.callId); }
    json = stringify({ ok: false, error: { name: 'PluginError', code: 'plugin_payload_too_large', message: 'the answer is ' + (typeof json === 'string' ? json.length + ' bytes, ' : '') + 'over the limit of ' + MAX_RESULT + ' bytes' } });
  }
  done(seq, json);
}

const NOT_YET = Symbol('not yet');
// Resolves after a few microtask turns: long enough for a parser to hand over an item it already has.
function soon() { let p = Promise.resolve(); for (let i = 0; i < 16; i++) p = p.then(() => {}); return p.then(() => NOT_YET); }

function isAsyncIterable(v) { return v != null && typeof v[Symbol.asyncIterator] === 'function'; }

// A batch too large for one answer is split by finish: what did not fit is put back and goes out next.
async function nextBatch(iteratorId) {
  const entry = iterators.get(iteratorId);
  if (entry && entry.buffered) { const b = entry.buffered; entry.buffered = undefined; if (b.done) iterators.delete(iteratorId); return splittable(iteratorId, entry, b); }
  return splittable(iteratorId, entry, await takeBatch(iteratorId));
}
function splittable(iteratorId, entry, batch) {
  if (entry && batch.values.length > 1) Object.defineProperty(batch, 'putBack', { value: (rest) => {
    const cur = iterators.get(iteratorId) || entry;
    const prev = cur.buffered || { done: batch.done, values: [] };
    iterators.set(iteratorId, { ...cur, buffered: { done: prev.done, values: rest.concat(prev.values) } });
    batch.done = false;
  } });
  return batch;
}
// How many of a batch's values fit in one answer (only asked when the whole batch did not).
function fitting(values) {
  let size = 512, n = 0;
  for (const v of values) {
    bytesBudget = MAX_RESULT;
    let one; try { one = stringify(v === undefined ? null : v, bytesOut); } catch (e) { one = undefined; } finally { bytesBudget = Infinity; }
    size += (typeof one === 'string' ? one.length : Infinity) + 1;
    if (size > MAX_RESULT) return n;
    n++;
  }
  return n;
}

async function takeBatch(iteratorId) {
    const entry = iterators.get(iteratorId);
    if (!entry) return { done: true, values: [] };
    const values = [];
    try {
      // The first item is awaited; further ones are taken only while they resolve within a few microtask
      // turns (already buffered), never waiting on the host: one bridge crossing carries a whole batch.
      let pending = entry.pending || entry.iterator.next();
      entry.pending = undefined;
      let r = await pending;
      for (;;) {
        if (r.done) { iterators.delete(iteratorId); calls.delete(entry.callId); forgetOps(entry.callId); return { done: true, values }; }
        values.push(r.value === undefined ? null : r.value);
        if (values.length >= 256) return { done: false, values };
        pending = entry.iterator.next();
        const ready = await Promise.race([pending, soon()]);
        if (ready === NOT_YET) { entry.pending = pending; return { done: false, values }; }
        r = ready;
      }
    } catch (e) {
      iterators.delete(iteratorId); calls.delete(entry.callId); forgetOps(entry.callId);
      // Items already taken go out first; the error comes with the next request.
      if (values.length) { const failed = Promise.reject(e); failed.catch(() => {}); iterators.set(iteratorId, { ...entry, pending: failed }); return { done: false, values }; }
      throw e;
    }
  }

async function run(request) {
  const { kind } = request;
  if (kind === 'call') {
    const { callId, workspaceId, group, id, method, args } = request;
    const contribution = plugin && plugin[group] && Object.prototype.hasOwnProperty.call(plugin[group], id) ? plugin[group][id] : undefined;
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
    if (!entry) return { done: true, values: [] };
    iterators.delete(request.iteratorId);
    const signal = calls.get(entry.callId); calls.delete(entry.callId); forgetOps(entry.callId);
    // The generator may be waiting on the host (a prefetched next): abort its call and let return() run
    // once that wait ends, rather than blocking the consumer behind it.
    if (signal) signal._abort(pluginError('plugin_cancelled', 'the consumer stopped reading'));
    if (entry.iterator.return) Promise.resolve().then(() => entry.iterator.return()).catch(() => {});
    return { done: true, values: [] };
  }
  if (kind === 'next') return nextBatch(request.iteratorId);
  // The host has ended the call (cancelled, or out of time): its signal fires, its operations are forgotten.
  if (kind === 'abort') { const s = calls.get(request.callId); if (s) s._abort(pluginError('plugin_cancelled', request.reason || 'the call was cancelled')); calls.delete(request.callId); forgetOps(request.callId); return null; }
  if (kind === 'describe') {
    const out = {};
    for (const group of ['tools', 'providers', 'nodes', 'vectorStores', 'documentLoaders']) {
      out[group] = {};
      for (const [id, c] of Object.entries((plugin && plugin[group]) || {})) out[group][id] = Object.keys(c).filter((k) => typeof c[k] === 'function');
    }
    return { apiVersion: plugin && plugin.apiVersion, kind: plugin && plugin.kind, contributions: out };
  }
  if (kind === 'activate') { if (plugin && typeof plugin.activate === 'function') await plugin.activate(makeContext(request.callId, '', new AbortSignalImpl())); forgetOps(''); return null; }
  if (kind === 'deactivate') { if (plugin && typeof plugin.deactivate === 'function') await plugin.deactivate(); return null; }
  throw pluginError('plugin_internal_error', 'unknown dispatch kind ' + kind);
}

globalThis.__tessera_dispatch = function (seq, requestJson) {
  let request;
  try { request = JSON.parse(requestJson, bytesIn); } catch (e) { finish(seq, false, e); return; }
  const iterator = request.iteratorId !== undefined ? iterators.get(request.iteratorId) : undefined;
  currentCall = typeof request.callId === 'string' ? request.callId : iterator ? iterator.callId : '';
  run(request).then((v) => finish(seq, true, v), (e) => finish(seq, false, e));
};
globalThis.__tessera_install = function (p) { plugin = p; };
globalThis.__tessera_deliver = function (id, answer) {
  const w = waiting.get(id);
  if (!w) return;
  waiting.delete(id);
  currentCall = w.callId;
  w.resolve(answer);
};

// A timer belongs to the call whose task set it: it fires only while that call is open (the host cancels
// it when the call ends), and at most MAX_TIMERS of one call wait at once (the host counts them too).
// clearTimeout cancels the host's timer as well.
const MAX_TIMERS = 1024; const timersOf = new Map();
function setTimeout(fn, ms = 0, ...args) {
  if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
  const owner = currentCall; const count = timersOf.get(owner) || 0;
  if (count >= MAX_TIMERS) throw new RangeError('setTimeout: ' + MAX_TIMERS + ' timers of this call are already waiting');
  let cancelled = false;
  const delay = Math.max(0, Math.min(Number(ms) || 0, 600000));
  const settle = () => { const n = (timersOf.get(owner) || 1) - 1; if (n > 0) timersOf.set(owner, n); else timersOf.delete(owner); };
  if (!hostOpSend) {
    timersOf.set(owner, count + 1);
    op(owner, 'sleep', { ms: delay }).then(() => { settle(); if (!cancelled) fn(...args); }, settle);
    return { cancel() { cancelled = true; } };
  }
  if (ownerEnded(owner)) return { cancel() {} };
  timersOf.set(owner, count + 1);
  const id = nextOp++;
  waiting.set(id, { resolve: (answer) => { settle(); if (answer !== FORGOTTEN && !cancelled) fn(...args); }, callId: owner });
  hostOpSend(id, owner, owner, 'sleep', '{"ms":' + delay + '}');
  return { cancel() { if (cancelled) return; cancelled = true; if (waiting.delete(id)) { settle(); hostOpSend(id, owner, owner, 'sleep.cancel', 'null'); } } };
}
function clearTimeout(t) { if (t && t.cancel) t.cancel(); }
const console = {};
for (const [name, level] of [['debug', 'debug'], ['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error']]) {
  console[name] = (...parts) => logLine('', level, parts.map((p) => (typeof p === 'string' ? p : (() => { try { return JSON.stringify(p); } catch { return String(p); } })())).join(' '), undefined);
}
// In an isolate none of these exist; in the node runtime's worker the platform's own are kept.
for (const [name, value] of Object.entries({ TextEncoder, TextDecoder, atob, btoa, setTimeout, clearTimeout, console, Headers, AbortController })) {
  if (!(name in globalThis)) globalThis[name] = value;
}
})();
`;

/**
 * Run in every isolate before the prelude: removes what would run plugin code
 * outside the tasks the host sends (and so outside any call and its CPU meter),
 * or memory the isolate's limit does not count. The node runtime's worker keeps them.
 *   WebAssembly          a compiled module's continuation runs as a V8 platform task; WebAssembly.Memory
 *                        is not counted by the heap limit (1 GiB under a 128 MB cap) nor reported by
 *                        getHeapStatistics; no first-party plugin uses it
 *   FinalizationRegistry its callbacks run as platform tasks after a GC, between calls
 *   Atomics.waitAsync    its time-out fires as a platform task (and aborts the process under isolated-vm 5)
 *   Atomics.wait         blocks the isolate's thread without using CPU; a single-threaded isolate has
 *                        nothing to wait for
 *   SharedArrayBuffer    nothing to share with; a growable one's memory is not counted by the limit
 *   resizable ArrayBuffer `new ArrayBuffer(n, { maxByteLength })` and `resize`: not counted by the limit
 *                        either (1 GiB under a 128 MB cap); the constructor refuses maxByteLength, and
 *                        ArrayBuffer.prototype.constructor is the same guard, so it cannot be reached around
 */
export const ISOLATE_LOCKDOWN = String.raw`
'use strict';
delete globalThis.WebAssembly;
delete globalThis.FinalizationRegistry;
delete globalThis.SharedArrayBuffer;
delete Atomics.wait;
delete Atomics.waitAsync;
(() => {
  const NativeArrayBuffer = ArrayBuffer;
  const construct = Reflect.construct;
  const guarded = new Proxy(NativeArrayBuffer, {
    construct(target, args, newTarget) {
      const options = args[1];
      if (options !== null && (typeof options === 'object' || typeof options === 'function') && options.maxByteLength !== undefined) throw new RangeError('resizable ArrayBuffers are not available in a plugin isolate');
      return construct(target, [args[0]], newTarget === guarded ? target : newTarget);
    },
  });
  Object.defineProperty(globalThis, 'ArrayBuffer', { value: guarded, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(NativeArrayBuffer.prototype, 'constructor', { value: guarded, writable: true, configurable: true, enumerable: false });
  delete NativeArrayBuffer.prototype.resize;
})();
`;
