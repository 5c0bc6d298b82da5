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
import type { Selector } from '../graph/types.js';
import type { VariablePool } from './variable-pool.js';

const VARIABLE = /\{\{#([a-zA-Z0-9_]{1,50}(?:\.[a-zA-Z_][a-zA-Z0-9_]{0,29}){1,10})#\}\}/g;

/** One piece of a template: literal text, or a reference with its value (`found` false when missing). */
export type TemplatePart = { readonly text: string } | { readonly selector: Selector; readonly value: unknown; readonly found: boolean };

export function parseTemplate(template: string, pool: VariablePool): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(VARIABLE)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    const selector = m[1]!.split('.');
    const value = pool.get(selector);
    parts.push({ selector, value, found: value !== undefined });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

export function renderTemplate(template: string, pool: VariablePool): string {
  let out = '';
  for (const part of parseTemplate(template, pool)) out += 'text' in part ? part.text : part.found ? segmentText(part.value) : part.selector.join('.');
  return out;
}

/** The selectors a template references, in order (what the node reads, for the editor and single-node runs). */
export function templateSelectors(template: string): Selector[] {
  return [...template.matchAll(VARIABLE)].map((m) => m[1]!.split('.'));
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
