import { randomUUID } from 'node:crypto';
import { PluginError, type ChatMessage, type ChatUsage } from '@tessera/sdk';
import { isDatabaseUnavailable } from '../db/errors.js';
import { InputError, TesseraError } from '../errors.js';
import { unix } from '../identity/models.js';
import type { ModelRef } from '../boot/config.js';
import { priceOf } from '../models/usage.js';
import type { RunnableApp } from '../apps/apps.js';
import { checkStoredConfig, formFields } from '../apps/config.js';
import { type Conversations, HEARTBEAT_MS, type MessageRow } from '../conversations/conversations.js';
import { type Files, type MessageFile, storedFiles } from '../files/files.js';
import { checkInput, checkOutput, moderateInput } from './moderation.js';
import { buildMessages, checkInputs, fitMemory } from './prompt.js';
import { StoppedError } from '../runs/tasks.js';
import { type AgentThoughtEvent, isAnswerDelta, type MessageEventBase, type RunEvent } from '../runs/run-events.js';
import type { AppRunner, HistoryTurn, PreparedRun, RunRequest } from '../runs/runner.js';
import { type AgentThought, estimateUsage, runChat, type TurnDeps, type TurnResult, type TurnRunner } from './turn.js';

/** A chat run, prepared: inputs checked, memory fitted, uploads resolved. */
export interface Prepared extends PreparedRun {
  readonly inputs: Record<string, unknown>;
  readonly files: MessageFile[];
  readonly history: HistoryTurn[];
}

/** Hooks later features plug into (annotation reply, conversation naming). */
export interface GenerateHooks {
  /** An annotated answer for `query`, if the app has one close enough. */
  annotationReply?(runnable: RunnableApp, query: string): Promise<{ id: string; answer: string } | undefined>;
  /** Names a new conversation in the background. */
  nameConversation?(runnable: RunnableApp, conversationId: string, query: string): void;
}

export interface GeneratorDeps extends TurnDeps {
  /** Provider moderation's model when an app names none (MODERATION_DEFAULT_MODEL). */
  readonly moderationDefault: ModelRef;
  readonly conversations: Conversations;
  readonly files: Files;
  readonly agent?: TurnRunner;
  readonly hooks?: GenerateHooks;
}

const MEMORY_TURNS = 50;
/** How often a streaming answer is checkpointed into its row (when it changed; a heartbeat at least every HEARTBEAT_MS). */
const CHECKPOINT_MS = 2_000;

interface Outcome {
  answer: string;
  usage: ChatUsage;
  latency: number;
  status: string;
  error: string | null;
  thoughts: AgentThought[];
  metadata: Record<string, unknown>;
}

/**
 * Runs one chat or completion message of an app: checks the request, applies
 * moderation and annotation reply, builds the prompt with token-bounded memory,
 * streams the model (or the agent) as Service API events, and stores the
 * exchange — also when it is stopped or fails.
 */
export class Generator implements AppRunner<Prepared> {
  readonly modes = ['chat', 'completion', 'agent-chat'] as const;

  constructor(private readonly deps: GeneratorDeps) {}

