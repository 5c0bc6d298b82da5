import { InputError } from '../errors.js';
import { findJsonProblem, jsonProblemError } from '../schema-check.js';

export { findJsonProblem, isUuid, jsonProblemError, MAX_JSON_DEPTH, parse, type JsonProblem } from '../schema-check.js';

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

/**
 * Koa middleware, after the body parser: refuses a body or query string with a
 * NUL character or nested too deeply, and a multipart one without a boundary,
 * once for every route, before any handler (path parameters: http/id-params.ts).
 */
export async function refuseHostileInput(ctx: { query: unknown; request: { body?: unknown }; get(field: string): string }, next: () => Promise<unknown>): Promise<void> {
  // The upload routes' multipart parser (busboy) throws outright on a multipart type without a boundary.
  const type = ctx.get('Content-Type');
  if (/^\s*multipart\//i.test(type) && !/;\s*boundary=[^;\s]/i.test(type)) throw new InputError('A multipart body needs a boundary in its Content-Type.', 'Content-Type');
  const inQuery = findJsonProblem(ctx.query);
  if (inQuery) throw jsonProblemError(inQuery, 'query string');
  const inBody = findJsonProblem(ctx.request.body);
  if (inBody) throw jsonProblemError(inBody, 'request body');
  await next();
}
