/**
 * The workflow graph as the engine reads it (issue #16), compiled from Dify's
 * graph JSON (`workflow.graph` of a DSL file: React Flow nodes and edges).
 * PURE: no I/O; imported by the engine, the runs around it and the DSL.
 *
 * The raw JSON is kept beside the compiled form so an export is lossless:
 * canvas layout, sticky notes, viewport and fields we do not read go back
 * out exactly as they came in.
 */

/** A variable's address: `[node_id, variable, ...path]`; `sys`, `env` and `conversation` are namespaces in place of a node id. */
export type Selector = readonly string[];

/** Namespaces a selector may start with instead of a node id. */
export const NAMESPACES = ['sys', 'env', 'conversation'] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** The node JSON of Dify's graph (React Flow's shape; `data` holds the node's config). */
export interface RawNode {
  id: string;
  /** `custom`, `custom-iteration-start`, `custom-loop-start`, `custom-note`. */
  type?: string;
  data: RawNodeData;
  parentId?: string;
  position?: { x: number; y: number };
  [layout: string]: unknown;
}

export interface RawNodeData {
  /** The node type id: `start`, `llm`, `if-else`, … (`''`/absent for a sticky note). */
  type: string;
  title?: string;
  desc?: string;
  version?: string;
  error_strategy?: 'fail-branch' | 'default-value' | 'none';
  default_value?: Array<{ key: string; type: string; value: unknown }>;
  retry_config?: { retry_enabled?: boolean; max_retries?: number; retry_interval?: number };
  isInIteration?: boolean;
  isInLoop?: boolean;
  iteration_id?: string;
  loop_id?: string;
  [config: string]: unknown;
}

export interface RawEdge {
  id?: string;
  source: string;
  target: string;
  /** `source` for ordinary nodes; an if-else case id or `false`, a classifier class id, `fail-branch`/`success-branch`. */
  sourceHandle?: string;
  targetHandle?: string;
  type?: string;
  data?: Record<string, unknown>;
  [layout: string]: unknown;
}

export interface RawGraph {
  nodes: RawNode[];
  edges: RawEdge[];
  viewport?: { x: number; y: number; zoom: number };
  [other: string]: unknown;
}

/** Dify's error strategies as one value (error policy is data). */
export interface NodePolicy {
  readonly retry: { readonly maxRetries: number; readonly intervalMs: number } | undefined;
  /** What a failure (after retries) does: fail the run, take the `fail-branch` handle, or output defaults. */
  readonly onError: { readonly kind: 'fail' } | { readonly kind: 'fail-branch' } | { readonly kind: 'default-value'; readonly outputs: Readonly<Record<string, unknown>> };
}

/** A node of the compiled graph. Sticky notes are not nodes (they stay in `raw`). */
export interface GraphNode {
  readonly id: string;
  /** Dify's node type id (`start`, `if-else`, …) and its version (`'1'` when the DSL names none). */
  readonly type: string;
  readonly version: string;
  readonly title: string;
  /** The node's config: Dify's `data`, as it came. */
  readonly data: Readonly<RawNodeData>;
  /** The iteration or loop this node belongs to (its direct container), if any. */
  readonly container: string | undefined;
  readonly policy: NodePolicy;
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** The source handle, normalized: `source` when the DSL leaves it out. */
  readonly sourceHandle: string;
}

/** One level of the graph: the top level, or the body of an iteration or loop. */
export interface GraphScope {
  /** The container node id (`undefined` at the top level). */
  readonly container: string | undefined;
  /** Where this scope starts: the start node (top), or the container's `iteration-start`/`loop-start` child. */
  readonly root: string;
  /** The node ids of this scope (not those of nested scopes). */
  readonly nodes: readonly string[];
  /** Every entry of the scope, `root` first: several only at the top of a graph with several trigger nodes (Dify picks the one fired). */
  readonly roots?: readonly string[];
}

/**
 * What Dify tolerates but is probably a mistake: reported at compile time (an
 * import's `completed-with-warnings`), never refused.
 */
export interface GraphWarning {
  readonly kind: 'unreachable_node' | 'fail_branch_without_strategy' | 'edge_without_endpoint';
  readonly message: string;
  readonly nodeId?: string;
}

/** The compiled graph: what the engine schedules over. */
export interface Graph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly edges: readonly GraphEdge[];
  /** Edges by source and by target node id. */
  readonly outgoing: ReadonlyMap<string, readonly GraphEdge[]>;
  readonly incoming: ReadonlyMap<string, readonly GraphEdge[]>;
  /** The top-level scope, and the body of every iteration/loop by container id. */
  readonly top: GraphScope;
  readonly scopes: ReadonlyMap<string, GraphScope>;
  /** The JSON it was compiled from, for a lossless export. */
  readonly raw: RawGraph;
  /** What compileGraph tolerated (unreachable nodes, …); absent on graphs built by hand. */
  readonly warnings?: readonly GraphWarning[];
}
