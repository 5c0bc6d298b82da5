import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type TypeCheck } from '@sinclair/typebox/compiler';
import { InputError } from '../errors.js';

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
export function parse<T extends TSchema>(schema: T, value: unknown, what = 'body'): Static<T> {
  const check = checker(schema);
  if (check.Check(value)) return value;
  const first = check.Errors(value).First();
  if (!first) throw new InputError(`Invalid ${what}.`);
  const field = fieldName(first.path);
  if (first.type === ValueErrorType.ObjectAdditionalProperties) throw new InputError(`Unknown field "${field}".`, field);
  if (field === '') throw new InputError(`Invalid ${what}: ${first.message.toLowerCase()}.`);
  if (first.value === undefined) throw new InputError(`${field} is required.`, field);
  throw new InputError(`${field}: ${first.message.toLowerCase()}.`, field);
}

/** A request's JSON body as an object (`{}` when there is none); 400 for any other JSON value. */
export function objectBody(ctx: { request: { body?: unknown } }): Record<string, unknown> {
  const value = ctx.request.body;
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('The request body must be a JSON object.', 'body');
  return value as Record<string, unknown>;
}

/** A query parameter's first value; undefined when absent or empty. */
export function queryString(ctx: { query: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const raw = ctx.query[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
}

/** An integer query parameter within [min, max] (`fallback` when absent); 400 naming it otherwise. */
export function queryInt(ctx: { query: Record<string, string | string[] | undefined> }, name: string, fallback: number, min: number, max: number): number {
  const raw = queryString(ctx, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new InputError(`${name} must be an integer from ${min} to ${max}.`, name);
  return value;
}
