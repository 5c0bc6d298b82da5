import {
  defineVectorStore,
  definePlugin,
  matchesFilter,
  PluginError,
  type CollectionSpec,
  type DistanceMetric,
  type VectorPoint,
} from "@tessera/sdk";

interface Collection {
  readonly spec: CollectionSpec;
  readonly points: Map<string, VectorPoint>;
}

/**
 * Collections by workspace, then by name. Isolate memory is not persistent:
 * a real store talks to a database through `ctx.fetch` (declare its host in
 * `tessera.permissions.network.hosts`) or keeps small data in `ctx.kv`.
 */
const workspaces = new Map<string, Map<string, Collection>>();

function collectionsOf(workspaceId: string): Map<string, Collection> {
  let collections = workspaces.get(workspaceId);
  if (!collections) workspaces.set(workspaceId, (collections = new Map()));
  return collections;
}

function get(workspaceId: string, name: string): Collection {
  const collection = collectionsOf(workspaceId).get(name);
  if (!collection) throw new PluginError("plugin_not_found", `collection "${name}" does not exist`);
  return collection;
}

/** Similarity of two vectors; higher is more similar for every metric. */
export function similarity(metric: DistanceMetric, a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let dist = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
    dist += (x - y) ** 2;
  }
  if (metric === "dot") return dot;
  if (metric === "euclidean") return -Math.sqrt(dist);
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export const memory = defineVectorStore({
  label: "In-memory vectors",

  ensureCollection(spec, ctx) {
    const collections = collectionsOf(ctx.workspaceId);
    const existing = collections.get(spec.name);
    if (!existing) collections.set(spec.name, { spec, points: new Map() });
    else if (existing.spec.dimension !== spec.dimension || existing.spec.metric !== spec.metric) {
      throw new PluginError("plugin_invalid_arguments", `collection "${spec.name}" exists with a different dimension or metric`);
    }
  },

  upsert(name, points, ctx) {
    const collection = get(ctx.workspaceId, name);
    for (const point of points) {
      if (point.vector.length !== collection.spec.dimension) {
        throw new PluginError("plugin_invalid_arguments", `point "${point.id}" has ${point.vector.length} dimensions, expected ${collection.spec.dimension}`);
      }
      collection.points.set(point.id, point);
    }
  },

  delete(name, selector, ctx) {
    const collection = get(ctx.workspaceId, name);
    if ("ids" in selector) for (const id of selector.ids) collection.points.delete(id);
    else for (const [id, point] of collection.points) if (matchesFilter(point.payload, selector.filter)) collection.points.delete(id);
  },

  search(name, query, ctx) {
    const collection = get(ctx.workspaceId, name);
    const f = query.filter;
    return [...collection.points.values()]
      .filter((point) => !f || matchesFilter(point.payload, f))
      .map((point) => ({ id: point.id, score: similarity(collection.spec.metric, query.vector, point.vector), payload: point.payload }))
      .sort((a, b) => b.score - a.score)
      .slice(0, query.k);
  },

  dropCollection(name, ctx) {
    collectionsOf(ctx.workspaceId).delete(name);
  },
});

export default definePlugin({
  vectorStores: { memory },
});
