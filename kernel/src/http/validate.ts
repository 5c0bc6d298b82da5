import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type TypeCheck } from '@sinclair/typebox/compiler';
import { InputError } from '../errors.js';

// TypeBox checks no string format it does not know; register the ones routes use.
const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
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
