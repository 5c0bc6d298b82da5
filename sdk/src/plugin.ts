/**
 * The shape of a plugin's default export.
 *
 * @module
 */

import type { ActivationContext } from "./context.js";
import type { DocumentLoader } from "./document-loader.js";
import type { Awaitable } from "./json.js";
import type { ModelProvider } from "./model-provider.js";
import type { WorkflowNode } from "./node.js";
import type { Tool } from "./tool.js";
import type { VectorStore } from "./vector-store.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` keeps contributions with specific schemas assignable. */

/** A tool with any schema and result. */
export type AnyTool = Tool<any, any>;
/** A model provider with any credentials schema. */
export type AnyModelProvider = ModelProvider<any>;
/** A workflow node with any schemas, handles and subgraphs. */
export type AnyWorkflowNode = WorkflowNode<any, any, any, any, any>;
/** A vector store with any credentials schema. */
export type AnyVectorStore = VectorStore<any>;

import { CONTRIBUTION_GROUP_KINDS as GROUP_KINDS, type ContributionKind } from "./kinds.js";

export type { ContributionKind } from "./kinds.js";

/** Any contribution. */
export type AnyContribution = AnyTool | AnyModelProvider | AnyWorkflowNode | AnyVectorStore | DocumentLoader;

/**
 * The contributions of a plugin, keyed by contribution id. Ids must match
 * {@link CONTRIBUTION_ID_PATTERN} and the ids declared in the manifest's
 * `tessera.contributes`.
 */
export interface PluginContributions {
  /** Tools, built with {@link defineTool}. */
  readonly tools?: Readonly<Record<string, AnyTool>>;
  /** Model providers, built with {@link defineModelProvider}. */
  readonly providers?: Readonly<Record<string, AnyModelProvider>>;
  /** Workflow nodes, built with {@link defineNode}. */
  readonly nodes?: Readonly<Record<string, AnyWorkflowNode>>;
  /** Vector stores, built with {@link defineVectorStore}. */
  readonly vectorStores?: Readonly<Record<string, AnyVectorStore>>;
  /** Document loaders, built with {@link defineDocumentLoader}. */
  readonly documentLoaders?: Readonly<Record<string, DocumentLoader>>;
}

/** The names of the contribution groups of a plugin. */
export type ContributionGroup = keyof PluginContributions;

/** Which contribution kind each group holds (the table lives in `kinds.ts`, shared with the console). */
export const CONTRIBUTION_GROUP_KINDS: Readonly<Record<ContributionGroup, ContributionKind>> = GROUP_KINDS;

/** What a plugin author passes to {@link definePlugin}. */
export interface PluginDefinition extends PluginContributions {
  /**
   * Called once after the plugin is loaded, before any contribution is used.
   * Throwing fails the plugin's activation.
   */
  activate?(ctx: ActivationContext): Awaitable<void>;
  /** Called once before the plugin is unloaded; release timers and caches here. */
  deactivate?(): Awaitable<void>;
}

type Group<T, K extends ContributionGroup> = T extends { readonly [P in K]?: infer X } ? NonNullable<X> : never;

/**
 * A plugin: the value a plugin package exports as its default export, as
 * returned by {@link definePlugin}. Every contribution group is present
 * (empty when the plugin contributes nothing of that kind).
 *
 * @typeParam T - The definition the plugin was built from.
 */
export interface Plugin<T extends PluginDefinition = PluginDefinition> {
  /** Discriminator. */
  readonly kind: "plugin";
  /** The {@link SDK_API_VERSION} the plugin was built with. */
  readonly apiVersion: string;
  /** Tools by id. */
  readonly tools: Group<T, "tools">;
  /** Model providers by id. */
  readonly providers: Group<T, "providers">;
  /** Workflow nodes by id. */
  readonly nodes: Group<T, "nodes">;
  /** Vector stores by id. */
  readonly vectorStores: Group<T, "vectorStores">;
  /** Document loaders by id. */
  readonly documentLoaders: Group<T, "documentLoaders">;
  /** See {@link PluginDefinition.activate}. */
  readonly activate?: (ctx: ActivationContext) => Awaitable<void>;
  /** See {@link PluginDefinition.deactivate}. */
  readonly deactivate?: () => Awaitable<void>;
}

/**
 * Returns `true` if `value` looks like a {@link Plugin} (a plugin bundle's
 * default export). Checks the shape only, not the contributions' methods.
 *
 * @param value - Any value.
 */
export function isPlugin(value: unknown): value is Plugin {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    p["kind"] === "plugin" &&
    typeof p["apiVersion"] === "string" &&
    (Object.keys(CONTRIBUTION_GROUP_KINDS) as ContributionGroup[]).every(
      (g) => typeof p[g] === "object" && p[g] !== null,
    )
  );
}
