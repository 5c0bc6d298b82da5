/** Shared pieces of the DSL modules: its error, its modes, and what they do to parsed YAML values. Pure. */

/** Modes this release imports and exports; `workflow` and `advanced-chat` need the workflow engine. */
export const DSL_MODES = ['chat', 'completion', 'agent-chat'] as const;
export type DslMode = (typeof DSL_MODES)[number];

/** A DSL that cannot be imported; its message becomes the import's `error`. */
export class DslError extends Error {
  override readonly name = 'DslError';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.values(value).every(isEmpty);
  return false;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A deep copy without null-valued keys (Dify writes `null` for "not set": our defaults apply) and without prototype-polluting keys. */
export function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined || UNSAFE_KEYS.has(key)) continue;
    out[key] = clean(v);
  }
  return out;
}

/** A string value, numbers spelled out, else `fallback`. */
export function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}
