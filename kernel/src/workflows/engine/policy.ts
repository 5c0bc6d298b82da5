/**
 * One node execution under its error policy (issue #16; LAYOUT.md: "error policy
 * is data"). PURE. After Dify's graph engine (error_handler.py, retry in
 * node execution): up to `retry.maxRetries` retries, each announced by a
 * `node_retry` event and preceded by `retry.intervalMs` of the injected sleep;
 * then the strategy: `fail` fails the run (or the iteration/loop body), while
 * `fail-branch` and `default-value` finish the node with status `exception`,
 * outputs `{error_message, error_type}` (plus the defaults), and the
 * `fail-branch` handle or, for default values, every outgoing edge. Each exception counts in the run's
 * `exceptions_count` (status `partial-succeeded`).
 */
import { DEFAULT_HANDLE, FAIL_BRANCH_HANDLE, type NodeEvent, type NodeResult } from '@tessera/sdk';
import type { ErrorCode } from '../../errors/catalogue.js';
import type { GraphNode } from '../graph/types.js';
import type { RunContext as Run } from './run-context.js';
import { WorkflowRunError, errorMessage, errorType } from './errors.js';
import type { NodeRef, Position } from './events.js';
import { checkSize } from './value-types.js';
import type { VariablePool } from './variable-pool.js';

type Outputs = Record<string, unknown>;

export async function executeWithPolicy(run: Run, node: GraphNode, ref: NodeRef, pool: VariablePool, position: Position, signal: AbortSignal, container: (() => Promise<Outputs>) | undefined): Promise<{ handle: string | undefined; outputs: Outputs }> {
  const started = run.clock();
  const retry = node.policy.retry;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = container ? { outputs: await container() } : await collect(run, node, pool, position, signal);
      checkOutputs(run, node, result.outputs);
      pool.setAll(node.id, result.outputs);
      // Dify's branch nodes: a node that names a handle, or one with a fail branch (whose success is `source`).
      const handle = result.handle ?? (node.policy.onError.kind === 'fail-branch' ? DEFAULT_HANDLE : undefined);
      run.emit({ type: 'node_finished', status: 'succeeded', outputs: result.outputs, handle: handle ?? DEFAULT_HANDLE, error: undefined, errorType: undefined, elapsedMs: run.clock() - started, at: run.clock(), ...ref });
      return { handle, outputs: result.outputs };
    } catch (e) {
      const fatal = e instanceof WorkflowRunError && e.fatal;
      if (fatal || signal.aborted) {
        // A limit inside a container fails it; an abort (a stop, or a sibling's failure) stops it.
        const status = fatal && !run.stopSignal.aborted ? 'failed' : 'stopped';
        run.emit({ type: 'node_finished', status, outputs: {}, handle: undefined, error: errorMessage(e), errorType: errorType(e), elapsedMs: run.clock() - started, at: run.clock(), ...ref });
        throw fatal ? e : run.stopSignal.aborted ? new WorkflowRunError('workflow_stopped', 'The run was stopped.', node.id, true) : e;
      }
      if (retry && attempt < retry.maxRetries) {
        run.emit({ type: 'node_retry', retryIndex: attempt + 1, error: errorMessage(e), errorType: errorType(e), elapsedMs: run.clock() - started, at: run.clock(), ...ref });
        if (retry.intervalMs > 0) {
          try {
            await run.sleep(retry.intervalMs, signal);
          } catch (abort) {
            run.emit({ type: 'node_finished', status: 'stopped', outputs: {}, handle: undefined, error: errorMessage(e), errorType: errorType(e), elapsedMs: run.clock() - started, at: run.clock(), ...ref });
            throw run.stopSignal.aborted ? new WorkflowRunError('workflow_stopped', 'The run was stopped.', node.id, true) : abort;
          }
        }
        continue;
      }
      return onError(run, node, ref, pool, e, started);
    }
  }
}

function onError(run: Run, node: GraphNode, ref: NodeRef, pool: VariablePool, e: unknown, started: number): { handle: string | undefined; outputs: Outputs } {
  const policy = node.policy.onError;
  const error = errorMessage(e), type = errorType(e);
  if (policy.kind === 'fail') {
    run.emit({ type: 'node_finished', status: 'failed', outputs: {}, handle: undefined, error, errorType: type, elapsedMs: run.clock() - started, at: run.clock(), ...ref });
    throw e instanceof WorkflowRunError ? new WorkflowRunError(e.code as ErrorCode, e.message, e.nodeId ?? node.id, e.fatal) : new WorkflowRunError('workflow_node_failed', `Node ${node.id} (${node.title}) failed: ${error}`, node.id);
  }
  run.exceptions++;
  const outputs: Outputs = policy.kind === 'default-value' ? { ...policy.outputs, error_message: error, error_type: type } : { error_message: error, error_type: type };
  pool.setAll(node.id, outputs);
  // default-value goes on as a node without branches (Dify: follow_branch False), fail-branch by its handle.
  const handle = policy.kind === 'fail-branch' ? FAIL_BRANCH_HANDLE : undefined;
  run.emit({ type: 'node_finished', status: 'exception', outputs, handle: handle ?? DEFAULT_HANDLE, error, errorType: type, elapsedMs: run.clock() - started, at: run.clock(), ...ref });
  return { handle, outputs };
}

/** Calls the executor; a streamed run's chunks become text_chunk events, its last event the result. */
async function collect(run: Run, node: GraphNode, pool: VariablePool, position: Position, signal: AbortSignal): Promise<NodeResult<Outputs>> {
  const out = run.executeNode(node, { pool, signal, limits: run.limits, ...position });
  if (out === null || typeof out !== 'object' || !(Symbol.asyncIterator in out)) return await out;
  let result: NodeResult<Outputs> | undefined;
  for await (const event of out as AsyncIterable<NodeEvent<Outputs>>) {
    if (event.type === 'chunk') run.emit({ type: 'text_chunk', selector: [node.id, event.output], text: event.text, ...position });
    else result = event.result;
  }
  if (!result) throw new Error(`Node ${node.id} streamed no result.`);
  return result;
}

function checkOutputs(run: Run, node: GraphNode, outputs: Outputs): void {
  if (outputs === null || typeof outputs !== 'object') throw new WorkflowRunError('workflow_output_invalid', `Node ${node.id} (${node.title}) returned no outputs object.`, node.id);
  for (const [name, value] of Object.entries(outputs)) {
    const why = checkSize(value, run.limits.variables);
    if (why) throw new WorkflowRunError('workflow_output_invalid', `Output ${name} of node ${node.id} (${node.title}) ${why}.`, node.id);
  }
}