  async prepare(original: RunnableApp, request: RunRequest): Promise<Prepared> {
    const runnable = request.systemPrompt ? withSystemPrompt(original, request.systemPrompt) : original;
    const { app, config } = runnable;
    const mode = app.mode;
    if (request.endpoint === 'chat' && !['chat', 'agent-chat'].includes(mode)) throw new TesseraError(400, 'not_chat_app', 'Please check if your app mode matches the right API route.');
    if (request.endpoint === 'completion' && mode !== 'completion') throw new TesseraError(400, 'not_completion_app', 'Please check if your app mode matches the right API route.');
    if (!config.model.provider || !config.model.name) throw new TesseraError(400, 'app_unavailable', 'App unavailable, please check your app configurations: no model is set.');
    checkStoredConfig(original.config);
    if (request.endpoint === 'chat' && (typeof request.query !== 'string' || request.query.trim() === '')) throw new InputError('query is required', 'query');
    const inputs = checkInputs(config, request.inputs);
    let conversation: Prepared['conversation'] = null;
    let history: HistoryTurn[] = [];
    let storedInputs = inputs;
    if (request.endpoint === 'chat') {
      if (request.conversationId) {
        const row = await this.deps.conversations.get(app.id, request.owner, request.conversationId);
        if (row.status !== 'normal') throw new TesseraError(400, 'conversation_completed', 'The conversation has ended. Please start a new conversation.');
        conversation = { id: row.id, isNew: false };
        // A conversation keeps the inputs it was started with, as in Dify.
        storedInputs = { ...inputs, ...(JSON.parse(row.inputs) as Record<string, unknown>) };
        if (!request.history) {
          const budget = config.memory.max_tokens;
          const recent = budget > 0 ? await this.deps.conversations.recent(row.id, MEMORY_TURNS) : [];
          history = await fitMemory(config.model.name, recent.filter((t) => t.answer), budget);
        }
      } else {
        conversation = { id: randomUUID(), isNew: true };
      }
      // A client's own history is held to the app's memory budget, newest turns first, like stored memory.
      if (request.history) history = request.history.length ? await fitMemory(config.model.name, [...request.history].reverse(), config.memory.max_tokens) : [];
    }
    // Uploads only of this end user (or account) to this app.
    const files = [...(await this.deps.files.resolveInputs(app, request.owner, formFields(config), inputs)), ...(await this.deps.files.resolve(app, request.owner, config, request.files))];
    return { runnable, request, inputs: storedInputs, files, conversation, history, taskId: randomUUID(), messageId: randomUUID(), createdAt: unix(new Date())! };
  }

