/**
 * Host operations: how the plugin's context reaches its capabilities. Each
 * argument is size-checked before it is copied out, and at most MAX_OPS are
 * in flight at once; the rest wait here, so a burst never piles up on the host.
 */
import { calls, currentCall, timersOf } from './calls.js';
import { byteLengthOf, hostLog, hostOpRef, hostOpSend, MAX_LOG_FIELDS, MAX_LOG_MESSAGE, MAX_OPERATION, MAX_OPS, pluginError, sliceText, stringify, toText, type PluginErrorLike } from './host.js';

/** A host operation waiting for its answer (isolates): who asked, and how to settle it. */
interface Waiting {
  readonly resolve: (answer: unknown) => void;
  /** The owner: the call whose task asked. */
  readonly callId: string;
}

/** Host operations waiting for their answer (isolates): opId -> its waiter. */
export const waiting = new Map<number, Waiting>(); let nextOp = 1;
/** The id of a new host operation. */
export function nextOpId(): number { return nextOp++; }

type HostOp = (owner: string, callId: string, name: string, json: string, bytes?: Uint8Array) => Promise<unknown>;
const hostOp: HostOp = hostOpSend
  ? (owner, callId, name, json, bytes) => new Promise((resolve) => { const id = nextOp++; waiting.set(id, { resolve, callId: owner }); hostOpSend!(id, owner, callId, name, json, bytes); })
  : (owner, ...a) => hostOpRef!.apply(undefined, a, { arguments: { copy: true }, result: { promise: true, copy: true } });

// A call ended: the host drops the answers to its operations. They settle as FORGOTTEN, which gives their
// slots back (see op) but never returns to the code that waited: that code belonged to the call.
/** The answer of an operation whose call has ended. */
export const FORGOTTEN = Object.freeze({});
/** What an operation of an ended call returns: it never settles. */
export const NEVER = new Promise<never>(() => {});
/** Settles the operations of `callId` as FORGOTTEN and drops its timer count. */
export function forgetOps(callId: string): void { for (const [id, w] of waiting) if (w.callId === callId) { waiting.delete(id); w.resolve(FORGOTTEN); } timersOf.delete(callId); }
/** Whether the call `owner` has ended (isolates: its operations would never be answered). */
export const ownerEnded = (owner: string): boolean => hostOpSend !== undefined && owner !== '' && !calls.has(owner);

// Operations that carry no payload and must not wait behind others (a timer, an abort, a clean-up).
const UNQUEUED = new Set(['sleep', 'fetch.abort', 'fetch.cancel', 'models.return']);
let activeOps = 0; const waitingOps: Array<() => void> = [];
/** A string argument refused by its length alone, before it is serialised (its JSON is at least that long). */
export function tooLong(name: string, value: unknown, max: number): PluginErrorLike | undefined { return typeof value === 'string' && value.length > max ? pluginError('plugin_payload_too_large', name + ': the argument is over the limit of ' + max + ' bytes') : undefined; }
/** A rejected promise of `e`. */
export const refuse = (e: unknown): Promise<never> => Promise.reject(e);

/** Sends one log line, its message and fields cut to the caps as bridge-limits.ts cuts them. */
export function logLine(callId: string, level: string, message: unknown, fields: unknown): void {
  let text = toText(message);
  if (text.length > MAX_LOG_MESSAGE) { const marker = ' …[truncated: ' + text.length + ' characters]'; text = sliceText(text, 0, Math.max(0, MAX_LOG_MESSAGE - marker.length)) + marker; }
  let json: string | undefined = fields === undefined ? 'null' : stringify(fields);
  if (typeof json !== 'string') json = 'null';
  if (json.length > MAX_LOG_FIELDS) json = stringify({ truncated: 'fields of ' + json.length + ' characters dropped (the limit is ' + MAX_LOG_FIELDS + ')' });
  hostLog(callId, level, text, json);
}

/**
 * One host operation `name` for `callId`: its payload as JSON (or `json`, when
 * already serialised) and, optionally, bytes. Resolves to the host's answer,
 * typed `T` as host-ops.ts sends it (the host is trusted); a `{"__error":…}`
 * answer is thrown as a PluginError.
 */
export async function op<T = unknown>(callId: string, name: string, payload?: unknown, bytes?: Uint8Array, json?: string): Promise<T> {
  // The call whose task asks owns the answer (usually callId; another call's when a context was kept).
  const owner = currentCall;
  if (json === undefined) json = stringify(payload === undefined ? null : payload);
  if (typeof json !== 'string') json = 'null';
  const size = json.length + (bytes === undefined ? 0 : byteLengthOf(bytes));
  if (size > MAX_OPERATION) throw pluginError('plugin_payload_too_large', name + ': the argument is ' + size + ' bytes, over the limit of ' + MAX_OPERATION);
  const queued = !UNQUEUED.has(name);
  if (queued) { if (activeOps < MAX_OPS) activeOps++; else await new Promise<void>((resolve) => waitingOps.push(resolve)); }
  let r: unknown = FORGOTTEN;
  // A finished operation hands its slot to the next waiting one.
  try { if (!ownerEnded(owner)) r = await hostOp(owner, callId, name, json, bytes); }
  finally { if (queued) { const next = waitingOps.shift(); if (next) next(); else activeOps--; } }
  if (r === FORGOTTEN) return NEVER;
  if (typeof r !== 'string') return r as T;
  const v = JSON.parse(r);
  if (v !== null && typeof v === 'object' && v.__error) throw pluginError(v.__error.code, v.__error.message);
  return v;
}
