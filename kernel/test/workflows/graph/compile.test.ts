import { expect } from 'chai';
import { compileGraph, exportGraph, type RawGraph } from '../../../src/workflows/graph/index.js';

/** A small chatflow in Dify's shape: a note, a handle-less edge, an iteration, a loop, policies. */
function raw(): RawGraph {
  return {
    nodes: [
      { id: 'start', type: 'custom', position: { x: 30, y: 300 }, data: { type: 'start', title: 'Start', variables: [] } },
      { id: 'note', type: 'custom-note', position: { x: 0, y: 0 }, data: { type: '', text: 'read me', theme: 'blue' } },
      { id: 'http', type: 'custom', data: { type: 'http-request', title: 'Fetch', error_strategy: 'fail-branch', retry_config: { retry_enabled: true, max_retries: 3, retry_interval: 250 } } },
      { id: 'code', type: 'custom', data: { type: 'code', title: '', error_strategy: 'default-value', default_value: [{ key: 'n', type: 'number', value: '42' }, { key: 'obj', type: 'object', value: '{"a":1}' }, { key: 's', type: 'string', value: 'x' }] } },
      { id: 'it', type: 'custom', data: { type: 'iteration', title: 'Each', start_node_id: 'itstart', iterator_selector: ['http', 'body'], output_selector: ['inner', 'text'] } },
      { id: 'itstart', type: 'custom-iteration-start', parentId: 'it', data: { type: 'iteration-start', isInIteration: true } },
      { id: 'inner', type: 'custom', parentId: 'it', data: { type: 'llm', title: 'Inner', isInIteration: true, iteration_id: 'it' } },
      { id: 'loop', type: 'custom', data: { type: 'loop', title: 'Loop', loop_count: 3 } },
      { id: 'loopstart', type: 'custom-loop-start', data: { type: 'loop-start', isInLoop: true, loop_id: 'loop' } },
      { id: 'assign', type: 'custom', data: { type: 'assigner', title: 'Assign', version: '2', isInLoop: true, loop_id: 'loop', retry_config: { retry_enabled: false, max_retries: 5 } } },
      { id: 'answer', type: 'custom', data: { type: 'answer', title: 'Answer', answer: '{{#inner.text#}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'http', sourceHandle: 'source', targetHandle: 'target', type: 'custom', data: { sourceType: 'start' } },
      { source: 'http', target: 'it' },
      { id: 'e3', source: 'http', target: 'code', sourceHandle: 'fail-branch' },
      { id: 'e4', source: 'itstart', target: 'inner', sourceHandle: 'source' },
      { id: 'e5', source: 'it', target: 'loop', sourceHandle: 'source' },
      { id: 'e6', source: 'loopstart', target: 'assign' },
      { id: 'e7', source: 'loop', target: 'answer' },
      { id: 'e8', source: 'code', target: 'answer' },
    ],
    viewport: { x: 1, y: 2, zoom: 0.5 },
  };
}

describe('compileGraph', () => {
  const graph = compileGraph(raw());

  it('leaves sticky notes out of the nodes, keeping them in raw', () => {
    expect([...graph.nodes.keys()]).to.deep.equal(['start', 'http', 'code', 'it', 'itstart', 'inner', 'loop', 'loopstart', 'assign', 'answer']);
    expect(graph.raw.nodes.map((n) => n.id)).to.include('note');
  });

  it('normalizes edges: a missing sourceHandle is source, a missing id is Dify\'s conventional one', () => {
    expect(graph.edges[1]).to.deep.equal({ id: 'http-source-it-target', source: 'http', target: 'it', sourceHandle: 'source' });
    expect(graph.edges[2]!.sourceHandle).to.equal('fail-branch');
    expect(graph.outgoing.get('http')!.map((e) => e.target)).to.deep.equal(['it', 'code']);
    expect(graph.incoming.get('answer')!.map((e) => e.source)).to.deep.equal(['loop', 'code']);
    expect(graph.outgoing.has('answer')).to.equal(false);
  });

  it('splits the graph into scopes: the top from the start node, a body per container from its start child', () => {
    expect(graph.top).to.deep.equal({ container: undefined, root: 'start', nodes: ['start', 'http', 'code', 'it', 'loop', 'answer'] });
    expect(graph.scopes.get('it')).to.deep.equal({ container: 'it', root: 'itstart', nodes: ['itstart', 'inner'] });
    // No parentId and no start_node_id: loop_id places the children, the loop-start child is the root.
    expect(graph.scopes.get('loop')).to.deep.equal({ container: 'loop', root: 'loopstart', nodes: ['loopstart', 'assign'] });
    expect(graph.nodes.get('inner')!.container).to.equal('it');
    expect(graph.nodes.get('answer')!.container).to.equal(undefined);
  });

  it('reads versions and titles, and each node\'s policy as data', () => {
    expect(graph.nodes.get('assign')!.version).to.equal('2');
    expect(graph.nodes.get('start')!.version).to.equal('1');
    expect(graph.nodes.get('code')!.title).to.equal('code');
    expect(graph.nodes.get('http')!.policy).to.deep.equal({ retry: { maxRetries: 3, intervalMs: 250 }, onError: { kind: 'fail-branch' } });
    expect(graph.nodes.get('code')!.policy).to.deep.equal({ retry: undefined, onError: { kind: 'default-value', outputs: { n: 42, obj: { a: 1 }, s: 'x' } } });
    expect(graph.nodes.get('assign')!.policy).to.deep.equal({ retry: undefined, onError: { kind: 'fail' } });
    expect(graph.nodes.get('http')!.data.title).to.equal('Fetch');
  });

  it('has no warnings for a sound graph', () => {
    expect(graph.warnings).to.deep.equal([]);
  });

  it('exports the graph exactly as it came in, and owns its copy', () => {
    const input = raw();
    const compiled = compileGraph(input);
    input.nodes[0]!.data.title = 'changed after compiling';
    expect(exportGraph(compiled)).to.deep.equal(raw());
    expect(JSON.stringify(exportGraph(compiled))).to.equal(JSON.stringify(raw()));
  });

  it('takes a trigger node as the root when there is no start node, keeping every trigger', () => {
    const triggered = compileGraph({
      nodes: [
        { id: 'hook', data: { type: 'trigger-webhook', title: 'Webhook' } },
        { id: 'cron', data: { type: 'trigger-schedule', title: 'Schedule' } },
        { id: 'end', data: { type: 'end', title: 'End' } },
      ],
      edges: [{ source: 'hook', target: 'end' }, { source: 'cron', target: 'end' }],
    });
    expect(triggered.top.root).to.equal('hook');
    expect(triggered.top.roots).to.deep.equal(['hook', 'cron']);
    expect(triggered.warnings).to.deep.equal([]);
  });

  it('keeps a default value named __proto__ as an output, not as the prototype', () => {
    const g = compileGraph({ nodes: [{ id: 's', data: { type: 'start', title: 'S', error_strategy: 'default-value', default_value: [{ key: '__proto__', type: 'object', value: '{"polluted":true}' }] } }], edges: [] });
    const onError = g.nodes.get('s')!.policy.onError as { outputs: Record<string, unknown> };
    expect(Object.getPrototypeOf(onError.outputs)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(onError.outputs, '__proto__')!.value).to.deep.equal({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('reads unquoted numeric ids (YAML numbers) as the strings Dify means, and skips an edge without an end as Dify does', () => {
    const g = compileGraph({ nodes: [{ id: 17 as unknown as string, data: { type: 'start', title: 'S' } }, { id: '18', data: { type: 'end', title: 'E' } }], edges: [{ source: 17 as unknown as string, target: 18 as unknown as string }, { source: '17' } as never] });
    expect(g.edges).to.deep.equal([{ id: '17-source-18-target', source: '17', target: '18', sourceHandle: 'source' }]);
    expect(g.warnings!.map((w) => w.kind)).to.deep.equal(['edge_without_endpoint']);
  });
});
