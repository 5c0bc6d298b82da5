/**
 * The vector-store extension point, and the metadata filter language shared by
 * all vector stores.
 *
 * @module
 */

import type { PluginContext } from "./context.js";
import type { Awaitable, InferSchema, JsonSchema, JsonValue } from "./json.js";

/** How vector similarity is measured. */
export type DistanceMetric = "cosine" | "dot" | "euclidean";

/** The parameters of a collection, passed to {@link VectorStore.ensureCollection}. */
export interface CollectionSpec {
  /** Collection name, unique within the store: `^[a-z0-9][a-z0-9_-]{0,62}$`. */
  readonly name: string;
  /** Vector dimension; every point in the collection has exactly this many components. */
  readonly dimension: number;
  /** Similarity metric. */
  readonly metric: DistanceMetric;
}

/** A point's metadata; filters match against its top-level keys. */
export type VectorPayload = Readonly<Record<string, JsonValue>>;

/** A vector with an id and metadata. */
export interface VectorPoint {
  /** Point id, unique within the collection (a UUID or any stable string). */
  readonly id: string;
  /** The vector. */
  readonly vector: readonly number[];
  /** Metadata stored alongside the vector. */
  readonly payload: VectorPayload;
}

/** A scalar value a filter compares against. */
export type FilterScalar = string | number | boolean;

/**
 * A metadata filter. Conditions address top-level payload keys. When a payload
 * value is an array, `eq` and `in` match if *any* element matches.
 *
 * Build filters with the {@link filter} helpers:
 * `filter.and(filter.eq("lang", "en"), filter.range("year", { gte: 2020 }))`.
 */
export type MetadataFilter =
  | { readonly op: "eq"; readonly field: string; readonly value: FilterScalar }
  | { readonly op: "in"; readonly field: string; readonly values: readonly FilterScalar[] }
  | ({ readonly op: "range"; readonly field: string } & RangeBounds)
  | { readonly op: "and"; readonly filters: readonly MetadataFilter[] }
  | { readonly op: "or"; readonly filters: readonly MetadataFilter[] };

/** Bounds of a `range` condition; at least one should be given. Numbers or ISO-8601 strings. */
export interface RangeBounds {
  /** Greater than. */
  readonly gt?: number | string;
  /** Greater than or equal. */
  readonly gte?: number | string;
  /** Less than. */
  readonly lt?: number | string;
  /** Less than or equal. */
  readonly lte?: number | string;
}

/** Builders for {@link MetadataFilter} values. */
export const filter = Object.freeze({
  /** `field` equals `value`. */
  eq: (field: string, value: FilterScalar): MetadataFilter => ({ op: "eq", field, value }),
  /** `field` equals one of `values`. */
  in: (field: string, values: readonly FilterScalar[]): MetadataFilter => ({ op: "in", field, values }),
  /** `field` lies within `bounds`. */
  range: (field: string, bounds: RangeBounds): MetadataFilter => ({ op: "range", field, ...bounds }),
  /** All of `filters` match (an empty `and` matches everything). */
  and: (...filters: MetadataFilter[]): MetadataFilter => ({ op: "and", filters }),
  /** Any of `filters` matches (an empty `or` matches nothing). */
  or: (...filters: MetadataFilter[]): MetadataFilter => ({ op: "or", filters }),
});

/**
 * The reference semantics of {@link MetadataFilter}: returns whether `payload`
 * matches `f`. Stores that cannot push a filter down may post-filter with it.
 *
 * @param payload - A point's payload.
 * @param f - The filter.
 */
export function matchesFilter(payload: VectorPayload, f: MetadataFilter): boolean {
  switch (f.op) {
    case "and":
      return f.filters.every((g) => matchesFilter(payload, g));
    case "or":
      return f.filters.some((g) => matchesFilter(payload, g));
    case "eq":
      return values(payload, f.field).some((v) => v === f.value);
    case "in":
      return values(payload, f.field).some((v) => f.values.includes(v as FilterScalar));
    case "range":
      return values(payload, f.field).some((v) => inRange(v, f));
  }
}