  /** Streams the events of a prepared message. `signal` aborts on a stop (reason `StoppedError`), a disconnect or shutdown. */
  async *run(prepared: Prepared, signal: AbortSignal): AsyncGenerator<RunEvent> {
    const { runnable, request, inputs, files, conversation, taskId, messageId, createdAt } = prepared;
    const { app, config } = runnable;
    const ownerKey = `${request.owner.kind}:${request.owner.id}`;
    const abort = signal;
    const base: MessageEventBase = { task_id: taskId, id: messageId, message_id: messageId, ...(conversation ? { conversation_id: conversation.id } : {}), created_at: createdAt };
    const query = request.endpoint === 'chat' ? request.query : typeof inputs.query === 'string' ? inputs.query : '';
    const started = performance.now();
    let answer = '';
    let thoughts: AgentThought[] = [];
    const streamedThoughts = new Map<string, AgentThought>();
    let usage: ChatUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    let status = 'normal';
    let error: string | null = null;
    let extraMetadata: Record<string, unknown> = {};
    let inputFlagged = false;
    let messages: ChatMessage[] = [];
    // #14: a streamed message's row is written as the generation starts, so a crash leaves it (swept to `error`
    // at the next start) rather than nothing; moderation and the model call do not wait for it, the first event
    // does. A blocking one is written once at the end, unless it is still running at the first checkpoint.
    let begun: Promise<void> | undefined;
    let rowExists = false;
    const startRow = () => {
      begun = this.begin(prepared, answer);
      begun.then(() => (rowExists = true), () => {}); // the rejection is awaited before the first event and the last write
    };
    if (!request.blocking) startRow();
    const ensureRow = async () => {
      if (rowExists || !begun) return;
      await begun;
    };
    let checkpointed = '';
    let checkpointAt = Date.now();
    const checkpoint = setInterval(() => {
      if (!begun) return startRow();
      if (!rowExists || (answer === checkpointed && Date.now() - checkpointAt < HEARTBEAT_MS - CHECKPOINT_MS)) return;
      checkpointed = answer;
      checkpointAt = Date.now();
      this.deps.conversations.progress(messageId, answer).catch((err: unknown) => this.deps.logger.warn({ err, messageId }, 'checkpointing a generating message failed'));
    }, CHECKPOINT_MS);
    checkpoint.unref();
    try {
      const flagged = await checkInput(this.deps, app.workspace_id, config, inputs, query, abort);
      const annotation = !flagged.flagged && config.annotation_reply.enabled && request.endpoint === 'chat' ? await this.deps.hooks?.annotationReply?.(runnable, query) : undefined;
      if (flagged.flagged || annotation) {
        answer = flagged.flagged ? flagged.presetResponse : annotation!.answer;
        if (annotation) extraMetadata = { annotation_reply: { id: annotation.id, account: { id: app.created_by, name: '' } } };
        // #14: flagged input goes no further: not into a title, not into the next turn's memory (Conversations.recent).
        inputFlagged = flagged.flagged;
        await ensureRow();
        yield { event: app.mode === 'agent-chat' ? 'agent_message' : 'message', ...base, answer };
      } else {
        messages = buildMessages(app.mode, config, inputs, query, prepared.history, files);
        const runner: TurnRunner = app.mode === 'agent-chat' ? (this.deps.agent ?? runChat) : runChat;
        const turn = runner({ workspaceId: app.workspace_id, app, config, messages, taskId, messageId, conversationId: conversation?.id ?? null, createdAt, signal: abort, user: ownerKey, base }, this.deps);
        let result: TurnResult | undefined;
        for (;;) {
          const step = await turn.next();
          if (step.done) {
            result = step.value;
            break;
          }
          const event = step.value;
          if (isAnswerDelta(event)) answer += event.answer;
          // A thought is re-sent as it fills in; the last version per id is what a stopped run keeps.
          if (event.event === 'agent_thought') streamedThoughts.set(event.id, thoughtOf(event));
          await ensureRow();
          yield event;
        }
        answer = result.answer || answer;
        usage = result.usage;
        thoughts = result.thoughts;
        const replaced = await checkOutput(this.deps, app.workspace_id, config, answer, abort);
        if (replaced.flagged) {
          answer = replaced.presetResponse;
          yield { event: 'message_replace', task_id: taskId, message_id: messageId, ...(conversation ? { conversation_id: conversation.id } : {}), answer, created_at: createdAt };
        }
      }
    } catch (caught) {
      clearInterval(checkpoint);
      if (signal.aborted) {
        status = 'stopped';
        thoughts = [...streamedThoughts.values()];
        error = signal.reason instanceof StoppedError ? null : isShutdown(signal.reason) ? 'server shutting down' : 'client disconnected';
      } else {
        const mapped = appError(caught);
        status = 'error';
        error = mapped.message;
        this.deps.logger.warn({ err: caught, appId: app.id, taskId }, 'generation failed');
        // Best effort: with the database gone the client still hears why (its row is swept at the next start).
        await this.store(prepared, () => begun, { answer, usage, latency: elapsed(started), status, error, thoughts, metadata: {} }).catch((err: unknown) => this.deps.logger.warn({ err, appId: app.id, taskId }, 'storing a failed message failed'));
        yield { event: 'error', task_id: taskId, message_id: messageId, ...(conversation ? { conversation_id: conversation.id } : {}), status: mapped.status, code: mapped.code, message: mapped.message };
        return;
      }
    }
    clearInterval(checkpoint);
    if (status === 'stopped' && messages.length > 0) usage = await estimateUsage(config.model.name, messages, answer);
    const latency = elapsed(started);
    const metadata = { ...extraMetadata, usage: await this.usageView(app.workspace_id, config.model.provider, config.model.name, usage, latency), retriever_resources: [] as unknown[] };
    // Stored only (not sent): what keeps a flagged turn out of memory.
    await this.store(prepared, () => begun, { answer, usage, latency, status, error, thoughts, metadata: inputFlagged ? { ...metadata, input_moderated: true } : metadata });
    if (status === 'stopped' && isShutdown(signal.reason)) {
      // #14: the shutdown deadline ended this run: the client learns why, with a code, and the stream closes.
      yield { event: 'error', task_id: taskId, message_id: messageId, ...(conversation ? { conversation_id: conversation.id } : {}), status: 503, code: 'server_shutting_down', message: 'The server is shutting down. The answer so far was saved; please try again.' };
      return;
    }
    if (conversation?.isNew && request.autoGenerateName && query && !inputFlagged) this.deps.hooks?.nameConversation?.(runnable, conversation.id, query);
    yield { event: 'message_end', ...base, metadata, ...(files.length ? { files: storedFiles(files) } : {}) };
  }

