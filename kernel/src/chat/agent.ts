import { randomUUID } from 'node:crypto';
import type { ChatMessage, ChatParams, ChatTool, ChatUsage, JsonSchema, JsonValue, ToolCall } from '@tessera/sdk';
import { InputError } from '../errors.js';
import { unix } from '../identity/models.js';
import type { AgentTool } from '../apps/config.js';
import { modelParameters } from './prompt.js';
import type { AgentThoughtEvent, RunEvent } from '../runs/run-events.js';
import { REACT_FINAL_NUDGE, REACT_STOP, ReactParser, reactInstructions, reactMessages } from './react.js';
import { type AgentThought, estimateUsage, type TurnContext, type TurnDeps, type TurnResult, type TurnRunner } from './turn.js';

/** A configured tool, resolved to an enabled plugin's tool. */
interface AgentToolSpec {
  /** What the model calls it (the configured `tool_name` when usable, else the tool id). */
  readonly name: string;
  readonly plugin: string;
  readonly tool: string;
  readonly description: string;
  /** The tool's parameters without the ones the app builder fixed. */
  readonly parameters: JsonSchema;
  /** `tool_parameters`: merged over the model's arguments. */
  readonly fixed: Record<string, unknown>;
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_OBSERVATION_CHARS = 20_000;
/** OpenAI accepts at most four stop sequences. */
const MAX_STOP = 4;

/**
 * The agent-chat runner: function calling when the strategy asks for it and
 * the model has the `tool-call` feature, ReAct otherwise. At most
 * `max_iteration` rounds call tools; then the model must answer without them.
 * Every model round is an `agent_thought` (Dify's shape: `tool` and
 * `tool_input`/`observation` keyed by tool name); the answer streams as
 * `agent_message` deltas. A tool's failure becomes its observation.
 */
export const runAgent: TurnRunner = async function* (ctx, deps) {
  const tools = await resolveTools(ctx, deps);
  const { provider, name: model } = ctx.config.model;
  const functionCalling = tools.length > 0 && ctx.config.agent_mode.strategy !== 'react' && ((await deps.runtime.describe(ctx.workspaceId, provider, model))?.features ?? []).includes('tool-call');
  const run = new AgentRun(ctx, deps, tools);
  yield* functionCalling ? run.functionCalling() : run.react();
  return run.result();
};

class AgentRun {
  private readonly thoughts: AgentThought[] = [];
  private answer = '';
  private usage = { prompt_tokens: 0, completion_tokens: 0 };
  private exact = true;
  private readonly maxIterations: number;

  constructor(private readonly ctx: TurnContext, private readonly deps: TurnDeps, private readonly tools: AgentToolSpec[]) {
    const configured = Number(ctx.config.agent_mode.max_iteration);
    this.maxIterations = Number.isInteger(configured) ? Math.min(Math.max(configured, 1), 99) : 5;
  }

