import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { TesseraError } from '../../../src/errors.js';
import { compileGraph, GraphError, selectorIssues, validateNodeTypes, validateSelectors, type RawGraph } from '../../../src/workflows/graph/index.js';

interface Case {
  name: string;
  check?: 'selectors';
  expect?: { code: string; node?: string; other?: string };
  warn?: string[];
  graph: RawGraph;
}

const CASES = parse(readFileSync(new URL('../../fixtures/workflows/invalid/cases.yml', import.meta.url), 'utf8')) as Case[];

function thrown(fn: () => unknown): GraphError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(GraphError);
    return error as GraphError;
  }
  expect.fail('no error thrown');
}

describe('workflow graph validation (fixtures/workflows/invalid/cases.yml)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      if (c.warn) {
        const graph = compileGraph(c.graph);
        expect(graph.warnings?.map((w) => w.kind)).to.have.members(c.warn);
        for (const w of graph.warnings ?? []) expect(w.message).to.include(`(${w.nodeId})`);
        expect(selectorIssues(graph), 'an unreachable node is not checked').to.deep.equal([]);
        return;
      }
      const error = thrown(() => (c.check === 'selectors' ? validateSelectors(compileGraph(c.graph)) : compileGraph(c.graph)));
      expect(error).to.be.instanceOf(TesseraError);
      expect({ code: error.code, status: error.status, node: error.nodeId, other: error.otherNodeId }).to.deep.equal({ code: c.expect!.code, status: 400, node: c.expect!.node, other: c.expect!.other });
      expect(error.params).to.equal(c.expect!.node);
      // The message names the nodes too, for a person reading it.
      for (const id of [c.expect!.node, c.expect!.other]) if (id !== undefined) expect(error.message).to.include(id);
    });
  }

  it('compiles the selector cases themselves (their fault is only the selector)', () => {
    for (const c of CASES.filter((c) => c.check === 'selectors')) expect(() => compileGraph(c.graph), c.name).to.not.throw();
  });

  it('lists every selector fault, not only the first', () => {
    const graph = compileGraph({
      nodes: [
        { id: 'start', data: { type: 'start', title: 'Start' } },
        { id: 'answer', data: { type: 'answer', title: 'Answer', answer: '{{#x.a#}} {{#y.b#}} {{#sys.query#}} {{#env.KEY#}} {{#conversation.topic#}}' } },
      ],
      edges: [{ source: 'start', target: 'answer' }],
    });
    expect(selectorIssues(graph).map((e) => [e.code, e.otherNodeId])).to.deep.equal([
      ['workflow_selector_unknown_node', 'x'],
      ['workflow_selector_unknown_node', 'y'],
    ]);
  });

  it('refuses a node config nested deeper than any Dify writes, instead of overflowing the stack', () => {
    const deepList = (levels: number) => {
      let deep: unknown = ['a', 'b'];
      for (let i = 0; i < levels; i++) deep = [deep];
      return deep;
    };
    const nested = (levels: number) => ({ nodes: [{ id: 'start', data: { type: 'start', title: 'Start' } }, { id: 'n', data: { type: 'code', title: 'N', variables: [{ value_selector: deepList(levels) }] } }], edges: [{ source: 'start', target: 'n' }] });
    expect(thrown(() => compileGraph(nested(100_000))).code).to.equal('workflow_invalid_graph');
    expect(() => compileGraph(nested(55))).to.not.throw();
    // A graph built by hand skips compileGraph's check; the selector walk has its own.
    const graph = compileGraph(nested(1));
    const data = graph.nodes.get('n')!.data as unknown as { variables: Array<{ value_selector: unknown }> };
    data.variables[0]!.value_selector = deepList(100_000);
    const error = thrown(() => selectorIssues(graph));
    expect([error.code, error.nodeId]).to.deep.equal(['workflow_invalid_node', 'n']);
  });

  describe('validateNodeTypes', () => {
    const graph = compileGraph({
      nodes: [
        { id: 'start', data: { type: 'start', title: 'Start' } },
        { id: 'assign', data: { type: 'assigner', title: 'Assign', version: '2' } },
        { id: 'magic', data: { type: 'magic', title: 'Magic' } },
      ],
      edges: [
        { source: 'start', target: 'assign' },
        { source: 'assign', target: 'magic' },
      ],
    });
    const registry = new Map([['start', ['1']], ['assigner', ['1']], ['magic', ['1']]]);
    const known = (type: string, version: string) => registry.get(type)?.includes(version) ?? false;

    it('refuses a version the registry lacks, naming the node', () => {
      const error = thrown(() => validateNodeTypes(graph, known));
      expect([error.code, error.nodeId]).to.deep.equal(['workflow_unknown_node_type', 'assign']);
      expect(error.message).to.include("'assigner' version 2");
    });

    it('refuses an unknown type and counts the others', () => {
      registry.delete('magic');
      const error = thrown(() => validateNodeTypes(graph, known));
      expect(error.message).to.include("and 1 more: 'magic' v1");
      registry.set('assigner', ['1', '2']);
      expect(thrown(() => validateNodeTypes(graph, known)).nodeId).to.equal('magic');
      registry.set('magic', ['1']);
      expect(() => validateNodeTypes(graph, known)).to.not.throw();
    });
  });
});
