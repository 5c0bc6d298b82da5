/**
 * Checks of parsed values, pure (no I/O; a leaf pure modules such as the DSL and
 * apps/config.ts may import): TypeBox schemas with the offending field named, and
 * the NUL / depth check every request body and imported DSL goes through.
 * http/validate.ts re-exports these beside its Koa helpers.
 */
import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type TypeCheck } from '@sinclair/typebox/compiler';
import { InputError } from './errors.js';

// TypeBox checks no string format it does not know; register the ones routes use.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether `value` is a UUID (so it can be looked up in a uuid column without a database error). */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const FORMATS: Record<string, RegExp> = {
  uuid: UUID,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/,
  uri: /^[a-z][a-z0-9+.-]*:\/\/\S+$/i,
};
for (const [name, pattern] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (value) => pattern.test(value));
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** `/a/b/0` → `a.b[0]`, the way a client names a field. */
function fieldName(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/**
 * Checks `value` against a TypeBox schema and returns it typed; otherwise throws
 * 400 `invalid_param` naming the first offending field.
 */
export function parse<T extends TSchema>(schema: T, value: unknown, what = 'body', at = ''): Static<T> {
  const check = checker(schema);
  if (check.Check(value)) return value;
  const first = check.Errors(value).First();
  if (!first) throw new InputError(`Invalid ${what}.`, at || undefined);
  const inner = fieldName(first.path);
  // `at` names where `value` sits in the request (e.g. `model_config`), so the field is named as the client sent it.
  const field = at && inner ? `${at}${inner.startsWith('[') ? '' : '.'}${inner}` : at || inner;
  if (first.type === ValueErrorType.ObjectAdditionalProperties) throw new InputError(`Unknown field "${field}".`, field);
  if (inner === '') throw new InputError(`Invalid ${what}: ${first.message.toLowerCase()}.`, at || undefined);
  if (first.value === undefined) throw new InputError(`${field} is required.`, field);
  throw new InputError(`${field}: ${first.message.toLowerCase()}.`, field);
}

/**
 * How deeply a JSON body (or an imported DSL) may nest. JSON.parse takes any
 * depth, but everything after it (validation, merging, JSON.stringify, the
 * logger) recurses: a 50,000-deep body overflowed the stack (issue #14). No
 * body or config of ours comes near 64 levels.
 */
export const MAX_JSON_DEPTH = 64;

/** Where a problem sits in a parsed value, and what it is. */
export interface JsonProblem {
  /** `a.b[0]` as a client names it; '' for the value itself. */
  field: string;
  problem: 'nul' | 'depth';
}

/**
 * The first string or key holding a NUL character (PostgreSQL refuses \u0000 in
 * text and jsonb, so it would fail as a database error) or the first place
 * nested deeper than {@link MAX_JSON_DEPTH}, in a parsed JSON value. Iterative:
 * it must not itself overflow on the values it is there to refuse.
 */
export function findJsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const stack: Array<[unknown, string, number]> = [[value, '', 1]];
  while (stack.length > 0) {
    const [v, field, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field, problem: 'nul' };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return { field, problem: 'depth' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${field}[${i}]`, depth + 1]);
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (key.includes('\u0000')) return { field, problem: 'nul' };
      stack.push([child, field ? `${field}.${key}` : key, depth + 1]);
    }
  }
  return undefined;
}

/** A problem as the 400 `invalid_param` a client gets. */
export function jsonProblemError(found: JsonProblem, what: string): InputError {
  const name = found.field || what;
  if (found.problem === 'nul') return new InputError(`${name} must not contain a NUL character (\\u0000).`, found.field || undefined);
  return new InputError(`The ${what} is nested more than ${MAX_JSON_DEPTH} levels deep${found.field ? ` (at ${found.field})` : ''}.`, found.field || undefined);
}

