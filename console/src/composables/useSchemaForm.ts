import type { JsonSchema } from '@/api/types';

export type FieldKind = 'boolean' | 'enum' | 'number' | 'integer' | 'secret' | 'textarea' | 'json' | 'text';

/** Which control a JSON Schema property gets. */
export function fieldKind(schema: JsonSchema): FieldKind {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.enum?.length) return 'enum';
  if (type === 'boolean') return 'boolean';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'object' || type === 'array') return 'json';
  if (schema['x-secret'] || schema.writeOnly || schema.format === 'password') return 'secret';
  if ((schema.maxLength ?? 0) > 300 || schema.format === 'textarea') return 'textarea';
  return 'text';
}

/** The schema's title, else the property name made readable (`base_url` → `Base url`). */
export function fieldLabel(name: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Missing required fields, by label — checked before a request so the user hears it at once. */
export function missingRequired(schema: JsonSchema, values: Record<string, unknown>): string[] {
  return (schema.required ?? []).filter((name) => values[name] === undefined || values[name] === '').map((name) => fieldLabel(name, schema.properties?.[name] ?? {}));
}

/** Properties in the order a person fills them: required first, then secrets, then those with a default, then the rest (stable). */
export function fieldOrder(schema: JsonSchema): Array<[string, JsonSchema]> {
  const required = new Set(schema.required ?? []);
  const rank = ([name, s]: [string, JsonSchema]) => (required.has(name) ? 0 : fieldKind(s) === 'secret' ? 1 : s.default !== undefined ? 2 : 3);
  return Object.entries(schema.properties ?? {})
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => rank(a.entry) - rank(b.entry) || a.index - b.index)
    .map(({ entry }) => entry);
}
