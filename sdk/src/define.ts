/**
 * The `define*` helpers plugin authors build their default export with.
 *
 * They are identity-like: they check the definition's shape, attach the
 * `kind` discriminator and return it, and their signatures give strong type
 * inference (TypeBox schemas type the arguments, configs, inputs, outputs and
 * credentials that the methods receive). This module imports no Node
 * built-ins and is safe to run inside the plugin isolate.
 *
 * @module
 */

import type { DocumentLoader, DocumentLoaderDefinition } from "./document-loader.js";
import { checkArguments } from "./arguments.js";
import { PluginError } from "./errors.js";
import { isContributionId } from "./ids.js";
import type { JsonSchema, JsonValue } from "./json.js";
import type { ModelProvider, ModelProviderDefinition } from "./model-provider.js";
import type { NodeDefinition, WorkflowNode } from "./node.js";
import {
  CONTRIBUTION_GROUP_KINDS,
  type ContributionGroup,
  type Plugin,
  type PluginDefinition,
} from "./plugin.js";
import type { Tool, ToolDefinition } from "./tool.js";
import type { VectorStore, VectorStoreDefinition } from "./vector-store.js";
import { SDK_API_VERSION } from "./version.js";

/**
 * Defines a tool.
 *
 * @example
 * ```ts
 * export const search = defineTool({
 *   description: "Searches the web",
 *   parameters: Type.Object({ query: Type.String(), limit: Type.Optional(Type.Integer()) }),
 *   async invoke({ query, limit }, ctx) {       // query: string, limit: number | undefined
 *     const res = await ctx.fetch(`https://api.example.com/search?q=${encodeURIComponent(query)}`);
 *     return (await res.json()) as JsonValue;
 *   },
 * });
 * ```
 * @param def - The tool definition.
 * @returns The definition with `kind: "tool"`.
 */
export function defineTool<P extends JsonSchema, R extends JsonValue>(def: ToolDefinition<P, R>): Tool<P, R> {
  requireFunctions(def, "tool", ["invoke"], ["stream"]);
  requireObject(def, "tool", "parameters");
  const proto: unknown = Object.getPrototypeOf(def);
  if (proto !== Object.prototype && proto !== null) return withKind(def, "tool");
  // Arguments are checked against `parameters` before the tool's code sees them.
  const { invoke, stream } = def;
  const checked: ToolDefinition<P, R> = {
    ...def,
    invoke(args, ctx) {
      checkArguments(def.parameters, args);
      return invoke.call(this, args, ctx);
    },
    ...(stream
      ? {
          stream(args, ctx) {
            checkArguments(def.parameters, args);
            return stream.call(this, args, ctx);
          },
        }
      : {}),
  };
  return withKind(checked, "tool");
}

/**
 * Defines a model provider.
 *
 * @param def - The provider definition.
 * @returns The definition with `kind: "model-provider"`.
 */
export function defineModelProvider<S extends JsonSchema>(def: ModelProviderDefinition<S>): ModelProvider<S> {
  requireFunctions(def, "model provider", ["validateCredentials", "listModels", "chat"], ["embed", "rerank", "moderate", "countTokens"]);
  requireObject(def, "model provider", "credentialsSchema");
  return withKind(def, "model-provider");
}

/**
 * Defines a vector store.
 *
 * @param def - The vector store definition.
 * @returns The definition with `kind: "vector-store"`.
 */
export function defineVectorStore<S extends JsonSchema = JsonSchema>(def: VectorStoreDefinition<S>): VectorStore<S> {
  requireFunctions(
    def,
    "vector store",
    ["ensureCollection", "upsert", "delete", "search"],
    ["validateCredentials", "keywordSearch", "dropCollection"],
  );
  return withKind(def, "vector-store");
}

/**
 * Defines a workflow node. Handle and subgraph names are inferred as literal
 * types, so `run` can only return declared handles and only run declared
 * subgraphs.
 *
 * @example
 * ```ts
 * export const ifElse = defineNode({
 *   inputSchema: Type.Object({ value: Type.Number() }),
 *   outputSchema: Type.Object({}),
 *   handles: ["true", "false"],
 *   run: ({ inputs }) => ({ outputs: {}, handle: inputs.value > 0 ? "true" : "false" }),
 * });
 * ```
 * @param def - The node definition.
 * @returns The definition with `kind: "node"`.
 */
export function defineNode<
  CS extends JsonSchema = JsonSchema,
  IS extends JsonSchema = JsonSchema,
  OS extends JsonSchema = JsonSchema,
  const H extends string = "source",
  const G extends string = never,
