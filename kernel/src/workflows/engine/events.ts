/**
 * What the engine tells its runner (issue #16). PURE. A later runner maps these
 * to Dify's SSE events (SERVICE_API.md §2.2): ids, timestamps in seconds and the
 * `task_id`/`workflow_run_id` envelope are the runner's; the engine gives node
 * ids, order, statuses, outputs and elapsed milliseconds from its injected clock.
 */
import type { NodeEvent, NodeResult } from '@tessera/sdk';
import type { GraphNode } from '../graph/types.js';
import type { EngineLimits } from './limits.js';
import type { VariablePool } from './variable-pool.js';

export type NodeStatus = 'succeeded' | 'failed' | 'exception' | 'stopped';
export type RunStatus = 'succeeded' | 'failed' | 'partial-succeeded' | 'stopped';

/** Where a node execution sits: inside which iteration or loop round, if any. */
export interface Position {
  readonly iterationId?: string;
  readonly iterationIndex?: number;
  readonly loopId?: string;
  readonly loopIndex?: number;
}

export interface NodeRef extends Position {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly title: string;
  /** 1-based order of node starts in the run (Dify's `index`). */
  readonly index: number;
  readonly predecessorNodeId: string | undefined;
}

export interface RunError {
  readonly code: string;
  readonly message: string;
  /** The node the run stopped at, when one. */
  readonly nodeId?: string;
}

export type EngineEvent =
  | ({ readonly type: 'node_started'; readonly at: number } & NodeRef)
  | ({
      readonly type: 'node_finished';
      readonly status: NodeStatus;
      readonly outputs: Readonly<Record<string, unknown>>;
      readonly handle: string | undefined;
      readonly error: string | undefined;
      readonly errorType: string | undefined;
      readonly elapsedMs: number;
      readonly at: number;
    } & NodeRef)
  | ({ readonly type: 'node_retry'; readonly retryIndex: number; readonly error: string; readonly errorType: string; readonly elapsedMs: number; readonly at: number } & NodeRef)
  | ({ readonly type: 'text_chunk'; readonly selector: readonly [string, string]; readonly text: string } & Position)
  | ({ readonly type: 'iteration_started' | 'loop_started'; readonly nodeId: string; readonly inputs: Readonly<Record<string, unknown>>; readonly at: number } & Position)
  | ({ readonly type: 'iteration_next' | 'loop_next'; readonly nodeId: string; readonly index: number; readonly at: number } & Position)
  | ({ readonly type: 'iteration_completed' | 'loop_completed'; readonly nodeId: string; readonly outputs: Readonly<Record<string, unknown>>; readonly steps: number; readonly error: string | undefined; readonly elapsedMs: number; readonly at: number } & Position)
  | {
      readonly type: 'run_finished';
      readonly status: RunStatus;
      readonly outputs: Readonly<Record<string, unknown>>;
      readonly error: RunError | undefined;
      readonly steps: number;
      readonly exceptionsCount: number;
      readonly elapsedMs: number;
    };

/** What a node executor receives beside the node. */
export interface NodeContext extends Position {
  readonly pool: VariablePool;
  readonly signal: AbortSignal;
  readonly limits: EngineLimits;
}

/** The seam: runs one node (any type but the containers the engine runs itself). */
export type ExecuteNode = (node: GraphNode, ctx: NodeContext) => Promise<NodeResult<Record<string, unknown>>> | NodeResult<Record<string, unknown>> | AsyncIterable<NodeEvent<Record<string, unknown>>>;

export interface RunOptions {
  readonly executeNode: ExecuteNode;
  readonly pool: VariablePool;
  readonly limits?: Partial<EngineLimits>;
  readonly signal?: AbortSignal;
  /** Milliseconds, monotonic enough for elapsed times and the time limit (e.g. performance.now). */
  readonly clock?: () => number;
  /** Waits between retries; injected so the engine imports no timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}
