import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { type TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, parseSse, post, startAppKernel, stopAppKernel } from '../support/apps.js';
import { ReactParser } from '../../src/chat/react.js';
import { DatabaseRef, PackagesRef, PluginHostRef } from '../../src/services.js';

const CALCULATOR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'calculator');

const calculatorTool = (extra: Record<string, unknown> = {}) => ({ provider_id: 'calculator', provider_type: 'builtin', tool_name: 'calculate', tool_parameters: {}, enabled: true, ...extra });
const agentMode = (extra: Record<string, unknown> = {}) => ({ agent_mode: { enabled: true, strategy: 'function_call', max_iteration: 3, tools: [calculatorTool()], ...extra } });

/** The last state of each thought, in position order (a thought is streamed again as it fills in). */
function finalThoughts(events: any[]): any[] {
  const byId = new Map<string, any>();
  for (const e of events) if (e.event === 'agent_thought') byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => a.position - b.position);
}

const answerOf = (events: any[]) => events.filter((e) => e.event === 'agent_message').map((e) => e.answer).join('');

describe('agent-chat apps: tool-using agents over the Service API', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    const pkg = await t.kernel.get(PackagesRef).installFolder(CALCULATOR, 'bundled', null, null, (p, code) => t.kernel.get(PluginHostRef).verify(p, code));
    const enabled = await t.api('POST', `/console/api/plugins/${encodeURIComponent(pkg.name)}/enable`, { token, body: { granted_permissions: {} } });
    expect(enabled.status, JSON.stringify(enabled.body)).to.equal(200);
  });
  afterEach(() => stopAppKernel(t, upstream));

  const stream = async (key: string, body: Record<string, unknown>) => {
    const res = await post(t, key, '/chat-messages', { inputs: {}, user: 'u1', response_mode: 'streaming', auto_generate_name: false, ...body });
    expect(res.status).to.equal(200);
    return parseSse(await res.text()).events;
  };

  it('calls a plugin tool by function calling, feeds the result back as a tool message and streams thoughts then the answer', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', { pre_prompt: 'You are precise.', ...agentMode({ tools: [calculatorTool({ tool_parameters: { precision: 2 } })] }) });
    upstream.scripts = [
      { kind: 'tool_calls', calls: [{ id: 'call_abc', name: 'calculate', arguments: '{"expression": "2/3"}' }], usage: { prompt_tokens: 30, completion_tokens: 7 } },
      { kind: 'stream', words: ['It is', ' about', ' 0.67.'], usage: { prompt_tokens: 50, completion_tokens: 3 } },
    ];
    const events = await stream(app.key, { query: 'What is 2/3?' });

    const [first, second] = upstream.chatRequests().map((r) => r.body);
    expect(upstream.chatRequests()).to.have.length(2);
    expect(first.tool_choice).to.equal('auto');
    expect(first.tools).to.have.length(1);
    expect(first.tools[0].function.name).to.equal('calculate');
    expect(first.tools[0].function.description).to.contain('arithmetic expression');
    // The fixed parameter is not offered to the model.
    expect(first.tools[0].function.parameters.properties).to.have.keys('expression');
    const observation = JSON.stringify({ result: 0.67, expression: '2/3' });
    expect(second.messages).to.deep.equal([
      { role: 'system', content: 'You are precise.' },
      { role: 'user', content: 'What is 2/3?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'calculate', arguments: '{"expression": "2/3"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: observation },
    ]);

    const names = events.map((e) => e.event);
    expect(names[0]).to.equal('agent_thought');
    expect(names.at(-1)).to.equal('message_end');
    expect(names.indexOf('agent_message')).to.be.greaterThan(names.indexOf('agent_thought'));
    expect(answerOf(events)).to.equal('It is about 0.67.');
    const thoughts = finalThoughts(events);
    expect(thoughts).to.have.length(2);
    expect(thoughts[0]).to.include({ position: 1, thought: '', tool: 'calculate', tool_input: JSON.stringify({ calculate: { expression: '2/3' } }), observation: JSON.stringify({ calculate: observation }) });
    expect(thoughts[0]).to.include.keys('id', 'task_id', 'message_id', 'conversation_id', 'message_files', 'created_at');
    expect(thoughts[0].message_files).to.deep.equal([]);
    expect(thoughts[1]).to.include({ position: 2, thought: 'It is about 0.67.', tool: '', observation: '' });
    // The tool-call thought is first announced empty, then with its call, then with the observation.
    expect(events.filter((e) => e.id === thoughts[0].id).map((e) => [e.tool, e.observation !== ''])).to.deep.equal([['', false], ['calculate', false], ['calculate', true]]);
    const messageId = events[0].message_id;
    for (const e of events) expect(e).to.include({ message_id: messageId, conversation_id: events[0].conversation_id });
    // Usage is summed over both model rounds.
    expect(events.at(-1).metadata.usage).to.include({ prompt_tokens: 80, completion_tokens: 10, total_tokens: 90 });

    // The stored message keeps its thoughts.
    const listed = await t.api('GET', `/v1/messages?conversation_id=${events[0].conversation_id}&user=u1`, { token: app.key });
    expect(listed.status).to.equal(200);
    expect(listed.body.data).to.have.length(1);
    const stored = listed.body.data[0];
    expect(stored).to.include({ id: messageId, answer: 'It is about 0.67.', query: 'What is 2/3?' });
    expect(stored.agent_thoughts.map((th: any) => [th.position, th.tool, th.observation])).to.deep.equal([
      [1, 'calculate', JSON.stringify({ calculate: observation })],
      [2, '', ''],
    ]);
    expect(stored.agent_thoughts[0].tool_input).to.equal(JSON.stringify({ calculate: { expression: '2/3' } }));
  });

  it('uses ReAct with a model that has no tool calling: the action is parsed from text and the observation sent back', async () => {
    upstream.extraModels = [{ id: 'plain-llm', object: 'model', created: 1, owned_by: 'local', supported_parameters: ['temperature', 'stop'] }];
    const app = await createPublishedApp(t, token, 'agent-chat', { model: { provider: 'openai', name: 'plain-llm', mode: 'chat', completion_params: {} }, ...agentMode() });
    upstream.scripts = [
      { kind: 'stream', words: ['Thought: I should compute it.\nAction: calculate\n', 'Action Input: {"expression": ', '"2^10"}'] },
      { kind: 'stream', words: ['Thought: I know it now.\nFinal', ' Answer: 2^10', ' is 1024.'] },
    ];
    const events = await stream(app.key, { query: 'What is 2 to the 10th?' });

    const [first, second] = upstream.chatRequests().map((r) => r.body);
    expect(upstream.chatRequests()).to.have.length(2);
    expect(first.tools).to.equal(undefined);
    expect(first.stop).to.deep.equal(['Observation:']);
    expect(first.messages[0].role).to.equal('system');
    expect(first.messages[0].content).to.contain('calculate').and.contain('Action Input').and.contain('Final Answer');
    const observation = JSON.stringify({ result: 1024, expression: '2^10' });
    expect(second.messages.slice(-2)).to.deep.equal([
      { role: 'assistant', content: 'Thought: I should compute it.\nAction: calculate\nAction Input: {"expression": "2^10"}' },
      { role: 'user', content: `Observation: ${observation}` },
    ]);

    // Only the final answer is shown, never the format's labels.
    expect(answerOf(events)).to.equal('2^10 is 1024.');
    const thoughts = finalThoughts(events);
    expect(thoughts.map((th) => [th.position, th.thought, th.tool, th.tool_input, th.observation])).to.deep.equal([
      [1, 'I should compute it.', 'calculate', JSON.stringify({ calculate: { expression: '2^10' } }), JSON.stringify({ calculate: observation })],
      [2, 'I know it now.', '', '', ''],
    ]);
    expect(events.at(-1).event).to.equal('message_end');
  });

  it('stops calling tools after max_iteration rounds and asks for an answer without them', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', agentMode({ max_iteration: 2 }));
    // The upstream asks for the tool every time, even when told not to.
    upstream.scripts = [{ kind: 'tool_calls', content: ['Still working.'], calls: [{ name: 'calculate', arguments: '{"expression":"1+1"}' }] }];
    const events = await stream(app.key, { query: 'Loop forever' });

    const requests = upstream.chatRequests().map((r) => r.body);
    expect(requests).to.have.length(3);
    expect(requests.map((r) => r.tool_choice)).to.deep.equal(['auto', 'auto', 'none']);
    expect(requests[2].messages.filter((m: any) => m.role === 'tool')).to.have.length(2);
    const thoughts = finalThoughts(events);
    expect(thoughts.map((th) => th.tool)).to.deep.equal(['calculate', 'calculate', '']);
    expect(answerOf(events)).to.equal('Still working.\n\nStill working.\n\nStill working.');
    expect(events.at(-1).event).to.equal('message_end');
  });

  it('turns a tool error, or a call to an unknown tool, into the observation and goes on', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', agentMode());
    upstream.scripts = [
      { kind: 'tool_calls', calls: [{ id: 'c1', name: 'calculate', arguments: '{"expression":"1/"}' }, { id: 'c2', name: 'web-search', arguments: '{}' }] },
      { kind: 'stream', words: ['Sorry, I could not compute that.'] },
    ];
    const events = await stream(app.key, { query: 'What is 1/?' });

    const tools = upstream.chatRequests()[1]!.body.messages.filter((m: any) => m.role === 'tool');
    expect(tools.map((m: any) => m.tool_call_id)).to.deep.equal(['c1', 'c2']);
    expect(tools[0].content).to.match(/^Error: /);
    expect(tools[1].content).to.contain('no tool named "web-search"');
    const [thought] = finalThoughts(events);
    expect(thought.tool).to.equal('calculate;web-search');
    const observation = JSON.parse(thought.observation);
    expect(observation.calculate).to.equal(tools[0].content);
    expect(observation['web-search']).to.equal(tools[1].content);
    expect(answerOf(events)).to.equal('Sorry, I could not compute that.');
    expect(events.at(-1).event).to.equal('message_end');
  });

  it('fails with tool_not_found when a configured tool is not installed, before calling the model', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', agentMode({ tools: [calculatorTool(), { provider_id: 'web-search', provider_type: 'plugin', tool_name: 'search', tool_parameters: {}, enabled: true }] }));
    const events = await stream(app.key, { query: 'Search the web' });
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ event: 'error', status: 400, code: 'tool_not_found' });
    expect(events[0].message).to.contain('"search"').and.contain('web-search');
    expect(upstream.chatRequests()).to.have.length(0);

    // A disabled tool entry is skipped, and a disabled plugin is not found.
    const skipping = await createPublishedApp(t, token, 'agent-chat', agentMode({ tools: [calculatorTool(), { provider_id: 'web-search', provider_type: 'plugin', tool_name: 'search', tool_parameters: {}, enabled: false }] }), 'Skipping');
    upstream.scripts = [{ kind: 'stream', words: ['Fine.'] }];
    expect(answerOf(await stream(skipping.key, { query: 'Hi' }))).to.equal('Fine.');
    await t.api('POST', `/console/api/plugins/${encodeURIComponent('@tessera/plugin-calculator')}/disable`, { token });
    const disabled = await stream(skipping.key, { query: 'Hi again' });
    expect(disabled[0]).to.include({ event: 'error', code: 'tool_not_found' });

    // An agent without tools just answers.
    const plain = await createPublishedApp(t, token, 'agent-chat', agentMode({ tools: [] }), 'No tools');
    upstream.scripts = [{ kind: 'stream', words: ['Hello', '!'] }];
    const answered = await stream(plain.key, { query: 'Hi' });
    expect(answerOf(answered)).to.equal('Hello!');
    expect(finalThoughts(answered).map((th) => [th.thought, th.tool])).to.deep.equal([['Hello!', '']]);
    expect(upstream.chatRequests().at(-1)!.body.tools).to.equal(undefined);
  });

  it('stops between rounds: the pending model request is aborted and the message is stored as stopped', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', agentMode());
    upstream.scripts = [{ kind: 'tool_calls', calls: [{ name: 'calculate', arguments: '{"expression":"1+1"}' }] }, { kind: 'hang' }];
    const response = await post(t, app.key, '/chat-messages', { inputs: {}, query: 'Hi', user: 'u1', response_mode: 'streaming', auto_generate_name: false });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"observation":"{')) text += decoder.decode((await reader.read()).value);
    const taskId = parseSse(text).events[0].task_id as string;
    for (let i = 0; i < 50 && upstream.chatRequests().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const stop = await t.api('POST', `/v1/chat-messages/${taskId}/stop`, { token: app.key, body: { user: 'u1' } });
    expect(stop.body).to.deep.equal({ result: 'success' });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const { events } = parseSse(text);
    expect(events.at(-1).event).to.equal('message_end');
    for (let i = 0; i < 50 && upstream.closedEarly === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(upstream.closedEarly).to.equal(1);
    const row = await t.kernel.get(DatabaseRef).knex('messages').where({ id: events[0].message_id }).first();
    expect(row.status).to.equal('stopped');
    // The finished tool round is kept with the stopped message.
    const thoughts = JSON.parse(row.agent_thoughts) as Array<{ tool: string; observation: string }>;
    expect(thoughts).to.have.length.greaterThan(0);
    expect(thoughts[0]!.tool).to.equal('calculate');
    expect(thoughts[0]!.observation).to.contain('2');
  });

  it('refuses blocking mode with 400', async () => {
    const app = await createPublishedApp(t, token, 'agent-chat', agentMode());
    const res = await t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Hi', user: 'u1', response_mode: 'blocking' } });
    expect(res.status).to.equal(400);
    expect(res.body).to.include({ code: 'invalid_param', status: 400 });
    expect(res.body.message).to.contain('blocking');
    expect(upstream.chatRequests()).to.have.length(0);
  });
});

