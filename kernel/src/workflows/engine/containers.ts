/**
 * Iteration and loop containers (issue #16): the engine runs a container's body
 * scope as a sub-run per item or round. PURE. After Dify's iteration and loop
 * nodes (api/core/workflow/nodes/iteration/iteration_node.py, loop/loop_node.py).
 *
 * Iteration: `iterator_selector` must be an array (null → output []); each item
 * runs in a child pool holding `[iteration_id, 'item']` and `[iteration_id, 'index']`,
 * sequentially or up to `parallel_nums` at once (`is_parallel`); `output_selector`
 * of each round is collected in item order. A failed round with
 * `error_handle_mode` `terminated` (the default) fails the iteration (then its own
 * error policy applies), `continue-on-error` keeps null in its place,
 * `remove-abnormal-output` drops it. `flatten_output` (default true, as in Dify
 * 1.x) flattens one level when every output is an array.
 *
 * Loop: loop variables are set at `[loop_id, label]` (constants, or a selector's
 * value); rounds share one pool so a body can update the variables (assigner); the break conditions are evaluated before the first round
 * and after each, and a `loop-end` node ends the loop; at most `loop_count`
 * (capped by `limits.maxLoopCount`) rounds. Outputs: the loop variables and
 * `loop_round` (rounds run), as Dify's `_run_single_loop` leaves them.
 */
import type { GraphNode, Selector } from '../graph/types.js';
import { evaluateConditions, type Condition } from './conditions.js';
import type { RunContext as Run, ScopeOutcome } from './run-context.js';
import { WorkflowRunError } from './errors.js';
import type { Position } from './events.js';
import type { VariablePool } from './variable-pool.js';

interface IterationData {
  iterator_selector?: Selector;
  output_selector?: Selector;
  is_parallel?: boolean;
  parallel_nums?: number;
  error_handle_mode?: 'terminated' | 'continue-on-error' | 'remove-abnormal-output';
  flatten_output?: boolean;
}

interface LoopData {
  loop_count?: number;
  break_conditions?: Condition[];
  logical_operator?: 'and' | 'or';
  loop_variables?: Array<{ label: string; var_type?: string; value_type?: 'constant' | 'variable'; value?: unknown }>;
}

const REMOVED = Symbol('removed');

function body(run: Run, node: GraphNode) {
  const scope = run.graph.scopes.get(node.id);
  if (!scope) throw new WorkflowRunError('workflow_node_failed', `Container ${node.id} (${node.title}) has no body.`, node.id);
  return scope;
}

/** A failed round: fatal errors end the run whatever the mode. */
function roundError(node: GraphNode, outcome: ScopeOutcome): WorkflowRunError {
  const e = outcome.error;
  if (e?.fatal) return e;
  return new WorkflowRunError('workflow_node_failed', e?.message ?? `A round of ${node.id} (${node.title}) was stopped.`, e?.nodeId ?? node.id);
}

