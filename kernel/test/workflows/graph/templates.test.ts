import { expect } from 'chai';
import { compileGraph, parseTemplate, referencedSelectors, selectorUses, type GraphNode, type RawNodeData } from '../../../src/workflows/graph/index.js';

describe('parseTemplate', () => {
  it('splits text into literal and reference parts', () => {
    expect(parseTemplate('Hi {{#1711528914102.name#}}, you asked {{#sys.query#}}.')).to.deep.equal([
      { kind: 'text', text: 'Hi ' },
      { kind: 'reference', selector: ['1711528914102', 'name'], raw: '{{#1711528914102.name#}}' },
      { kind: 'text', text: ', you asked ' },
      { kind: 'reference', selector: ['sys', 'query'], raw: '{{#sys.query#}}' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('reads dotted paths and ids of letters, digits and underscores', () => {
    expect(parseTemplate('{{#llm_1.structured_output.user.name#}}')).to.deep.equal([{ kind: 'reference', selector: ['llm_1', 'structured_output', 'user', 'name'], raw: '{{#llm_1.structured_output.user.name#}}' }]);
  });

  it('leaves as text what Dify\'s pattern does not match', () => {
    for (const text of ['{{#node#}}', '{{ #node.var# }}', '{{#node.1var#}}', '{{#no-de.var#}}', '{{node.var}}', `{{#n.${'a.'.repeat(10)}b#}}`, '{{#node.var#}']) {
      expect(parseTemplate(text), text).to.deep.equal([{ kind: 'text', text }]);
    }
    expect(parseTemplate('')).to.deep.equal([]);
  });

  it('limits ids to 50 characters and names to 30, as Dify does', () => {
    expect(parseTemplate(`{{#${'a'.repeat(50)}.v#}}`)[0]!.kind).to.equal('reference');
    expect(parseTemplate(`{{#${'a'.repeat(51)}.v#}}`)[0]!.kind).to.equal('text');
    expect(parseTemplate(`{{#n.${'v'.repeat(30)}#}}`)[0]!.kind).to.equal('reference');
    expect(parseTemplate(`{{#n.${'v'.repeat(31)}#}}`)[0]!.kind).to.equal('text');
  });
});

/** One node of the given data, compiled (the selectors are read off the compiled node). */
function node(data: Partial<RawNodeData> & { type: string }): GraphNode {
  // A container needs its start child to compile.
  const child = data.type === 'iteration' || data.type === 'loop' ? [{ id: 'nstart', parentId: 'n', data: { type: `${data.type}-start` } }] : [];
  const graph = compileGraph({ nodes: [{ id: 'start', data: { type: 'start', title: 'Start' } }, { id: 'n', data: { title: 'N', ...data } }, ...child], edges: [{ source: 'start', target: 'n' }] });
  return graph.nodes.get('n')!;
}

describe('referencedSelectors', () => {
  const cases: Array<[string, Partial<RawNodeData> & { type: string }, string[]]> = [
    ['end outputs', { type: 'end', outputs: [{ variable: 'o', value_selector: ['a', 'text'], value_type: 'string' }] }, ['a.text']],
    ['answer text', { type: 'answer', answer: '{{#a.text#}} and {{#sys.files#}}', variables: [] }, ['a.text', 'sys.files']],
    ['llm prompt, context, vision, memory', { type: 'llm', prompt_template: [{ role: 'system', text: 'Use {{#ctx.result#}}' }, { role: 'user', text: '{{#sys.query#}}', edition_type: 'basic' }], context: { enabled: true, variable_selector: ['kr', 'result'] }, vision: { enabled: true, configs: { variable_selector: ['sys', 'files'], detail: 'high' } }, memory: { window: { enabled: false, size: 10 }, query_prompt_template: '{{#sys.query#}} {{#start.extra#}}' }, model: { provider: 'openai', name: 'gpt-4o', mode: 'chat', completion_params: {} } }, ['ctx.result', 'sys.query', 'kr.result', 'sys.files', 'sys.query', 'start.extra']],
    ['llm: a disabled context and vision are not read', { type: 'llm', prompt_template: { text: 'x' }, context: { enabled: false, variable_selector: ['old', 'result'] }, vision: { enabled: false, configs: { variable_selector: ['old', 'files'] } } }, []],
    ['llm jinja2: the template is not read, its variables are', { type: 'llm', prompt_template: [{ role: 'user', text: '', jinja2_text: '{{ q }} {{#not.read#}}', edition_type: 'jinja2' }], prompt_config: { jinja2_variables: [{ variable: 'q', value_selector: ['start', 'q'] }] } }, ['start.q']],
    ['if-else conditions and a template in a value', { type: 'if-else', cases: [{ case_id: 'true', logical_operator: 'and', conditions: [{ id: 'c', variable_selector: ['a', 'n'], comparison_operator: '>', value: '{{#b.limit#}}', varType: 'number' }, { id: 'd', variable_selector: ['a', 'tags'], comparison_operator: 'in', value: ['x', 'y'] }] }] }, ['a.n', 'b.limit', 'a.tags']],
    ['code variables, not its outputs schema nor code', { type: 'code', code: 'def main(x): return {"y": "{{#a.b#}}"}', code_language: 'python3', variables: [{ variable: 'x', value_selector: ['a', 'x'] }], outputs: { y: { type: 'string', children: null } } }, ['a.x']],
    ['template-transform variables, not the Jinja2 template', { type: 'template-transform', template: '{{ arg1 }}', variables: [{ variable: 'arg1', value_selector: ['a', 'text'], value_type: 'string' }] }, ['a.text']],
    ['http-request url, headers, params, auth, body', { type: 'http-request', method: 'post', url: 'https://x/{{#a.id#}}', headers: 'X-Key:{{#env.KEY#}}', params: 'q:{{#sys.query#}}', authorization: { type: 'api-key', config: { type: 'bearer', api_key: '{{#env.TOKEN#}}' } }, body: { type: 'form-data', data: [{ key: 'f', type: 'file', file: ['start', 'doc'] }, { key: 't', type: 'text', value: '{{#a.text#}}' }] } }, ['a.id', 'env.KEY', 'sys.query', 'env.TOKEN', 'start.doc', 'a.text']],
    ['knowledge-retrieval query', { type: 'knowledge-retrieval', query_variable_selector: ['sys', 'query'], dataset_ids: ['d1'], retrieval_mode: 'multiple' }, ['sys.query']],
    ['question-classifier query and instruction', { type: 'question-classifier', query_variable_selector: ['start', 'q'], classes: [{ id: '1', name: 'A' }], instruction: 'Think of {{#a.topic#}}' }, ['start.q', 'a.topic']],
    ['parameter-extractor query and instruction', { type: 'parameter-extractor', query: ['a', 'text'], instruction: '{{#b.hint#}}', parameters: [{ name: 'p', type: 'string', description: 'd', required: true }], reasoning_mode: 'prompt' }, ['a.text', 'b.hint']],
    ['iteration input and output', { type: 'iteration', iterator_selector: ['a', 'list'], output_selector: ['inner', 'text'], start_node_id: 'nstart' }, ['a.list', 'inner.text']],
    ['loop break conditions and variable-valued loop variables', { type: 'loop', loop_count: 3, break_conditions: [{ variable_selector: ['n', 'i'], comparison_operator: '≥', value: '3' }], loop_variables: [{ label: 'i', var_type: 'number', value_type: 'constant', value: '0' }, { label: 'src', var_type: 'string', value_type: 'variable', value: ['a', 'text'] }], start_node_id: 'nstart' }, ['n.i', 'a.text']],
    ['assigner v2 items', { type: 'assigner', version: '2', items: [{ variable_selector: ['conversation', 'topic'], input_type: 'variable', operation: 'over-write', value: ['a', 'text'] }, { variable_selector: ['conversation', 'count'], input_type: 'constant', operation: '+=', value: 1 }] }, ['conversation.topic', 'a.text', 'conversation.count']],
    ['assigner v1', { type: 'assigner', assigned_variable_selector: ['conversation', 'x'], input_variable_selector: ['a', 'text'], write_mode: 'over-write' }, ['conversation.x', 'a.text']],
    ['variable-aggregator variables and groups', { type: 'variable-aggregator', output_type: 'string', variables: [['a', 'text'], ['b', 'text']], advanced_settings: { group_enabled: true, groups: [{ group_name: 'g', output_type: 'string', variables: [['c', 'out']] }] } }, ['a.text', 'b.text', 'c.out']],
    ['tool parameters: variable, mixed, constant', { type: 'tool', provider_id: 'p', provider_type: 'builtin', tool_name: 't', tool_configurations: {}, tool_parameters: { q: { type: 'variable', value: ['a', 'text'] }, u: { type: 'mixed', value: 'see {{#b.url#}}' }, n: { type: 'constant', value: 3 } } }, ['a.text', 'b.url']],
    ['agent parameters', { type: 'agent', agent_strategy_name: 'function_calling', agent_parameters: { query: { type: 'variable', value: ['sys', 'query'] }, instruction: { type: 'mixed', value: '{{#a.rules#}}' } } }, ['sys.query', 'a.rules']],
    ['document-extractor and list-operator inputs', { type: 'list-operator', variable: ['a', 'files'], filter_by: { enabled: false, conditions: [] } }, ['a.files']],
    ['an unset selector is not one', { type: 'document-extractor', variable_selector: [] }, []],
  ];
  for (const [name, data, expected] of cases) {
    it(name, () => {
      expect(referencedSelectors(node(data)).map((s) => s.join('.'))).to.deep.equal(expected);
    });
  }

  it('says where each selector was found', () => {
    expect(selectorUses(node({ type: 'end', outputs: [{ variable: 'o', value_selector: ['a', 'text'] }] }))).to.deep.equal([{ selector: ['a', 'text'], path: 'outputs.0.value_selector' }]);
  });
});
