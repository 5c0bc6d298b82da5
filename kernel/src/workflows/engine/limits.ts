/**
 * A run's limits, as configuration (issue #16). PURE. Defaults are Dify's
 * (api/configs/feature/__init__.py): WORKFLOW_MAX_EXECUTION_STEPS 500,
 * WORKFLOW_MAX_EXECUTION_TIME 1200 s, GRAPH_ENGINE_MAX_WORKERS 10 (parallel
 * branches), the web's MAX_PARALLEL_LIMIT 10 (iteration parallel_nums) and
 * LOOP_NODE_MAX_COUNT 100.
 */
import { DEFAULT_VARIABLE_LIMITS, type VariableLimits } from './value-types.js';

export interface EngineLimits {
  /** Node executions per run, iterations' and loops' bodies included. */
  readonly maxSteps: number;
  readonly maxTimeMs: number;
  /** Nodes of one scope running at once. */
  readonly maxParallel: number;
  /** Cap on an iteration's parallel_nums. */
  readonly maxIterationParallel: number;
  /** Cap on a loop's loop_count. */
  readonly maxLoopCount: number;
  readonly variables: VariableLimits;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxSteps: 500,
  maxTimeMs: 1200_000,
  maxParallel: 10,
  maxIterationParallel: 10,
  maxLoopCount: 100,
  variables: DEFAULT_VARIABLE_LIMITS,
};

export function resolveLimits(partial: Partial<EngineLimits> | undefined): EngineLimits {
  return partial ? { ...DEFAULT_LIMITS, ...partial, variables: { ...DEFAULT_VARIABLE_LIMITS, ...partial.variables } } : DEFAULT_LIMITS;
}
