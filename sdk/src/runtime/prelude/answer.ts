/**
 * What crosses back to the host: a call's answer, serialised within
 * MAX_RESULT (a batch of stream items that does not fit is split), and bytes
 * inside JSON as `{"$bytes": base64}` both ways (a document loader's file, a
 * binary result).
 */
import { calls, iterators, type Batch } from './calls.js';
import { byteLengthOf, done, MAX_RESULT, stringify } from './host.js';
import { atob, btoa } from './text.js';

/** `JSON.parse` reviver: `{"$bytes": base64}` becomes a Uint8Array. */
export function bytesIn(key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $bytes?: unknown }).$bytes === 'string' && Object.keys(value).length === 1) {
    const raw = atob((value as { $bytes: string }).$bytes); const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  return value;
}
// What bytes in the answer being serialised may still take (base64): past it, serialising stops at once.
let bytesBudget = Infinity; const OVER_BUDGET = {};
function bytesOut(key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) {
    if ((bytesBudget -= Math.ceil(byteLengthOf(value) / 3) * 4) < 0) throw OVER_BUDGET;
    let raw = ''; for (let i = 0; i < value.length; i += 8192) raw += String.fromCharCode.apply(null, value.subarray(i, i + 8192) as unknown as number[]);
    return { $bytes: btoa(raw) };
  }
  return value;
}

/** An error as the host reads it back (runtime-base.ts `fromPlugin`). */
function errorJson(error: unknown) {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; retryAfterMs?: unknown; details?: unknown };
    return { name: String(e.name || 'Error'), code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message || e), retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined, details: e.details };
  }
  return { name: 'Error', message: String(error) };
}

/** What a call may answer: a value, or a stream's first batch (`{ __stream, first }`), or a batch. */
type Answer = Partial<Batch> & { readonly first?: Batch; readonly __stream?: unknown };

/** Sends the answer to request `seq`: its value when `ok`, else the error thrown. */
export function finish(seq: number, ok: boolean, value: unknown): void {
  let json: string | undefined;
  bytesBudget = MAX_RESULT;
  try { json = stringify(ok ? { ok: true, value: value === undefined ? null : value } : { ok: false, error: errorJson(value) }, bytesOut); }
  catch (e) { json = e === OVER_BUDGET ? undefined : JSON.stringify({ ok: false, error: { name: 'PluginError', code: 'plugin_bad_output', message: 'the plugin returned a value that is not JSON: ' + String((e && (e as { message?: unknown }).message) || e) } }); }
  finally { bytesBudget = Infinity; }
  if (typeof json === 'string' && json.length > MAX_RESULT && ok && value !== null && typeof value === 'object') {
    const answer = value as Answer;
    // A batch of stream items that does not fit goes out in parts; one item too large fails the stream.
    const batch = answer.putBack ? answer as Batch : answer.first && answer.first.putBack ? answer.first : undefined;
    const keep = batch ? fitting(batch.values) : 0;
    if (keep > 0 && keep < batch!.values.length) { batch!.putBack!(batch!.values.slice(keep)); batch!.values = batch!.values.slice(0, keep); finish(seq, ok, value); return; }
  }
  if (typeof json !== 'string' || json.length > MAX_RESULT) {
    // Refused here, before it is copied out; a stream whose first batch is refused is dropped with it.
    if (ok && value !== null && typeof value === 'object' && typeof (value as Answer).__stream === 'number') { const stream = (value as Answer).__stream as number; const entry = iterators.get(stream); iterators.delete(stream); if (entry) calls.delete(entry.callId); }
    json = stringify({ ok: false, error: { name: 'PluginError', code: 'plugin_payload_too_large', message: 'the answer is ' + (typeof json === 'string' ? json.length + ' bytes, ' : '') + 'over the limit of ' + MAX_RESULT + ' bytes' } });
  }
  done(seq, json);
}

// How many of a batch's values fit in one answer (only asked when the whole batch did not).
function fitting(values: unknown[]): number {
  let size = 512, n = 0;
  for (const v of values) {
    bytesBudget = MAX_RESULT;
    let one: string | undefined; try { one = stringify(v === undefined ? null : v, bytesOut); } catch (e) { one = undefined; } finally { bytesBudget = Infinity; }
    size += (typeof one === 'string' ? one.length : Infinity) + 1;
    if (size > MAX_RESULT) return n;
    n++;
  }
  return n;
}
