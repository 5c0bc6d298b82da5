/**
 * `{{#node.var#}}` references in node text (answer, LLM prompts, HTTP URLs…). PURE.
 *
 * Matches Dify's VariablePool.convert_template (api/core/workflow/entities/variable_pool.py):
 * the same pattern (a node id of 1-50 word characters, then 1-10 `.name` parts),
 * and the same rendering of each value (its Segment `.text`): strings as they are,
 * objects and arrays as Python's `json.dumps(..., ensure_ascii=False)` writes them
 * (`{"a": 1, "b": [1, 2]}`, with spaces), null as ''. A reference to a missing
 * variable renders as its dotted selector (`node.var`), exactly what Dify does: it
 * builds a string segment of the unmatched part.
 */
import { parseTemplate } from '../graph/templates.js';
import type { VariablePool } from './variable-pool.js';

/** The template with each reference replaced by its value (the graph module parses; this renders). */
export function renderTemplate(template: string, pool: VariablePool): string {
  let out = '';
  for (const part of parseTemplate(template)) {
    if (part.kind === 'text') out += part.text;
    else {
      const value = pool.get(part.selector);
      out += value !== undefined ? segmentText(value) : part.selector.join('.');
    }
  }
  return out;
}

/** A value as Dify's Segment.text renders it. */
export function segmentText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return pyJson(value);
}

/** JSON as Python's json.dumps(ensure_ascii=False) writes it: `, ` and `: ` separators. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(value));
}
