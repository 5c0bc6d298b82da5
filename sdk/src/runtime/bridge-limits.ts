/**
 * Caps on what crosses the bridge from a plugin to the host. Each one is
 * checked twice: inside the isolate by the prelude (so an oversized value is
 * refused before it is copied out at all), and on the host before anything is
 * parsed (the prelude runs beside the plugin's code, so the host does not rely
 * on it). Text is measured in characters (UTF-16 code units) of its JSON: that
 * is free on the host, where a string copied out of an isolate is an external
 * string whose length is known without touching its contents.
 */
export interface BridgeLimits {
  /** Largest argument of one operation (`ctx.kv.*`, `ctx.fetch` with its body, `ctx.models.*`): its JSON plus body bytes. */
  readonly maxOperationBytes: number;
  /** Largest value `ctx.kv.set` may store (the JSON of the value). */
  readonly maxKvValueBytes: number;
  /** Largest answer of one call: its result, or one batch of stream items (JSON, bytes as base64). */
  readonly maxResultBytes: number;
  /** Host operations one plugin instance may have in flight at once (timers not counted); more wait their turn inside the isolate. */
  readonly maxConcurrentOperations: number;
  /** Characters of one log message; longer ones are cut, with a marker. */
  readonly maxLogMessageChars: number;
  /** Characters of the JSON of one log line's fields; larger fields are replaced by a marker. */
  readonly maxLogFieldsChars: number;
  /** Log lines one call may write (lines outside any call: per minute); further ones are dropped, with one line saying so. */
  readonly maxLogLinesPerCall: number;
}

export const DEFAULT_BRIDGE_LIMITS: BridgeLimits = Object.freeze({
  maxOperationBytes: 8 * 1024 * 1024,
  maxKvValueBytes: 1024 * 1024,
  maxResultBytes: 16 * 1024 * 1024,
  maxConcurrentOperations: 32,
  maxLogMessageChars: 8192,
  maxLogFieldsChars: 16384,
  maxLogLinesPerCall: 500,
});

/** `limits` over the defaults; a value that is not a positive number keeps its default. */
export function resolveBridgeLimits(limits: Partial<BridgeLimits> | undefined): BridgeLimits {
  const out: Record<string, number> = { ...DEFAULT_BRIDGE_LIMITS };
  for (const [key, value] of Object.entries(limits ?? {})) {
    if (key in out && typeof value === 'number' && Number.isFinite(value) && value > 0) out[key] = Math.floor(value);
  }
  return Object.freeze(out) as unknown as BridgeLimits;
}

/** What a kv.set argument may add around its value (`{"key":…,"value":…,"ttlSeconds":…}`, a key of up to 4096 characters). */
export const KV_SET_ENVELOPE_CHARS = 4096 + 64;

/** Cuts `message` to `max` characters, the marker that says how long it was included (the prelude cuts the same way). */
export function truncateLogMessage(message: string, max: number): string {
  if (message.length <= max) return message;
  const marker = ` …[truncated: ${message.length} characters]`;
  return message.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** The fields put in place of log fields whose JSON is over the limit. */
export function droppedLogFields(chars: number, max: number): { truncated: string } {
  return { truncated: `fields of ${chars} characters dropped (the limit is ${max})` };
}