  async *functionCalling(): AsyncGenerator<RunEvent> {
    const messages = [...this.ctx.messages];
    const chatTools: ChatTool[] = this.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
    for (let round = 1; ; round++) {
      const last = round > this.maxIterations;
      const thought = this.newThought(round);
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      let text = '';
      let reported: ChatUsage | undefined;
      let announced = false;
      for await (const chunk of this.chat(messages, { tools: chatTools, tool_choice: last ? 'none' : 'auto' })) {
        if (!announced) yield this.event(thought);
        announced = true;
        if (chunk.usage) reported = chunk.usage;
        if (chunk.delta.content) {
          text += chunk.delta.content;
          yield* this.say(chunk.delta.content, text === chunk.delta.content);
        }
        for (const d of last ? [] : (chunk.delta.tool_calls ?? [])) {
          const call = calls.get(d.index) ?? { id: '', name: '', arguments: '' };
          calls.set(d.index, { id: d.id ?? call.id, name: call.name + (d.function?.name ?? ''), arguments: call.arguments + (d.function?.arguments ?? '') });
        }
      }
      await this.account(messages, text, reported);
      thought.thought = text;
      const toolCalls: ToolCall[] = [...calls.entries()].sort(([a], [b]) => a - b).map(([i, c]) => ({ id: c.id || `call_${round}_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      if (toolCalls.length === 0) {
        yield* this.keep(thought);
        return;
      }
      const parsed = toolCalls.map((c) => ({ call: c, args: parseArguments(c.function.arguments) }));
      thought.tool = parsed.map((p) => p.call.function.name).join(';');
      thought.tool_input = JSON.stringify(Object.fromEntries(parsed.map((p) => [p.call.function.name, p.args ?? p.call.function.arguments])));
      yield this.event(thought);
      messages.push({ role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls });
      const observations: Record<string, string> = {};
      for (const { call, args } of parsed) {
        const observation = args === undefined ? `Error: the arguments are not a JSON object: ${call.function.arguments}` : await this.invoke(call.function.name, args);
        observations[call.function.name] = observation;
        messages.push({ role: 'tool', tool_call_id: call.id, content: observation });
      }
      thought.observation = JSON.stringify(observations);
      yield* this.keep(thought);
    }
  }

  async *react(): AsyncGenerator<RunEvent> {
    const base = this.tools.length > 0 ? reactMessages(this.ctx.messages, reactInstructions(this.tools)) : [...this.ctx.messages];
    const scratchpad: ChatMessage[] = [];
    const stop = [REACT_STOP, ...(modelParameters(this.ctx.config.model.completion_params).stop ?? []).filter((s) => s !== REACT_STOP)].slice(0, MAX_STOP);
    for (let round = 1; ; round++) {
      const last = round > this.maxIterations || this.tools.length === 0;
      const messages = [...base, ...scratchpad, ...(last && this.tools.length > 0 ? [{ role: 'user' as const, content: REACT_FINAL_NUDGE }] : [])];
      const thought = this.newThought(round);
      const parser = new ReactParser();
      let raw = '';
      let streamed = false;
      let reported: ChatUsage | undefined;
      let announced = false;
      for await (const chunk of this.chat(messages, this.tools.length > 0 ? { stop } : {})) {
        if (!announced) yield this.event(thought);
        announced = true;
        if (chunk.usage) reported = chunk.usage;
        const delta = chunk.delta.content ?? '';
        raw += delta;
        // Without tools there is no format to parse: the reply is the answer.
        const shown = this.tools.length > 0 ? parser.feed(delta) : delta;
        if (shown) {
          yield* this.say(shown, !streamed);
          streamed = true;
        }
      }
      await this.account(messages, raw, reported);
      if (this.tools.length === 0) {
        thought.thought = raw;
        yield* this.keep(thought);
        return;
      }
      const step = parser.finish();
      thought.thought = step.thought;
      if (step.action && !last) {
        const { name, input } = step.action;
        thought.tool = name;
        thought.tool_input = JSON.stringify({ [name]: input });
        yield this.event(thought);
        const args = this.argumentsOf(name, input);
        const observation = typeof args === 'string' ? args : await this.invoke(name, args);
        thought.observation = JSON.stringify({ [name]: observation });
        scratchpad.push({ role: 'assistant', content: step.text }, { role: 'user', content: `${REACT_STOP} ${observation}` });
        yield* this.keep(thought);
        continue;
      }
      // The answer, or (out of iterations, still asking for a tool) the model's reasoning so far.
      const pending = step.action ? step.thought || 'I could not finish the task within the allowed number of steps.' : step.pending;
      if (pending) yield* this.say(pending, !streamed);
      yield* this.keep(thought);
      return;
    }
  }

  result(): TurnResult {
    const { prompt_tokens, completion_tokens } = this.usage;
    return { answer: this.answer, usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }, exactUsage: this.exact, thoughts: this.thoughts };
  }

  private chat(messages: readonly ChatMessage[], extra: Partial<ChatParams>) {
    const { name: model, provider, completion_params } = this.ctx.config.model;
    const params: ChatParams = { model, messages, ...modelParameters(completion_params), user: this.ctx.user, ...extra };
    return this.deps.runtime.chat(this.ctx.workspaceId, provider, params, { signal: this.ctx.signal });
  }

  /** Streams answer text; a new round's text is set apart from an earlier round's. */
  private *say(text: string, roundStart: boolean): Generator<RunEvent> {
    const piece = roundStart && this.answer !== '' ? `\n\n${text}` : text;
    this.answer += piece;
    yield { event: 'agent_message', ...this.ctx.base, answer: piece };
  }

  private async account(messages: readonly ChatMessage[], text: string, reported: ChatUsage | undefined): Promise<void> {
    if (!reported) this.exact = false;
    const usage = reported ?? (await estimateUsage(this.ctx.config.model.name, messages, text));
    this.usage.prompt_tokens += usage.prompt_tokens;
    this.usage.completion_tokens += usage.completion_tokens;
  }

  private newThought(position: number): AgentThought {
    return { id: randomUUID(), position, thought: '', tool: '', tool_input: '', observation: '', message_files: [], created_at: unix(new Date())! };
  }

  private *keep(thought: AgentThought): Generator<RunEvent> {
    this.thoughts.push(thought);
    yield this.event(thought);
  }

  private event(thought: AgentThought): AgentThoughtEvent {
    return { event: 'agent_thought', ...this.ctx.base, ...thought, message_files: [...thought.message_files] };
  }

  /** A ReAct action's input as tool arguments, or an error text for the observation. */
  private argumentsOf(name: string, input: unknown): Record<string, unknown> | string {
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) return input as Record<string, unknown>;
    // A bare value is accepted for a tool with a single (required) parameter.
    const schema = this.tools.find((t) => t.name === name)?.parameters as { properties?: Record<string, unknown>; required?: string[] } | undefined;
    const names = schema?.required?.length === 1 ? schema.required : Object.keys(schema?.properties ?? {});
    if (schema && names.length === 1) return { [names[0]!]: input };
    return `Error: the Action Input must be a JSON object of the tool's arguments (got ${JSON.stringify(input)}).`;
  }

  /** Runs a tool; its failure is the observation (the agent goes on), cancellation is not. */
  private async invoke(name: string, args: Record<string, unknown>): Promise<string> {
    const spec = this.tools.find((t) => t.name === name);
    if (!spec) return `Error: there is no tool named "${name}". The tools are: ${this.tools.map((t) => t.name).join(', ')}.`;
    try {
      const result = await this.deps.contributions.invokeTool(this.ctx.workspaceId, spec.plugin, spec.tool, { ...args, ...spec.fixed } as JsonValue, this.ctx.signal);
      const text = typeof result === 'string' ? result : JSON.stringify(result);
      return text.length > MAX_OBSERVATION_CHARS ? `${text.slice(0, MAX_OBSERVATION_CHARS)}… (truncated)` : text;
    } catch (error) {
      if (this.ctx.signal.aborted) throw error;
      this.deps.logger.info({ err: error, plugin: spec.plugin, tool: spec.tool, taskId: this.ctx.taskId }, 'agent tool call failed');
      return `Error: ${(error as Error).message}`;
    }
  }
}

function parseArguments(raw: string): Record<string, unknown> | undefined {
  if (raw.trim() === '') return {};
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the installed plugin `name` is what a tool's `provider_id` names: its package name, or its short name. */
function providerMatches(name: string, providerId: string): boolean {
  if (name === providerId) return true;
  const short = name.replace(/^@[^/]+\//, '').replace(/^(?:tessera-)?plugin-/, '');
  // Dify's plugin-qualified ids (`langgenius/calculator/calculator`) name the plugin in the middle.
  const parts = providerId.split('/');
  return [providerId, parts.length === 3 ? parts[1]! : parts.at(-1)!].some((id) => short === id.replace(/^(?:tessera-)?plugin-/, ''));
}

/** The app's enabled tools, resolved to enabled plugins; a missing one fails the run (400 `tool_not_found`). */
async function resolveTools(ctx: TurnContext, deps: TurnDeps): Promise<AgentToolSpec[]> {
  const configured = (ctx.config.agent_mode.tools ?? []).filter((t): t is AgentTool => typeof t === 'object' && t !== null && t.enabled !== false && typeof t.tool_name === 'string' && typeof t.provider_id === 'string');
  if (configured.length === 0) return [];
  const installed = await deps.plugins.enabled(ctx.workspaceId);
  const specs: AgentToolSpec[] = [];
  for (const entry of configured) {
    const label = `"${entry.tool_name}" of "${entry.provider_id}"`;
    if (entry.provider_type && !['plugin', 'builtin'].includes(entry.provider_type)) {
      throw new InputError(`The tool ${label} is of provider type "${entry.provider_type}"; agents can use plugin tools only.`, 'agent_mode.tools', 'tool_not_found');
    }
    const candidates = installed.filter(({ pkg }) => providerMatches(pkg.name, entry.provider_id)).sort((a, b) => Number(b.pkg.name.startsWith('@tessera/')) - Number(a.pkg.name.startsWith('@tessera/')));
    const wanted = [entry.tool_name, entry.tool_name.replace(/_/g, '-')];
    const found = candidates.map(({ pkg }) => ({ pkg, tool: (pkg.manifest.contributes.tools ?? []).find((t) => wanted.includes(t.id)) })).find((c) => c.tool);
    if (!found?.tool) throw new InputError(`The tool ${label} is not installed or not enabled in this workspace.`, 'agent_mode.tools', 'tool_not_found');
    if (specs.some((s) => s.plugin === found.pkg.name && s.tool === found.tool!.id)) continue;
    let name = FUNCTION_NAME.test(entry.tool_name) ? entry.tool_name : found.tool.id;
    for (let n = 2; specs.some((s) => s.name === name); n++) name = `${found.tool.id}-${n}`;
    const fixed = Object.fromEntries(Object.entries(entry.tool_parameters ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    specs.push({ name, plugin: found.pkg.name, tool: found.tool.id, description: found.tool.description || found.tool.name, parameters: withoutFixed(found.tool.parameters, fixed), fixed });
  }
  return specs;
}

/** The tool's schema without the parameters the app builder fixed (the model need not, and cannot, set them). */
function withoutFixed(schema: Record<string, unknown>, fixed: Record<string, unknown>): JsonSchema {
  const keys = Object.keys(fixed);
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (keys.length === 0 || typeof properties !== 'object' || properties === null) return schema as JsonSchema;
  const required = Array.isArray(schema.required) ? (schema.required as string[]).filter((r) => !keys.includes(r)) : undefined;
  return { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([k]) => !keys.includes(k))), ...(required ? { required } : {}) } as JsonSchema;
}
