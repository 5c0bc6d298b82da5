/**
 * Dify's comparison operators (if-else cases and loop break conditions), after
 * api/core/workflow/utils/condition/processor.py. PURE.
 *
 * An expected value that is a string is first rendered as a template, as Dify
 * does (`{{#node.var#}}` may appear in it). A missing actual value fails every
 * operator except `empty`, `not contains`, `not in`, `null` and `not exists`.
 */
import type { Selector } from '../graph/types.js';
import { renderTemplate } from './template.js';
import type { VariablePool } from './variable-pool.js';

export const OPERATORS = [
  'contains', 'not contains', 'start with', 'end with', 'is', 'is not', 'empty', 'not empty',
  'in', 'not in', 'all of', '=', '≠', '>', '<', '≥', '≤', 'null', 'not null', 'exists', 'not exists',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  readonly variable_selector: Selector;
  readonly comparison_operator: string;
  readonly value?: unknown;
}

export function evaluateConditions(conditions: readonly Condition[], logical: string | undefined, pool: VariablePool): boolean {
  if (conditions.length === 0) return false;
  const test = (c: Condition) => compare(c.comparison_operator, pool.get(c.variable_selector), typeof c.value === 'string' ? renderTemplate(c.value, pool) : c.value);
  return logical === 'or' ? conditions.some(test) : conditions.every(test);
}

/** Thrown for an operator Dify does not know: a configuration error of the node. */
export class UnknownOperatorError extends Error {
  override name = 'UnknownOperatorError';
}

export function compare(op: string, actual: unknown, expected: unknown): boolean {
  const missing = actual === null || actual === undefined;
  switch (op) {
    case 'contains':
      if (missing) return false;
      return typeof actual === 'string' ? actual.includes(String(expected ?? '')) : Array.isArray(actual) ? actual.some((x) => loose(x, expected)) : false;
    case 'not contains':
      if (missing) return true;
      return !compare('contains', actual, expected);
    case 'start with': return typeof actual === 'string' && actual.startsWith(String(expected ?? ''));
    case 'end with': return typeof actual === 'string' && actual.endsWith(String(expected ?? ''));
    case 'is': return !missing && loose(actual, expected);
    case 'is not': return !missing && !loose(actual, expected);
    case 'empty': return isEmpty(actual);
    case 'not empty': return !isEmpty(actual);
    case 'in': return !missing && list(expected).some((x) => loose(actual, x));
    case 'not in': return missing || !list(expected).some((x) => loose(actual, x));
    case 'all of': return Array.isArray(actual) && list(expected).every((x) => actual.some((a) => loose(a, x)));
    case '=': case '≠': case '>': case '<': case '≥': case '≤': {
      if (missing) return false;
      const a = toNumber(actual), e = toNumber(expected);
      if (a === undefined || e === undefined) return false;
      return op === '=' ? a === e : op === '≠' ? a !== e : op === '>' ? a > e : op === '<' ? a < e : op === '≥' ? a >= e : a <= e;
    }
    case 'null': return missing;
    case 'not null': return !missing;
    case 'exists': return !missing;
    case 'not exists': return missing;
    default: throw new UnknownOperatorError(`Unknown comparison operator '${op}'.`);
  }
}

/** Python's `not value` (Dify's _assert_empty): 0 and false are empty too. */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Equality as Dify compares a variable with the text typed in the editor: booleans and numbers by value, the rest as strings. */
function loose(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean') return a === (typeof b === 'boolean' ? b : String(b).toLowerCase() === 'true');
  if (typeof a === 'number') return a === toNumber(b);
  return String(a) === String(b ?? '');
}

function list(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    try { const parsed: unknown = JSON.parse(v); if (Array.isArray(parsed)) return parsed; } catch { /* a plain string: one value */ }
    return [v];
  }
  return v === undefined || v === null ? [] : [v];
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') { const n = Number(v); return Number.isNaN(n) ? undefined : n; }
  return undefined;
}
