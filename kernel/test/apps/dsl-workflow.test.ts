import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYamlMapping } from '../../src/apps/dsl/dsl.js';
import { convertWorkflow, exportWorkflow, workflowProviders } from '../../src/apps/dsl/workflow.js';
import { DslError } from '../../src/apps/dsl/common.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workflows');
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yml'));

function load(file: string) {
  const data = parseYamlMapping(readFileSync(join(FIXTURES, file), 'utf8'));
  return { data, mode: (data.app as { mode: 'workflow' | 'advanced-chat' }).mode, workflow: data.workflow as Record<string, unknown> };
}

/** A minimal workflow section: start → end, with the given variables. */
function section(extra: Record<string, unknown> = {}, edges = [{ id: 'e', source: 's', target: 'x', sourceHandle: 'source', targetHandle: 'target' }]) {
  return {
    graph: { nodes: [{ id: 's', data: { type: 'start', title: 'Start', variables: [] } }, { id: 'x', data: { type: 'end', title: 'End', outputs: [] } }], edges },
    features: {},
    ...extra,
  };
}

describe('the workflow section of Dify DSL files (#16 item 8)', () => {
  it(`converts every real Dify file among the fixtures (${files.length}) and exports its section back unchanged`, () => {
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) {
      const { mode, workflow } = load(file);
      const converted = convertWorkflow(mode, workflow);
      expect(converted.graph.nodes.size, file).to.be.greaterThan(1);
      const exported = exportWorkflow(converted.document, { includeSecret: true });
      expect(exported.graph, file).to.deep.equal(workflow.graph);
      expect(exported.features, file).to.deep.equal(workflow.features ?? {});
      expect((exported.environment_variables as unknown[]).length, file).to.equal(((workflow.environment_variables as unknown[] | undefined) ?? []).length);
    }
  });

  it('names the model and tool providers a file’s nodes need, for the dependency report', () => {
    const { mode, workflow } = load('deep-researcher.yml');
    const providers = workflowProviders(convertWorkflow(mode, workflow).graph);
    expect(providers.models.length).to.be.greaterThan(0);
    for (const id of [...providers.models, ...providers.tools]) expect(id).to.be.a('string').and.not.equal('');
    const text = JSON.stringify(workflow);
    for (const id of providers.models) expect(text).to.include(`"provider":"${id}"`);
  });

  it('blanks secret environment variables on export unless asked, and keeps the others', () => {
    const converted = convertWorkflow('workflow', section({ environment_variables: [{ id: '1', name: 'API_KEY', value: 'sk-secret', value_type: 'secret', description: '' }, { id: '2', name: 'LIMIT', value: '3', value_type: 'number', description: '' }] }));
    expect(converted.document.environment_variables.map((v) => v.value)).to.deep.equal(['sk-secret', 3]);
    expect((exportWorkflow(converted.document).environment_variables as Array<{ value: unknown }>).map((v) => v.value)).to.deep.equal(['', 3]);
    expect((exportWorkflow(converted.document, { includeSecret: true }).environment_variables as Array<{ value: unknown }>).map((v) => v.value)).to.deep.equal(['sk-secret', 3]);
  });

  it('keeps conversation variables for chatflows only', () => {
    const vars = { conversation_variables: [{ id: 'c', name: 'topic', value_type: 'string', value: '', description: '' }] };
    expect(convertWorkflow('advanced-chat', section(vars)).document.conversation_variables.map((v) => v.name)).to.deep.equal(['topic']);
    expect(convertWorkflow('workflow', section(vars)).document.conversation_variables).to.deep.equal([]);
    expect(convertWorkflow('advanced-chat', section(vars)).warnings.join(' ')).to.match(/no answer node/);
  });

  it('refuses a broken file with a message naming what is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /Missing workflow data/],
      [{ graph: { nodes: 'x', edges: [] } }, /list of nodes/],
      [section({}, [{ id: 'e', source: 's', target: 'gone', sourceHandle: 'source', targetHandle: 'target' }]), /Invalid workflow graph: .*gone/],
      [section({ environment_variables: [{ name: '1bad', value: '', value_type: 'string' }] }), /environment_variables\[0\]\.name/],
      [section({ environment_variables: [{ name: 'A', value: '', value_type: 'string' }, { name: 'A', value: '', value_type: 'string' }] }), /defined twice/],
      [section({ environment_variables: [{ name: 'N', value: 'many', value_type: 'number' }] }), /not a number/],
      [section({ environment_variables: [{ name: 'T', value: '', value_type: 'file' }] }), /value_type must be one of/],
    ];
    for (const [input, message] of cases) {
      expect(() => convertWorkflow('workflow', input), String(message)).to.throw(DslError, message);
    }
  });
});