describe('ReAct reply parsing', () => {
  const parse = (...deltas: string[]) => {
    const parser = new ReactParser();
    const shown = deltas.map((d) => parser.feed(d)).join('');
    return { shown, step: parser.finish() };
  };

  it('streams the final answer as it comes, even with the marker split across chunks', () => {
    const { shown, step } = parse('Thought: easy.\nFinal Ans', 'wer:', '  Forty', '-two.');
    expect(shown).to.equal('Forty-two.');
    expect(step).to.include({ thought: 'easy.', answer: 'Forty-two.', pending: '' });
    expect(step.action).to.equal(undefined);
  });

  it('reads an action with a fenced JSON input and cuts an observation the model made up', () => {
    const { shown, step } = parse('Thought: need math\nAction: `calculate`\nAction Input: ```json\n{"expression": "1+1"}\n```\nObservation: 3\nFinal Answer: 3');
    expect(shown).to.equal('');
    expect(step.thought).to.equal('need math');
    expect(step.action).to.deep.equal({ name: 'calculate', input: { expression: '1+1' } });
    expect(step.text).to.not.contain('Observation');
  });

  it("reads Dify's JSON-blob actions, including a Final Answer action", () => {
    const tool = parse('Thought: look it up\nAction:\n```\n{"action": "calculate", "action_input": {"expression": "2*3"}}\n```').step;
    expect(tool.thought).to.equal('look it up');
    expect(tool.action).to.deep.equal({ name: 'calculate', input: { expression: '2*3' } });
    const final = parse('```\n{"action": "Final Answer", "action_input": "Six."}\n```').step;
    expect(final).to.include({ answer: 'Six.', pending: 'Six.' });
    expect(final.action).to.equal(undefined);
  });

  it('takes a reply that ignores the format as the answer, and a bare action input as text', () => {
    expect(parse('Just ', 'an answer.').step).to.include({ answer: 'Just an answer.', pending: 'Just an answer.' });
    expect(parse('Action: calculate\nAction Input: 2+2').step.action).to.deep.equal({ name: 'calculate', input: '2+2' });
  });
});