  /** The first write: the message as it starts, `generating`, with its new conversation if it opens one. */
  private begin(prepared: Prepared, answer: string): Promise<void> {
    return this.write(prepared, { answer, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, latency: 0, status: 'generating', error: null, thoughts: [], metadata: {} });
  }

  /** Inserts the row (the first write, or the only one of a short blocking message), with its conversation change. */
  private write(prepared: Prepared, outcome: Outcome): Promise<void> {
    const { runnable, request, conversation, inputs } = prepared;
    const { app, config } = runnable;
    return this.deps.conversations.begin(
      this.row(prepared, outcome),
      conversation ? { isNew: conversation.isNew, mode: app.mode, inputs, name: conversation.isNew ? defaultName(request) : undefined, introduction: config.opening_statement } : undefined,
    );
  }

  /** The last write: over the first, which it waits for (one statement cannot write a row twice), or the only one. */
  private async store(prepared: Prepared, begun: () => Promise<void> | undefined, outcome: Outcome): Promise<void> {
    const first = begun();
    if (!first) return this.write(prepared, outcome);
    await first.catch(() => {}); // if it failed, this inserts
    await this.deps.conversations.finish(this.row(prepared, outcome));
  }

  private row(prepared: Prepared, outcome: Outcome): Omit<MessageRow, 'created_at' | 'updated_at'> {
    const { runnable, request, conversation, inputs, files } = prepared;
    const { app, config } = runnable;
    const owner = request.owner;
    const price = (outcome.metadata.usage as { total_price?: string } | undefined)?.total_price ?? '0';
    return {
      id: prepared.messageId,
      workspace_id: app.workspace_id,
      app_id: app.id,
      conversation_id: conversation?.id ?? null,
      app_version_id: runnable.versionId,
      end_user_id: owner.kind === 'end_user' ? owner.id : null,
      account_id: owner.kind === 'account' ? owner.id : null,
      from_source: request.source,
      inputs: JSON.stringify(inputs),
      query: request.endpoint === 'chat' ? request.query : '',
      answer: outcome.answer,
      files: JSON.stringify(storedFiles(files)),
      agent_thoughts: JSON.stringify(outcome.thoughts),
      metadata: JSON.stringify(outcome.metadata),
      provider: config.model.provider,
      model: config.model.name,
      message_tokens: outcome.usage.prompt_tokens,
      answer_tokens: outcome.usage.completion_tokens,
      total_price: price,
      currency: 'USD',
      latency: outcome.latency,
      status: outcome.status,
      error: outcome.error,
    };
  }

  /** Dify's usage object: token counts, prices as decimal strings, latency in seconds. */
  private async usageView(workspaceId: string, provider: string, model: string, usage: ChatUsage, latency: number) {
    const pricing = (await this.deps.runtime.describe(workspaceId, provider, model))?.pricing;
    const prompt = pricing ? priceOf({ ...pricing, output: 0 }, usage.prompt_tokens, 0).price : 0;
    const completion = pricing ? priceOf({ ...pricing, input: 0 }, 0, usage.completion_tokens).price : 0;
    const unit = pricing ? String(pricing.unit) : '0';
    return {
      prompt_tokens: usage.prompt_tokens,
      prompt_unit_price: String(pricing?.input ?? 0),
      prompt_price_unit: unit,
      prompt_price: prompt.toFixed(7),
      completion_tokens: usage.completion_tokens,
      completion_unit_price: String(pricing?.output ?? 0),
      completion_price_unit: unit,
      completion_price: completion.toFixed(7),
      total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
      total_price: (prompt + completion).toFixed(7),
      currency: pricing?.currency ?? 'USD',
      latency,
    };
  }
}

