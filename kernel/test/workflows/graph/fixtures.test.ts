import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { compileGraph, exportGraph, selectorIssues, type RawGraph } from '../../../src/workflows/graph/index.js';

/**
 * Real Dify DSL files (fixtures/workflows/README.md says where each comes from),
 * compiled as they are. Counts: `nodes` excludes sticky notes (`notes`), `scopes`
 * is the number of iteration/loop bodies, `body` their node counts.
 */
const TABLE: Array<{ file: string; version: string; mode: string; nodes: number; notes: number; edges: number; body: Record<string, number>; features: string }> = [
  { file: 'document-chat-template.yml', version: '0.1.0', mode: 'workflow', nodes: 23, notes: 2, edges: 22, body: {}, features: 'question-classifier, if-else, knowledge-retrieval' },
  { file: 'translation-workflow.yml', version: '0.1.0', mode: 'workflow', nodes: 8, notes: 0, edges: 8, body: {}, features: 'if-else, variable-aggregator' },
  { file: 'jina-reader-jinja.yml', version: '0.1.0', mode: 'workflow', nodes: 10, notes: 0, edges: 8, body: { '1716911333343': 3 }, features: 'iteration without an iteration-start node (start_node_id names the first child)' },
  { file: 'claude3-code-translation.yml', version: '0.1.2', mode: 'workflow', nodes: 9, notes: 3, edges: 7, body: { '1720580108806': 2 }, features: 'iteration, tool' },
  { file: 'simple-kimi.yml', version: '0.1.2', mode: 'advanced-chat', nodes: 38, notes: 0, edges: 40, body: {}, features: 'parallel branches, document-extractor, list-operator, if-else' },
  { file: 'deep-researcher.yml', version: '0.1.5', mode: 'advanced-chat', nodes: 57, notes: 14, edges: 53, body: { '1739189441547': 2, '17391916793430': 2, '17391916807390': 2, '17391916827400': 2 }, features: 'four iterations, conversation variables, assigner, parameter-extractor' },
  { file: 'dify-conditional-parallel-code.yml', version: '0.3.1', mode: 'workflow', nodes: 6, notes: 0, edges: 8, body: {}, features: 'if-else into parallel branches, a join' },
  { file: 'dify-increment-loop.yml', version: '0.3.1', mode: 'workflow', nodes: 5, notes: 0, edges: 3, body: { '1754827949615': 2 }, features: 'loop with break condition and loop variables' },
];

const graphOf = (file: string) => {
  const dsl = parse(readFileSync(new URL(`../../fixtures/workflows/${file}`, import.meta.url), 'utf8')) as { version: string; app: { mode: string }; workflow: { graph: RawGraph } };
  return dsl;
};

describe('real Dify DSL files (fixtures/workflows)', () => {
  for (const row of TABLE) {
    describe(`${row.file} (DSL ${row.version}, ${row.mode}: ${row.features})`, () => {
      const dsl = graphOf(row.file);

      it('is the file the table describes', () => {
        expect([dsl.version, dsl.app.mode, dsl.workflow.graph.nodes.length]).to.deep.equal([row.version, row.mode, row.nodes + row.notes]);
      });

      it('compiles to the nodes, edges and scopes stated, without warnings', () => {
        const graph = compileGraph(dsl.workflow.graph);
        expect(graph.nodes.size).to.equal(row.nodes);
        expect(graph.edges.length).to.equal(row.edges);
        expect(Object.fromEntries([...graph.scopes].map(([id, scope]) => [id, scope.nodes.length]))).to.deep.equal(row.body);
        expect(graph.nodes.get(graph.top.root)!.type).to.equal('start');
        expect(graph.top.nodes.length + [...graph.scopes.values()].reduce((n, s) => n + s.nodes.length, 0)).to.equal(row.nodes);
        expect(graph.warnings).to.deep.equal([]);
      });

      it('has every selector naming a node upstream', () => {
        expect(selectorIssues(compileGraph(dsl.workflow.graph)).map((e) => e.message)).to.deep.equal([]);
      });

      it('exports losslessly: deep-equal, same key order', () => {
        const exported = exportGraph(compileGraph(dsl.workflow.graph));
        expect(exported).to.deep.equal(dsl.workflow.graph);
        expect(JSON.stringify(exported)).to.equal(JSON.stringify(dsl.workflow.graph));
      });
    });
  }

  it('compiles the largest fixture quickly (prints the time)', () => {
    const raw = graphOf('deep-researcher.yml').workflow.graph;
    for (let i = 0; i < 20; i++) compileGraph(raw); // warm up
    const rounds = 200;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) selectorIssues(compileGraph(raw));
    const ms = (performance.now() - started) / rounds;
    console.log(`      deep-researcher.yml (${raw.nodes.length} raw nodes): compile + selector checks ${ms.toFixed(2)} ms`);
    expect(ms).to.be.below(50);
  });
});