export async function runIteration(run: Run, node: GraphNode, pool: VariablePool, position: Position, signal: AbortSignal): Promise<Record<string, unknown>> {
  const data = node.data as IterationData;
  const scope = body(run, node);
  const items = data.iterator_selector ? pool.get(data.iterator_selector) : undefined;
  if (items === undefined || (items !== null && !Array.isArray(items))) {
    throw new WorkflowRunError('workflow_iteration_input_invalid', `Iteration ${node.id} (${node.title}): ${items === undefined ? 'its input variable is missing' : 'its input is not an array'}.`, node.id);
  }
  const list = (items ?? []) as unknown[];
  const started = run.clock();
  const stepsBefore = run.steps;
  run.emit({ type: 'iteration_started', nodeId: node.id, inputs: { iterator_selector: list }, at: started, ...position });
  const mode = data.error_handle_mode ?? 'terminated';
  const width = data.is_parallel ? Math.max(1, Math.min(Number(data.parallel_nums) || 10, run.limits.maxIterationParallel)) : 1;
  const results: unknown[] = new Array<unknown>(list.length);
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let failure: WorkflowRunError | undefined;
  let next = 0;
  const worker = async () => {
    while (!failure && !abort.signal.aborted && next < list.length) {
      const i = next++;
      const child = pool.child();
      child.set(node.id, 'item', list[i]);
      child.set(node.id, 'index', i);
      run.emit({ type: 'iteration_next', nodeId: node.id, index: i, at: run.clock(), ...position });
      const outcome = await run.runScope(scope, child, { iterationId: node.id, iterationIndex: i }, abort.signal);
      if (outcome.status === 'succeeded') results[i] = data.output_selector ? child.get(data.output_selector) ?? null : null;
      else if (outcome.error?.fatal || mode === 'terminated' || outcome.status === 'stopped') {
        failure ??= roundError(node, outcome);
        abort.abort(failure);
      } else results[i] = mode === 'continue-on-error' ? null : REMOVED;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(width, list.length) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  let output = results.filter((r) => r !== REMOVED);
  if ((data.flatten_output ?? true) && output.length > 0 && output.every(Array.isArray)) output = (output as unknown[][]).flat(1);
  run.emit({ type: 'iteration_completed', nodeId: node.id, outputs: failure ? {} : { output }, steps: run.steps - stepsBefore, error: failure?.message, elapsedMs: run.clock() - started, at: run.clock(), ...position });
  if (failure) throw failure;
  return { output };
}

export async function runLoop(run: Run, node: GraphNode, pool: VariablePool, position: Position, signal: AbortSignal): Promise<Record<string, unknown>> {
  const data = node.data as LoopData;
  const scope = body(run, node);
  const loopPool = pool.child();
  const vars = data.loop_variables ?? [];
  for (const v of vars) loopPool.set(node.id, v.label, initial(v, pool));
  const values = () => Object.fromEntries(vars.map((v) => [v.label, loopPool.get([node.id, v.label]) ?? null]));
  const started = run.clock();
  const stepsBefore = run.steps;
  run.emit({ type: 'loop_started', nodeId: node.id, inputs: values(), at: started, ...position });
  const conditions = data.break_conditions ?? [];
  const broken = () => conditions.length > 0 && evaluateConditions(conditions, data.logical_operator, loopPool);
  const count = Math.min(Math.max(0, Number(data.loop_count ?? 1) || 0), run.limits.maxLoopCount);
  let failure: WorkflowRunError | undefined;
  let rounds = 0;
  if (!broken()) {
    for (let i = 0; i < count; i++) {
      const outcome = await run.runScope(scope, loopPool, { loopId: node.id, loopIndex: i }, signal);
      rounds = i + 1;
      if (outcome.status !== 'succeeded') { failure = roundError(node, outcome); break; }
      if (outcome.loopEnd || broken() || i + 1 === count) break;
      // Dify announces the next round after a round (LoopNextEvent index=i+1), none before the first.
      run.emit({ type: 'loop_next', nodeId: node.id, index: i + 1, at: run.clock(), ...position });
    }
  }
  const outputs = { ...values(), loop_round: rounds };
  run.emit({ type: 'loop_completed', nodeId: node.id, outputs: failure ? {} : outputs, steps: run.steps - stepsBefore, error: failure?.message, elapsedMs: run.clock() - started, at: run.clock(), ...position });
  if (failure) throw failure;
  return outputs;
}

function initial(v: NonNullable<LoopData['loop_variables']>[number], pool: VariablePool): unknown {
  if (v.value_type === 'variable') return Array.isArray(v.value) ? pool.get(v.value as string[]) ?? null : null;
  if (v.var_type === 'number' && typeof v.value === 'string' && v.value.trim() !== '') return Number(v.value);
  if ((v.var_type === 'object' || v.var_type?.startsWith('array')) && typeof v.value === 'string') {
    try { return JSON.parse(v.value) as unknown; } catch { return v.value; }
  }
  return v.value ?? null;
}
