/**
 * The engine loop beyond the table (issue #16): a consumer that stops reading
 * stops the run, a stop before the start, and a node type the executor does not
 * know fails the run naming the node.
 */
import { expect } from 'chai';
import { runGraph } from '../../../src/workflows/engine/engine.js';
import type { EngineEvent } from '../../../src/workflows/engine/events.js';
import { VariablePool } from '../../../src/workflows/engine/variable-pool.js';
import { compileGraph } from '../../../src/workflows/graph/compile.js';
import { executeLogicNode } from '../../../src/workflows/nodes/index.js';

const retrying = compileGraph({
  nodes: [
    { id: 's', data: { type: 'start', title: 'Start', variables: [] } },
    { id: 'div', data: { type: 'assigner', version: '2', title: 'Divide', retry_config: { retry_enabled: true, max_retries: 10, retry_interval: 1000 }, items: [{ variable_selector: ['conversation', 'x'], input_type: 'constant', operation: '/=', value: 0 }] } },
    { id: 'odd', data: { type: 'no-such-node', title: 'Odd' } },
  ],
  edges: [{ source: 's', target: 'div' }, { source: 's', target: 'odd' }],
});

describe('workflow engine loop', () => {
  it('stops the run when its consumer stops reading (the sleep is aborted)', async () => {
    let aborted: unknown;
    const sleep = (_ms: number, signal: AbortSignal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => { aborted = signal.reason; reject(signal.reason as Error); }, { once: true }));
    const pool = new VariablePool({ conversation: { x: 1 } });
    const seen: string[] = [];
    for await (const e of runGraph(retrying, retrying.top, { executeNode: executeLogicNode, pool, sleep, limits: { maxParallel: 1 } })) {
      seen.push(e.type);
      if (e.type === 'node_retry') break;
    }
    expect(seen).to.deep.equal(['node_started', 'node_finished', 'node_started', 'node_retry']);
    expect(String(aborted)).to.match(/no longer read/);
  });

  it('fails the run naming a node whose type the executor does not know, stopping its parallel sibling', async () => {
    const events: EngineEvent[] = [];
    const sleep = (_ms: number, signal: AbortSignal) => new Promise<void>((resolve, reject) => { const t = setTimeout(resolve, 50); signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason as Error); }, { once: true }); });
    for await (const e of runGraph(retrying, retrying.top, { executeNode: executeLogicNode, pool: new VariablePool({ conversation: { x: 1 } }), sleep })) events.push(e);
    const last = events.at(-1)!;
    expect(last).to.include({ type: 'run_finished', status: 'failed' });
    expect(last.type === 'run_finished' && last.error).to.deep.include({ code: 'workflow_node_failed', nodeId: 'odd' });
    expect(last.type === 'run_finished' && last.error?.message).to.match(/Node type 'no-such-node' is not available/);
    expect(events.flatMap((e) => (e.type === 'node_finished' ? [`${e.nodeId}:${e.status}`] : []))).to.deep.equal(['s:succeeded', 'odd:failed', 'div:stopped']);
  });

  it('runs nothing when stopped before it starts', async () => {
    const stop = new AbortController();
    stop.abort();
    const events: EngineEvent[] = [];
    for await (const e of runGraph(retrying, retrying.top, { executeNode: executeLogicNode, pool: new VariablePool(), signal: stop.signal })) events.push(e);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'run_finished', status: 'stopped', steps: 0 });
  });
});
