import { expect } from 'chai';
import type { ExecuteNode } from '../../../src/workflows/engine/events.js';
import { runGraph } from '../../../src/workflows/engine/engine.js';
import { VariablePool } from '../../../src/workflows/engine/variable-pool.js';
import { buildGraph } from '../engine/build-graph.js';
import type { RawGraph } from '../../../src/workflows/graph/types.js';
import { executeLogicNode } from '../../../src/workflows/nodes/index.js';
import { templateTransform } from '../../../src/workflows/nodes/template-transform.js';
import { JinjaSandbox } from '../../../src/sandbox/jinja.js';

/** start(name, items) → template-transform → end(text), as a Dify workflow graph. */
function graph(template: string): RawGraph {
  return {
    nodes: [
      { id: 'start', type: 'custom', data: { type: 'start', title: 'Start', variables: [{ variable: 'name', label: 'name', type: 'text-input', required: true }, { variable: 'items', label: 'items', type: 'json_object', required: false }] } },
      { id: 'tt', type: 'custom', data: { type: 'template-transform', title: 'Template', template, variables: [{ variable: 'name', value_selector: ['start', 'name'] }, { variable: 'items', value_selector: ['start', 'items'] }, { variable: 'missing', value_selector: ['start', 'nope'] }] } },
      { id: 'end', type: 'custom', data: { type: 'end', title: 'End', outputs: [{ variable: 'text', value_selector: ['tt', 'output'] }] } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'tt', sourceHandle: 'source', targetHandle: 'target' },
      { id: 'e2', source: 'tt', target: 'end', sourceHandle: 'source', targetHandle: 'target' },
    ],
  };
}

describe('template-transform node: Jinja2 through the sandbox, in a workflow run (#16)', function () {
  this.timeout(30_000);
  const sandbox = new JinjaSandbox({ timeoutMs: 300, maxOutputChars: 1_000, memoryMb: 32, maxContexts: 2 });
  after(() => sandbox.dispose());
  const execute: ExecuteNode = (node, ctx) => (node.type === 'template-transform' ? templateTransform((t, v) => sandbox.render('ws', t, v))(node, ctx) : executeLogicNode(node, ctx));

  async function run(template: string, inputs: Record<string, unknown>) {
    const compiled = buildGraph(graph(template));
    const events = [];
    for await (const event of runGraph(compiled, compiled.top, { executeNode: execute, pool: new VariablePool({ inputs }) })) events.push(event);
    return events;
  }

  it('renders the template with the variables it names; a missing one renders as nothing', async () => {
    const events = await run('Dear {{ name }}: {% for i in items.list %}[{{ i }}]{% endfor %}{{ missing }}.', { name: 'Ada', items: { list: [1, 2] } });
    const finished = events.at(-1) as { type: string; status: string; outputs: Record<string, unknown> };
    expect(finished.status, JSON.stringify(finished)).to.equal('succeeded');
    expect(finished.outputs).to.deep.equal({ text: 'Dear Ada: [1][2].' });
  });

  it('fails the node with the sandbox’s coded error when the template runs too long', async () => {
    const events = await run("{{ range.constructor('for (;;) {}')() }}", { name: 'Ada', items: {} });
    const finished = events.at(-1) as { status: string; error?: { message: string; code?: string } };
    expect(finished.status).to.equal('failed');
    expect(JSON.stringify(finished.error)).to.match(/template_timeout|did not finish rendering/);
  });
});