function values(payload: VectorPayload, field: string): readonly JsonValue[] {
  if (!Object.prototype.hasOwnProperty.call(payload, field)) return [];
  const v = payload[field];
  return Array.isArray(v) ? (v as readonly JsonValue[]) : [v as JsonValue];
}

function inRange(v: JsonValue, b: RangeBounds): boolean {
  if (typeof v !== "number" && typeof v !== "string") return false;
  const cmp = (bound: number | string | undefined, ok: (c: number) => boolean): boolean => {
    if (bound === undefined) return true;
    if (typeof bound !== typeof v) return false;
    return ok(v < bound ? -1 : v > bound ? 1 : 0);
  };
  return cmp(b.gt, (c) => c > 0) && cmp(b.gte, (c) => c >= 0) && cmp(b.lt, (c) => c < 0) && cmp(b.lte, (c) => c <= 0);
}

/** Which points {@link VectorStore.delete} removes. */
export type DeleteSelector = { readonly ids: readonly string[] } | { readonly filter: MetadataFilter };

/** A similarity query. */
export interface VectorQuery {
  /** The query vector. */
  readonly vector: readonly number[];
  /** Maximum number of hits. */
  readonly k: number;
  /** Only consider points matching this filter. */
  readonly filter?: MetadataFilter;
}

/** A full-text query. */
export interface KeywordQuery {
  /** The query text. */
  readonly query: string;
  /** Maximum number of hits. */
  readonly k: number;
  /** Only consider points matching this filter. */
  readonly filter?: MetadataFilter;
}

/** One search result. */
export interface VectorHit {
  /** The point id. */
  readonly id: string;
  /** Similarity; higher is more similar whatever the metric (stores convert distances). */
  readonly score: number;
  /** The point's payload. */
  readonly payload: VectorPayload;
}

/**
 * What a plugin author writes to implement a vector store (see
 * {@link defineVectorStore}). Connection settings (URL, API key, ...) are
 * configured per workspace through the form described by `credentialsSchema`
 * and read at call time with `ctx.secrets`.
 *
 * @typeParam S - The credentials/connection schema.
 */
export interface VectorStoreDefinition<S extends JsonSchema = JsonSchema> {
  /** Display name, e.g. `"Qdrant"`. */
  readonly label?: string;
  /** JSON Schema of the connection settings form (URL, API key, ...). */
  readonly credentialsSchema?: S;
  /** Checks the connection settings; throws `plugin_credentials_invalid` if they do not work. */
  validateCredentials?(credentials: InferSchema<S>, ctx: PluginContext): Awaitable<void>;
  /**
   * Creates the collection if it does not exist. If it exists with a different
   * dimension or metric, throws `plugin_invalid_arguments`.
   */
  ensureCollection(spec: CollectionSpec, ctx: PluginContext): Awaitable<void>;
  /** Inserts or replaces points by id. */
  upsert(collection: string, points: readonly VectorPoint[], ctx: PluginContext): Awaitable<void>;
  /** Deletes points by id or by filter. Deleting missing ids is not an error. */
  delete(collection: string, selector: DeleteSelector, ctx: PluginContext): Awaitable<void>;
  /** Returns the `k` most similar points, best first. */
  search(collection: string, query: VectorQuery, ctx: PluginContext): Awaitable<readonly VectorHit[]>;
  /** Full-text search (e.g. BM25), best first; enables hybrid retrieval. */
  keywordSearch?(collection: string, query: KeywordQuery, ctx: PluginContext): Awaitable<readonly VectorHit[]>;
  /** Deletes the collection and all its points. Dropping a missing collection is not an error. */
  dropCollection?(collection: string, ctx: PluginContext): Awaitable<void>;
}

/**
 * A vector store contribution, as returned by {@link defineVectorStore}.
 *
 * @typeParam S - The credentials/connection schema.
 */
export interface VectorStore<S extends JsonSchema = JsonSchema> extends VectorStoreDefinition<S> {
  /** Discriminator attached by {@link defineVectorStore}. */
  readonly kind: "vector-store";
}
