/**
 * The workflow-node extension point.
 *
 * A node receives its configuration (set in the workflow editor) and its
 * inputs (resolved from upstream variables), and produces outputs plus the
 * output handle through which execution continues.
 *
 * @module
 */

import type { AbortSignalLike } from "./abort.js";
import type { PluginContext } from "./context.js";
import type { PluginErrorJSON } from "./errors.js";
import type { Awaitable, InferSchema, JsonSchema, JsonValue } from "./json.js";

/** The handle execution follows when a node declares no handles or returns none. */
export const DEFAULT_HANDLE = "source";

/**
 * The reserved handle the kernel follows when `run` throws and the workflow
 * author enabled the node's "fail branch" error strategy. Nodes do not need to
 * declare it.
 */
export const FAIL_BRANCH_HANDLE = "fail-branch";

/** What a node's `run` receives. */
export interface NodeRunInput<C, I> {
  /** The node's configuration, validated against `configSchema`. */
  readonly config: C;
  /** The node's inputs, validated against `inputSchema`. */
  readonly inputs: I;
}

/** The final result of a node run. */
export interface NodeResult<O, H extends string = string> {
  /** The output variables, validated against `outputSchema`. */
  readonly outputs: O;
  /**
   * The source handle to continue from. Defaults to the first declared
   * handle, or {@link DEFAULT_HANDLE} when the node declares none.
   */
  readonly handle?: H;
}

/** A streamed piece of one output variable (e.g. LLM text shown as it arrives). */
export interface NodeChunkEvent<O> {
  /** Discriminator. */
  readonly type: "chunk";
  /** The output variable the text belongs to. */
  readonly output: keyof O & string;
  /** The text fragment. */
  readonly text: string;
}

/** The final event of a streamed node run. */
export interface NodeResultEvent<O, H extends string = string> {
  /** Discriminator. */
  readonly type: "result";
  /** The result. */
  readonly result: NodeResult<O, H>;
}

/**
 * An event of a streamed node run. A stream yields any number of `chunk`
 * events followed by exactly one `result` event.
 */
export type NodeEvent<O, H extends string = string> = NodeChunkEvent<O> | NodeResultEvent<O, H>;

/** What `run` may return: a result (possibly a promise of one) or an event stream. */
export type NodeRunOutput<O, H extends string = string> =
  | Awaitable<NodeResult<O, H>>
  | AsyncIterable<NodeEvent<O, H>>;

/** Options for {@link NodeContext.runSubgraph}. */
export interface SubgraphRunOptions {
  /** Cancels the subgraph run; defaults to the node's own signal. */
  readonly signal?: AbortSignalLike;
}

/** The outcome of one subgraph run. */
export type SubgraphResult =
  | {
      /** The subgraph reached its end node. */
      readonly status: "succeeded";
      /** The end node's outputs. */
      readonly outputs: Readonly<Record<string, JsonValue>>;
    }
  | {
      /** A node in the subgraph failed. */
      readonly status: "failed";
      /** What went wrong. */
      readonly error: PluginErrorJSON;
    };

/**
 * The context of a node run: the plugin capabilities plus the node's identity
 * and access to its nested subgraphs.
 *
 * @typeParam G - The names of the node's subgraph slots.
 */
export interface NodeContext<G extends string = string> extends PluginContext {
  /** The node instance being run. */
  readonly node: {
    /** The node's id within the workflow graph. */
    readonly id: string;
    /** The title the workflow author gave the node. */
    readonly title: string;
  };
  /**
   * Runs the nested subgraph in slot `subgraph` (e.g. the body of an
   * iteration or loop node) with `inputs` as its start variables. May be
   * called many times, also concurrently.
   */
  runSubgraph(
    subgraph: G,
    inputs: Readonly<Record<string, JsonValue>>,
    options?: SubgraphRunOptions,
  ): Promise<SubgraphResult>;
}

/**
 * What a plugin author writes to implement a workflow node (see {@link defineNode}).
 *
 * @typeParam CS - Config schema; a TypeBox schema types `input.config`.
 * @typeParam IS - Input schema; a TypeBox schema types `input.inputs`.
 * @typeParam OS - Output schema; a TypeBox schema types the result's `outputs`.
 * @typeParam H - Source handle names.
 * @typeParam G - Subgraph slot names.
 */
export interface NodeDefinition<
  CS extends JsonSchema = JsonSchema,
  IS extends JsonSchema = JsonSchema,
  OS extends JsonSchema = JsonSchema,
  H extends string = string,
  G extends string = string,
> {
  /** Display name in the node palette. */
  readonly label?: string;
  /** JSON Schema of the configuration edited in the workflow editor. */
  readonly configSchema?: CS;
  /** JSON Schema of the inputs. */
  readonly inputSchema?: IS;
  /** JSON Schema of the outputs. */
  readonly outputSchema?: OS;
  /**
   * The node's source handles, e.g. `["true", "false"]` for an if-else node.
   * Defaults to `[DEFAULT_HANDLE]`.
   */
  readonly handles?: readonly H[];
  /** Names of nested subgraph slots, e.g. `["body"]` for an iteration node. */
  readonly subgraphs?: readonly G[];
  /**
   * Runs the node. Return a result (or a promise of one), or an async
   * iterable — typically an `async function*` — that yields `chunk` events and
   * then one `result` event. Only declared handles may be returned.
   */
  run(input: NodeRunInput<InferSchema<CS>, InferSchema<IS>>, ctx: NodeContext<G>): NodeRunOutput<InferSchema<OS>, NoInfer<H>>;
}

/**
 * A workflow node contribution, as returned by {@link defineNode}.
 *
 * @typeParam CS - Config schema.
 * @typeParam IS - Input schema.
 * @typeParam OS - Output schema.
 * @typeParam H - Source handle names.
 * @typeParam G - Subgraph slot names.
 */
export interface WorkflowNode<
  CS extends JsonSchema = JsonSchema,
  IS extends JsonSchema = JsonSchema,
  OS extends JsonSchema = JsonSchema,
  H extends string = string,
  G extends string = string,
> extends NodeDefinition<CS, IS, OS, H, G> {
  /** Discriminator attached by {@link defineNode}. */
  readonly kind: "node";
}
