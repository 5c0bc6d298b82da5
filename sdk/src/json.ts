/**
 * JSON value types and small shared helper types used across the plugin contract.
 *
 * Everything that crosses the isolate boundary between the kernel and a plugin
 * must be representable by these types.
 *
 * @module
 */

import type { Static, TSchema } from "@sinclair/typebox";

/** A JSON primitive. */
export type JsonPrimitive = string | number | boolean | null;

/**
 * A JSON object. Properties may be `undefined` so that object types with
 * optional properties are accepted; `undefined` properties are dropped when
 * the value is serialised, exactly like `JSON.stringify` does.
 */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** A JSON array. */
export type JsonArray = JsonValue[];

/** Any value that survives a `JSON.stringify` / `JSON.parse` round-trip. */
export type JsonValue = JsonPrimitive | JsonObject | JsonArray | readonly JsonValue[];

/**
 * A JSON Schema document (draft 2020-12 / OpenAPI 3.1 dialect).
 *
 * The SDK does not constrain the keywords; any TypeBox schema is also a
 * `JsonSchema`, and when a TypeBox schema is used the `define*` helpers infer
 * the described TypeScript type from it.
 */
export interface JsonSchema {
  readonly [keyword: string]: unknown;
}

/**
 * The TypeScript type described by schema `S`.
 *
 * For a TypeBox schema this is `Static<S>`; for a plain JSON Schema object
 * (which carries no static type information) it is `Fallback`.
 *
 * @typeParam S - A TypeBox schema or a plain JSON Schema.
 * @typeParam Fallback - The type used when `S` is not a TypeBox schema.
 */
export type InferSchema<S, Fallback = Record<string, unknown>> = S extends TSchema ? Static<S> : Fallback;

/** A value or a promise of it; plugin methods may be synchronous or asynchronous. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Returns `true` when `value` implements the async-iteration protocol.
 *
 * The kernel uses this to tell a streaming return value (an async generator)
 * apart from a plain result, e.g. for {@link WorkflowNode.run}.
 *
 * @param value - Any value.
 */
export function isAsyncIterable<T = unknown>(value: unknown): value is AsyncIterable<T> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}
