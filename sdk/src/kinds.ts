/**
 * The contribution kinds and where each sits in a plugin and in its manifest:
 * the one table the kernel, the console and plugin tooling share. A leaf with
 * no imports, so the console can take it (`@tessera/sdk/kinds`) without the
 * schemas.
 *
 * @module
 */

/** The discriminator of each contribution kind. */
export type ContributionKind = "tool" | "model-provider" | "node" | "vector-store" | "document-loader";

/** Every contribution kind, in display order. */
export const CONTRIBUTION_KINDS: readonly ContributionKind[] = Object.freeze(["tool", "model-provider", "node", "vector-store", "document-loader"]);

/** Which contribution kind each group of a plugin's default export holds. */
export const CONTRIBUTION_GROUP_KINDS = Object.freeze({
  tools: "tool",
  providers: "model-provider",
  nodes: "node",
  vectorStores: "vector-store",
  documentLoaders: "document-loader",
} as const satisfies Record<string, ContributionKind>);

/**
 * The manifest list that declares each {@link CONTRIBUTION_GROUP_KINDS} group
 * (the plugin's `providers` are the manifest's `modelProviders`).
 */
export const MANIFEST_CONTRIBUTION_GROUPS = Object.freeze({
  tools: "tools",
  providers: "modelProviders",
  nodes: "nodes",
  vectorStores: "vectorStores",
  documentLoaders: "documentLoaders",
} as const);

/** The kind each manifest list declares (`modelProviders` → `model-provider`). */
export const MANIFEST_LIST_KINDS = Object.freeze({
  tools: "tool",
  modelProviders: "model-provider",
  nodes: "node",
  vectorStores: "vector-store",
  documentLoaders: "document-loader",
} as const satisfies Record<string, ContributionKind>);