>(def: NodeDefinition<CS, IS, OS, H, G>): WorkflowNode<CS, IS, OS, H, G> {
  requireFunctions(def, "node", ["run"], []);
  for (const key of ["handles", "subgraphs"] as const) {
    const names: unknown = def[key];
    if (names === undefined) continue;
    if (!Array.isArray(names)) invalid(`node ${key} must be an array of ids`);
    const seen = new Set<string>();
    for (const name of names) {
      if (!isContributionId(name)) invalid(`node ${key} entry ${JSON.stringify(name)} must be a lower-case kebab-case id`);
      if (seen.has(name)) invalid(`node ${key} entry "${name}" is declared twice`);
      seen.add(name);
    }
  }
  return withKind(def, "node");
}

/**
 * Defines a document loader.
 *
 * @param def - The loader definition.
 * @returns The definition with `kind: "document-loader"`.
 */
export function defineDocumentLoader(def: DocumentLoaderDefinition): DocumentLoader {
  requireFunctions(def, "document loader", ["load"], []);
  if ((def.extensions?.length ?? 0) === 0 && (def.mimeTypes?.length ?? 0) === 0) {
    invalid("document loader must declare at least one extension or MIME type");
  }
  return withKind(def, "document-loader");
}

/**
 * Defines a plugin: collects its contributions (keyed by id) and lifecycle
 * hooks into the value the plugin bundle must `export default`.
 *
 * @example
 * ```ts
 * export default definePlugin({
 *   tools: { "web-search": search },
 *   nodes: { "if-positive": ifElse },
 * });
 * ```
 * @param def - The contributions and lifecycle hooks.
 * @returns The plugin, with every contribution group present.
 * @throws {@link PluginError} `plugin_invalid_definition` if a group holds a
 *   contribution of the wrong kind, an id is not kebab-case, or an unknown key is given.
 */
export function definePlugin<const T extends PluginDefinition>(def: T): Plugin<T> {
  if (typeof def !== "object" || def === null) invalid("definePlugin expects an object");
  const groups = Object.keys(CONTRIBUTION_GROUP_KINDS) as ContributionGroup[];
  for (const key of Object.keys(def)) {
    if (!(groups as string[]).includes(key) && key !== "activate" && key !== "deactivate") {
      invalid(`definePlugin: unknown key "${key}"; expected one of ${[...groups, "activate", "deactivate"].join(", ")}`);
    }
  }
  const plugin: Record<string, unknown> = { kind: "plugin", apiVersion: SDK_API_VERSION };
  for (const group of groups) {
    const entries: unknown = def[group] ?? {};
    if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
      invalid(`definePlugin: ${group} must be an object keyed by contribution id`);
    }
    const expected = CONTRIBUTION_GROUP_KINDS[group];
    for (const [id, contribution] of Object.entries(entries)) {
      if (!isContributionId(id)) invalid(`definePlugin: ${group} id "${id}" must be a lower-case kebab-case id`);
      const kind = (contribution as { kind?: unknown } | null)?.kind;
      if (kind !== expected) {
        invalid(`definePlugin: ${group}["${id}"] must be a ${expected} (got ${describeKind(kind)}); build it with the matching define* helper`);
      }
    }
    plugin[group] = Object.freeze({ ...entries });
  }
  for (const hook of ["activate", "deactivate"] as const) {
    const fn: unknown = def[hook];
    if (fn === undefined) continue;
    if (typeof fn !== "function") invalid(`definePlugin: ${hook} must be a function`);
    plugin[hook] = fn.bind(def);
  }
  return Object.freeze(plugin) as unknown as Plugin<T>;
}

function describeKind(kind: unknown): string {
  return typeof kind === "string" ? `kind "${kind}"` : "an object without a kind";
}

function invalid(message: string): never {
  throw new PluginError("plugin_invalid_definition", message);
}

function requireObject(def: object, what: string, key: string): void {
  const value = (def as Record<string, unknown>)[key];
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(`${what} ${key} must be a JSON Schema object`);
}

function requireFunctions(def: unknown, what: string, required: readonly string[], optional: readonly string[]): void {
  if (typeof def !== "object" || def === null) invalid(`${what} definition must be an object`);
  const o = def as Record<string, unknown>;
  for (const name of required) {
    if (typeof o[name] !== "function") invalid(`${what} must implement ${name}()`);
  }
  for (const name of optional) {
    if (o[name] !== undefined && typeof o[name] !== "function") invalid(`${what} ${name} must be a function when given`);
  }
}

/**
 * Attaches `kind`. Plain objects are copied; class instances get the property
 * defined on themselves so that prototype methods and private fields keep working.
 */
function withKind<D extends object, K extends string>(def: D, kind: K): D & { readonly kind: K } {
  const existing = (def as { kind?: unknown }).kind;
  if (existing !== undefined && existing !== kind) invalid(`expected kind "${kind}" but the definition says "${String(existing)}"`);
  const proto: unknown = Object.getPrototypeOf(def);
  if (proto === Object.prototype || proto === null) return { ...def, kind };
  if (existing === undefined) Object.defineProperty(def, "kind", { value: kind, enumerable: true });
  return def as D & { readonly kind: K };
}
