/**
 * The workflow engine: one async loop over a compiled graph (issue #16). PURE.
 *
 * Scheduling is Dify's graph engine's (api/core/workflow/graph_engine:
 * graph_traversal/edge_processor.py, skip_propagator.py): when a node finishes,
 * all its outgoing edges are TAKEN, or for a branch node (one whose result names
 * a handle: if-else, a classifier, a fail branch) the edges of that handle, the
 * others SKIPPED; a node runs
 * once none of its incoming edges is unresolved and at least one is taken; a node
 * all of whose incoming edges are skipped is skipped itself (no events) and its
 * outgoing edges with it, transitively — so a join after an if-else runs once,
 * with the branches that ran. Ready nodes run concurrently, at most
 * `limits.maxParallel` per scope.
 *
 * The engine knows no node type but the containers (iteration, loop: containers.ts)
 * and the structural roots of their bodies; every other node is `executeNode`.
 */
import type { Graph, GraphEdge, GraphNode, GraphScope } from '../graph/types.js';
import { Channel } from './channel.js';
import { runIteration, runLoop } from './containers.js';
import { WorkflowRunError, errorCode, errorMessage } from './errors.js';
import type { EngineEvent, ExecuteNode, Position, RunError, RunOptions } from './events.js';
import { resolveLimits, type EngineLimits } from './limits.js';
import { executeWithPolicy } from './policy.js';
import type { RunContext, ScopeOutcome } from './run-context.js';
import type { VariablePool } from './variable-pool.js';

const STRUCTURAL = new Set(['iteration-start', 'loop-start']);

export class Run implements RunContext {
  readonly limits: EngineLimits;
  readonly clock: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly executeNode: ExecuteNode;
  readonly events = new Channel<EngineEvent>();
  /** Aborted by the caller's signal: the run stops. */
  readonly stopSignal: AbortSignal;
  readonly startedAt: number;
  readonly stopper: AbortController;
  steps = 0;
  exceptions = 0;
  private index = 0;

  constructor(readonly graph: Graph, options: RunOptions) {
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? (() => Date.now());
    this.sleep = options.sleep ?? (() => Promise.resolve());
    this.executeNode = options.executeNode;
    // Our own controller: the caller's signal stops the run, and so does a consumer that stops reading.
    const own = new AbortController();
    if (options.signal?.aborted) own.abort(options.signal.reason);
    else options.signal?.addEventListener('abort', () => own.abort(options.signal!.reason), { once: true });
    this.stopper = own;
    this.stopSignal = own.signal;
    this.startedAt = this.clock();
  }

  emit(event: EngineEvent): void {
    this.events.push(event);
  }

  /** Runs `scope` from its root in `pool` until no node is ready; `signal` aborts it (a failure elsewhere, a stop). */
  runScope(scope: GraphScope, pool: VariablePool, position: Position, parentSignal: AbortSignal): Promise<ScopeOutcome> {
    const graph = this.graph;
    const members = new Set(scope.nodes);
    const edges = (list: readonly GraphEdge[] | undefined) => (list ?? []).filter((e) => members.has(e.target) && members.has(e.source));
    const state = new Map<string, 'taken' | 'skipped'>();
    const queued = new Set<string>();
    const ready: Array<{ id: string; from: string | undefined }> = [{ id: scope.root, from: undefined }];
    queued.add(scope.root);
    const abort = new AbortController();
    const onParentAbort = () => abort.abort(parentSignal.reason);
    if (parentSignal.aborted) abort.abort(parentSignal.reason);
    else parentSignal.addEventListener('abort', onParentAbort, { once: true });
    const outputs: Record<string, unknown> = {};
    let running = 0;
    let failure: WorkflowRunError | undefined;
    let loopEnd = false;

    const resolveTarget = (target: string, from: string) => {
      if (queued.has(target)) return;
      let taken = false;
      for (const e of edges(graph.incoming.get(target))) {
        const s = state.get(e.id);
        if (s === undefined) return; // Dify: an UNKNOWN incoming edge, wait
        if (s === 'taken') taken = true;
      }
      queued.add(target);
      if (taken) ready.push({ id: target, from });
      else for (const e of edges(graph.outgoing.get(target))) mark(e, 'skipped', target); // skip propagation
    };
    const mark = (e: GraphEdge, s: 'taken' | 'skipped', from: string) => {
      state.set(e.id, s);
      resolveTarget(e.target, from);
    };

    return new Promise<ScopeOutcome>((resolve) => {
      const finish = () => {
        parentSignal.removeEventListener('abort', onParentAbort);
        const stopped = !failure && (abort.signal.aborted || this.stopSignal.aborted);
        resolve({ status: failure ? 'failed' : stopped ? 'stopped' : 'succeeded', error: failure, loopEnd, outputs });
      };
      const pump = () => {
        while (!failure && !abort.signal.aborted && running < this.limits.maxParallel && ready.length > 0) {
          const { id, from } = ready.shift()!;
          running++;
          this.runNode(graph.nodes.get(id)!, from, pool, position, abort.signal).then(
            (done) => {
              running--;
              if (done.type === 'end') Object.assign(outputs, done.outputs);
              if (done.type === 'loop-end') loopEnd = true;
              if (!failure && !abort.signal.aborted) {
                const out = edges(graph.outgoing.get(id));
                // Take the handle's edges first: a join reached by both is then ready, not skipped.
                for (const e of out) if (takes(e, done.handle)) state.set(e.id, 'taken');
                for (const e of out) if (!takes(e, done.handle)) state.set(e.id, 'skipped');
                for (const e of out) mark(e, state.get(e.id)!, id);
              }
              pump();
            },
            (e: unknown) => {
              running--;
              if (!failure) {
                failure = e instanceof WorkflowRunError ? e : new WorkflowRunError('workflow_node_failed', errorMessage(e), undefined);
                abort.abort(failure);
              }
              pump();
            },
          );
        }
        if (running === 0 && (ready.length === 0 || failure || abort.signal.aborted)) finish();
      };
      pump();
    });
  }

