/**
 * The host's side of the bridge, taken once when the prelude starts and
 * deleted from the globals (env.d.ts lists them), the size caps the host
 * passed, and the intrinsics the checks use — taken now, before the plugin's
 * code can replace them.
 */

/** A call finished: `done(seq, json)`. */
export const done = globalThis.__host_done!, hostOpRef = globalThis.__host_op_ref, hostOpSend = globalThis.__host_op, hostLog = globalThis.__host_log!;
delete globalThis.__host_done; delete globalThis.__host_op_ref; delete globalThis.__host_op; delete globalThis.__host_log;

// --- size caps on what leaves the isolate (the host checks them again: this code runs beside the plugin's) ---
type LimitName = 'maxOperationBytes' | 'maxKvValueBytes' | 'maxResultBytes' | 'maxConcurrentOperations' | 'maxLogMessageChars' | 'maxLogFieldsChars';
const LIMITS = (() => { const l = globalThis.__host_limits; delete globalThis.__host_limits; return (l !== null && typeof l === 'object' ? l : {}) as Partial<Record<LimitName, unknown>>; })();
const limitOf = (name: LimitName): number => { const v = LIMITS[name]; return typeof v === 'number' && v > 0 ? v : Infinity; };
/** The caps of the runtime's BridgeLimits (bridge-limits.ts); a cap the host did not pass is no cap. */
export const MAX_OPERATION = limitOf('maxOperationBytes'), MAX_KV_VALUE = limitOf('maxKvValueBytes'), MAX_RESULT = limitOf('maxResultBytes');
export const MAX_OPS = limitOf('maxConcurrentOperations'), MAX_LOG_MESSAGE = limitOf('maxLogMessageChars'), MAX_LOG_FIELDS = limitOf('maxLogFieldsChars');

/** `JSON.stringify` and `String`, as they were before the plugin ran. */
export const stringify = JSON.stringify, toText = String;
/** `String.prototype.slice`, called as a function. */
export const sliceText: (text: string, start: number, end?: number) => string = Function.prototype.call.bind(String.prototype.slice);
/** The byte length of any typed array, read from the intrinsic getter (a plugin cannot fake it on its own array). */
export const byteLengthOf: (view: ArrayBufferView) => number = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')!.get!);

/** An error the host maps back to a PluginError with `code`. */
export type PluginErrorLike = Error & { code?: string };

/** A `PluginError` as plugin code sees it: an Error named PluginError with a code. */
export function pluginError(code: string, message: string): PluginErrorLike { const e: PluginErrorLike = new Error(message); e.name = 'PluginError'; e.code = code; return e; }
