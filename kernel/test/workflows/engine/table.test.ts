/**
 * The engine's table runner (issue #16): each fixture in test/fixtures/workflows/engine
 * is a DSL-shaped file (app + workflow.graph) with runs: inputs (and optional
 * limits, a data patch per node, a stop) → the expected node order and statuses,
 * retries, iteration/loop rounds, streamed chunks, outputs and run status. The
 * graphs are compiled by the real compiler (compileGraph) and the nodes are the
 * real logic nodes (src/workflows/nodes); the clock is virtual and
 * the injected sleep moves it (and waits a little for real, so a stop can land).
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runGraph } from '../../../src/workflows/engine/engine.js';
import type { EngineEvent } from '../../../src/workflows/engine/events.js';
import type { EngineLimits } from '../../../src/workflows/engine/limits.js';
import { VariablePool } from '../../../src/workflows/engine/variable-pool.js';
import type { RawGraph } from '../../../src/workflows/graph/types.js';
import { compileGraph } from '../../../src/workflows/graph/compile.js';
import { executeLogicNode } from '../../../src/workflows/nodes/index.js';

const DIR = join(import.meta.dirname, '../../fixtures/workflows/engine');

interface Expect {
  status: string;
  nodes?: string[];
  sequence?: string[];
  retries?: string[];
  chunks?: string[];
  iterations?: Record<string, number[]>;
  loops?: Record<string, number[]>;
  outputs?: Record<string, unknown>;
  exceptions?: number;
  error?: { code: string; node?: string; message?: string };
}
interface Case {
  inputs: Record<string, unknown>;
  limits?: Partial<EngineLimits>;
  patch?: Record<string, Record<string, unknown>>;
  stop_on?: EngineEvent['type'];
  expect: Expect;
}
interface Fixture {
  app: { name: string; mode: string };
  workflow: { graph: RawGraph; conversation_variables?: Array<{ name: string; value: unknown }>; environment_variables?: Array<{ name: string; value: unknown }> };
  runs: Case[];
}

function label(e: { nodeId: string; iterationIndex?: number; loopIndex?: number }): string {
  return e.nodeId + (e.iterationIndex !== undefined ? `[${e.iterationIndex}]` : '') + (e.loopIndex !== undefined ? `(${e.loopIndex})` : '');
}

export async function runFixtureCase(fixture: Fixture, c: Case): Promise<EngineEvent[]> {
  const raw = structuredClone(fixture.workflow.graph);
  for (const [id, data] of Object.entries(c.patch ?? {})) Object.assign(raw.nodes.find((n) => n.id === id)!.data, data);
  const graph = compileGraph(raw);
  expect(graph.warnings ?? [], 'the fixture compiles without warnings').to.deep.equal([]);
  const pool = new VariablePool({
    inputs: c.inputs,
    system: { user_id: 'user-1', app_id: 'app-1', workflow_id: 'wf-1', workflow_run_id: 'run-1', timestamp: 1_700_000_000 },
    conversation: Object.fromEntries((fixture.workflow.conversation_variables ?? []).map((v) => [v.name, v.value])),
    environment: Object.fromEntries((fixture.workflow.environment_variables ?? []).map((v) => [v.name, v.value])),
  });
  let now = 0;
  const stop = new AbortController();
  const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve, reject) => {
    now += ms;
    const t = setTimeout(resolve, Math.min(ms, 20));
    signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason as Error); }, { once: true });
  });
  const events: EngineEvent[] = [];
  for await (const e of runGraph(graph, graph.top, { executeNode: executeLogicNode, pool, limits: c.limits, signal: stop.signal, clock: () => now, sleep })) {
    events.push(e);
    if (c.stop_on === e.type) stop.abort(new Error('stopped by the test'));
  }
  return events;
}

describe('workflow engine table (test/fixtures/workflows/engine)', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort()) {
    const fixture = parse(readFileSync(join(DIR, file), 'utf8')) as Fixture;
    fixture.runs.forEach((c, i) => {
      it(`${file} #${i + 1}: ${fixture.app.name} → ${c.expect.status}`, async () => {
        const events = await runFixtureCase(fixture, c);
        const x = c.expect;
        const last = events.at(-1)!;
        expect(last.type).to.equal('run_finished');
        if (last.type !== 'run_finished') return;
        expect(last.status, JSON.stringify(last.error)).to.equal(x.status);
        expect(events.filter((e) => e.type === 'run_finished')).to.have.length(1);
        const finished = events.flatMap((e) => (e.type === 'node_finished' ? [`${label(e)}:${e.status}`] : []));
        if (x.nodes) expect(finished).to.deep.equal(x.nodes);
        // Every started node finishes exactly once.
        const started = events.flatMap((e) => (e.type === 'node_started' ? [label(e)] : []));
        expect(finished.map((f) => f.slice(0, f.lastIndexOf(':'))).sort()).to.deep.equal([...started].sort());
        if (x.sequence) expect(events.flatMap((e) => (e.type === 'node_started' ? [`started:${label(e)}`] : e.type === 'node_finished' ? [`finished:${label(e)}`] : []))).to.deep.equal(x.sequence);
        expect(events.flatMap((e) => (e.type === 'node_retry' ? [`${e.nodeId}#${e.retryIndex}`] : []))).to.deep.equal(x.retries ?? []);
        if (x.chunks) expect(events.flatMap((e) => (e.type === 'text_chunk' ? [e.text] : []))).to.deep.equal(x.chunks);
        for (const [id, rounds] of Object.entries(x.iterations ?? {})) expect(events.flatMap((e) => (e.type === 'iteration_next' && e.nodeId === id ? [e.index] : []))).to.deep.equal(rounds);
        for (const [id, rounds] of Object.entries(x.loops ?? {})) expect(events.flatMap((e) => (e.type === 'loop_next' && e.nodeId === id ? [e.index] : []))).to.deep.equal(rounds);
        if (x.outputs) expect(last.outputs).to.deep.equal(x.outputs);
        expect(last.exceptionsCount).to.equal(x.exceptions ?? 0);
        if (x.error) {
          expect(last.error?.code).to.equal(x.error.code);
          if (x.error.node) expect(last.error?.nodeId).to.equal(x.error.node);
          if (x.error.message) expect(last.error?.message).to.contain(x.error.message);
        } else expect(last.error).to.equal(undefined);
        expect(last.steps).to.equal(started.length);
      });
    });
  }
});
