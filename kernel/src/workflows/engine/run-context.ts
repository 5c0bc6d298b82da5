/**
 * What the engine's parts (policy.ts, containers.ts) see of a run: a leaf, so
 * they do not import engine.ts (no import cycle; type-only imports count). PURE.
 */
import type { Graph, GraphScope } from '../graph/types.js';
import type { WorkflowRunError } from './errors.js';
import type { EngineEvent, ExecuteNode, Position } from './events.js';
import type { EngineLimits } from './limits.js';
import type { VariablePool } from './variable-pool.js';

/** How one scope (the top level, or one round of an iteration/loop body) ended. */
export interface ScopeOutcome {
  readonly status: 'succeeded' | 'failed' | 'stopped';
  readonly error: WorkflowRunError | undefined;
  /** A loop-end node ran (loop bodies only). */
  readonly loopEnd: boolean;
  /** End nodes' outputs, in the order they finished. */
  readonly outputs: Record<string, unknown>;
}

export interface RunContext {
  readonly graph: Graph;
  readonly limits: EngineLimits;
  readonly clock: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly executeNode: ExecuteNode;
  /** Aborted by the caller's signal: the run stops. */
  readonly stopSignal: AbortSignal;
  steps: number;
  exceptions: number;
  emit(event: EngineEvent): void;
  runScope(scope: GraphScope, pool: VariablePool, position: Position, parentSignal: AbortSignal): Promise<ScopeOutcome>;
}