  /** Runs one node; resolves with the handle taken, rejects with a WorkflowRunError when the run (or body) must fail. */
  private async runNode(node: GraphNode, from: string | undefined, pool: VariablePool, position: Position, signal: AbortSignal): Promise<{ handle: string | undefined; type: string; outputs: Record<string, unknown> }> {
    if (STRUCTURAL.has(node.type)) return { handle: undefined, type: node.type, outputs: {} };
    if (this.stopSignal.aborted) throw new WorkflowRunError('workflow_stopped', 'The run was stopped.', node.id, true);
    if (this.steps >= this.limits.maxSteps) throw new WorkflowRunError('workflow_step_limit', `Max steps ${this.limits.maxSteps} reached at node ${node.id} (${node.title}).`, node.id, true);
    if (this.clock() - this.startedAt > this.limits.maxTimeMs) throw new WorkflowRunError('workflow_time_limit', `Max run time ${this.limits.maxTimeMs / 1000} s reached at node ${node.id} (${node.title}).`, node.id, true);
    this.steps++;
    const ref = { nodeId: node.id, nodeType: node.type, title: node.title, index: ++this.index, predecessorNodeId: from, ...position };
    const started = this.clock();
    this.emit({ type: 'node_started', at: started, ...ref });
    const execute = node.type === 'iteration' ? () => runIteration(this, node, pool, position, signal) : node.type === 'loop' ? () => runLoop(this, node, pool, position, signal) : undefined;
    const done = await executeWithPolicy(this, node, ref, pool, position, signal, execute);
    return { handle: done.handle, type: node.type, outputs: done.outputs };
  }
}

/**
 * Dify's EdgeProcessor: a node without branches (no handle) takes every outgoing
 * edge, whatever its sourceHandle; a branch node only the edges of its handle.
 */
function takes(edge: GraphEdge, handle: string | undefined): boolean {
  return handle === undefined || edge.sourceHandle === handle || (handle === 'source' && edge.sourceHandle === 'success-branch');
}

/** Runs `scope` of `graph` (usually `graph.top`) and yields the engine's events, `run_finished` last. */
export async function* runGraph(graph: Graph, scope: GraphScope, options: RunOptions): AsyncIterable<EngineEvent> {
  const run = new Run(graph, options);
  let finished = false;
  const done = run.runScope(scope, options.pool, {}, run.stopSignal).then(
    (outcome) => {
      const stopped = run.stopSignal.aborted || outcome.status === 'stopped' || outcome.error?.code === 'workflow_stopped';
      const error: RunError | undefined = stopped
        ? { code: 'workflow_stopped', message: 'The run was stopped.' }
        : outcome.error ? { code: errorCode(outcome.error), message: outcome.error.message, ...(outcome.error.nodeId === undefined ? {} : { nodeId: outcome.error.nodeId }) } : undefined;
      const status = stopped ? 'stopped' : outcome.status === 'failed' ? 'failed' : run.exceptions > 0 ? 'partial-succeeded' : 'succeeded';
      run.emit({ type: 'run_finished', status, outputs: status === 'succeeded' || status === 'partial-succeeded' ? outcome.outputs : {}, error, steps: run.steps, exceptionsCount: run.exceptions, elapsedMs: run.clock() - run.startedAt });
      finished = true;
      run.events.close();
    },
  );
  try {
    yield* run.events;
  } finally {
    // A consumer that breaks off (a client gone) stops the run rather than leaving it running unread.
    if (!finished) run.stopper.abort(new Error('The run\'s events are no longer read.'));
    await done;
  }
}
