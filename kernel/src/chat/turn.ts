import type { ChatMessage, ChatUsage } from '@tessera/sdk';
import type { Logger } from 'pino';
import type { App } from '../apps/app-row.js';
import type { ModelRuntime } from '../models/model-runtime.js';
import { estimateChatTokens } from '../models/tokens.js';
import type { Contributions } from '../plugins/contributions.js';
import type { PluginService } from '../plugins/plugin-service.js';
import type { AppConfig } from '../apps/config.js';
import { modelParameters } from './prompt.js';
import type { MessageEventBase, RunEvent } from '../runs/run-events.js';


/** An agent's step, as stored with the message and streamed as `agent_thought`. */
export interface AgentThought {
  id: string;
  position: number;
  thought: string;
  tool: string;
  tool_input: string;
  observation: string;
  message_files: string[];
  created_at: number;
}

/** Everything one model turn needs: the prompt is built, the task registered. */
export interface TurnContext {
  readonly workspaceId: string;
  readonly app: App;
  readonly config: AppConfig;
  readonly messages: ChatMessage[];
  readonly taskId: string;
  readonly messageId: string;
  readonly conversationId: string | null;
  readonly createdAt: number;
  readonly signal: AbortSignal;
  /** The end user's id string, forwarded to the provider for abuse monitoring. */
  readonly user: string;
  /** Base fields of every streamed event (`task_id`, `message_id`, `conversation_id`…). */
  readonly base: MessageEventBase;
}

export interface TurnResult {
  answer: string;
  usage: ChatUsage;
  /** Whether `usage` came from the provider (else it is estimated). */
  exactUsage: boolean;
  thoughts: AgentThought[];
}

export interface TurnDeps {
  readonly runtime: ModelRuntime;
  readonly contributions: Contributions;
  readonly plugins: PluginService;
  readonly logger: Logger;
}

/** A runner streams one turn's events and returns what to store. Plain chat and the agent are runners. */
export type TurnRunner = (ctx: TurnContext, deps: TurnDeps) => AsyncGenerator<RunEvent, TurnResult>;

/** Estimated usage when the provider reported none. */
export async function estimateUsage(model: string, messages: readonly ChatMessage[], answer: string): Promise<ChatUsage> {
  const prompt_tokens = await estimateChatTokens(model, messages);
  const completion_tokens = answer ? Math.max(1, (await estimateChatTokens(model, [{ role: 'assistant', content: answer }])) - 7) : 0;
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** Plain chat / completion: the model's text deltas become `message` events. */
export const runChat: TurnRunner = async function* (ctx, deps) {
  const { name: model, provider, completion_params } = ctx.config.model;
  const stream = deps.runtime.chat(ctx.workspaceId, provider, { model, messages: ctx.messages, ...modelParameters(completion_params), user: ctx.user }, { signal: ctx.signal });
  let answer = '';
  let usage: ChatUsage | undefined;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.delta.content;
    if (delta) {
      answer += delta;
      yield { event: 'message', ...ctx.base, answer: delta };
    }
  }
  return { answer, usage: usage ?? (await estimateUsage(model, ctx.messages, answer)), exactUsage: usage !== undefined, thoughts: [] };
};