function thoughtOf(event: AgentThoughtEvent): AgentThought {
  return { id: event.id, position: event.position, thought: event.thought, tool: event.tool, tool_input: event.tool_input, observation: event.observation, message_files: [...event.message_files], created_at: event.created_at };
}

/** The app with a client's system message after its own prompt (chat and agent apps); input moderation covers it. */
function withSystemPrompt(runnable: RunnableApp, system: string): RunnableApp {
  const { app, config } = runnable;
  if (app.mode === 'completion') return runnable;
  if (moderateInput(config, {}, system).flagged) throw new InputError(config.sensitive_word_avoidance.configs.inputs_config.preset_response || 'The system message contains content that cannot be processed.', 'messages', 'content_filter');
  return { ...runnable, config: { ...config, pre_prompt: [config.pre_prompt, system].filter((p) => p.trim() !== '').join('\n\n') } };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started) / 1000;
}

function defaultName(request: RunRequest): string {
  if (!request.autoGenerateName) return 'New conversation';
  const query = request.query.replace(/\s+/g, ' ').trim();
  return query.length > 40 ? `${query.slice(0, 40)}…` : query || 'New conversation';
}

/** Model runtime failures in the Service API's vocabulary. */
/** True for the reason a stream's signal carries when the server's shutdown deadline passed (http/sse.ts). */
function isShutdown(reason: unknown): boolean {
  return reason instanceof TesseraError && reason.code === 'server_shutting_down';
}

export function appError(error: unknown): TesseraError {
  if (isDatabaseUnavailable(error)) return new TesseraError(503, 'database_unavailable', 'The database is unavailable or not answering; try again shortly.');
  if (error instanceof StoppedError) return new TesseraError(400, 'task_stopped', 'The task was stopped.');
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? 'unknown error';
  if (error instanceof TesseraError) {
    if (code === 'provider_not_configured' || code === 'provider_not_found') return new TesseraError(400, 'provider_not_initialize', `${message} Please configure the model provider in Settings → Model providers.`);
    if (error.status === 429) return new TesseraError(429, 'rate_limit_error', message);
    return error;
  }
  if (error instanceof PluginError || code?.startsWith('plugin_')) {
    switch (code) {
      case 'plugin_credentials_invalid':
        return new TesseraError(400, 'provider_not_initialize', `The model provider rejected its credentials: ${message}`);
      case 'plugin_quota_exceeded':
        return new TesseraError(400, 'provider_quota_exceeded', `Your quota for the model provider has been exhausted: ${message}`);
      case 'plugin_rate_limited':
        return new TesseraError(429, 'rate_limit_error', `The model provider is rate limiting requests: ${message}`);
      case 'plugin_not_supported':
      case 'plugin_not_found':
        return new TesseraError(400, 'model_currently_not_support', `The model is not available: ${message}`);
      // #14: network, time-out and plugin-runtime failures carry driver text (hosts, ports, `read ECONNRESET`):
      // the end user gets a coded, human message; the detail stays in the log (the caller logs `caught`).
      case 'plugin_upstream_error':
      case 'plugin_bad_output':
        return new TesseraError(502, 'provider_connection_error', 'The model provider could not be reached or broke off the answer. Please try again.');
      case 'plugin_timeout':
        return new TesseraError(504, 'provider_timeout', 'The model provider did not answer in time. Please try again.');
      case 'plugin_crashed':
      case 'plugin_out_of_memory':
      case 'plugin_invalid_definition':
      case 'plugin_internal_error':
      case 'plugin_cancelled':
        return new TesseraError(502, 'provider_connection_error', 'The model provider failed while answering. Please try again.');
      default:
        return new TesseraError(400, 'completion_request_error', message);
    }
  }
  return new TesseraError(500, 'internal_server_error', 'The server encountered an internal error.');
}
