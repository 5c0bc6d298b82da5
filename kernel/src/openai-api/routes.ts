import { openSse } from '../http/sse.js';
import { objectBody } from '../http/validate.js';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { InputError, TesseraError } from '../errors.js';
import { callerOf } from '../http/auth.js';
import type { ConnectionTracker } from '../http/connections.js';
import { openAiError, openAiErrors } from './errors.js';
import { unix } from '../identity/models.js';
import type { Apps, RunnableApp } from '../apps/apps.js';
import type { AppConfig } from '../apps/config.js';
import type { Conversations } from '../conversations/conversations.js';
import type { HistoryTurn } from '../runs/runner.js';
import { ANONYMOUS_USER, appGate, ownerOf, publishedOf, runnableOf } from '../service-api/gate.js';
import { type ErrorEvent, isAnswerDelta, type MessageEndEvent, type RunEvent } from '../runs/run-events.js';
import { startRun, type StartedRun, type StartRunDeps } from '../runs/start-run.js';

export interface OpenAiRouteDeps {
  readonly apps: Apps;
  readonly conversations: Conversations;
  /** Runners, tasks and limits: what `startRun` needs. */
  readonly runs: StartRunDeps;
  readonly tracker: ConnectionTracker;
  /** Resolves the app key onto `ctx.state.caller`. */
  readonly appKey: Middleware;
  /** Concurrent generations allowed per API key (0 = unlimited). */
  readonly keyConcurrency: number;
}

/** The app as an OpenAI model object. */
function modelView(runnable: RunnableApp<AppConfig | null>) {
  const { app } = runnable;
  return { id: app.id, object: 'model', created: unix(app.created_at) ?? 0, owned_by: 'tessera', name: app.name };
}

/** `model` must name the key's app, by id or by name; else 404 `model_not_found` as OpenAI answers it. */
function checkModel(ctx: Context, model: unknown): void {
  const { app } = runnableOf(ctx);
  if (typeof model !== 'string' || model.trim() === '') throw new InputError('you must provide a model parameter', 'model');
  if (model !== app.id && model.trim() !== app.name) {
    throw new TesseraError(404, 'model_not_found', `The model \`${model}\` does not exist or you do not have access to it. This API key serves the app "${app.name}" (model id ${app.id}).`, { params: 'model' });
  }
}

interface ParsedMessages {
  /** Client system (and developer) messages, in order. */
  system: string;
  history: HistoryTurn[];
  /** The trailing user message(s): the query. */
  query: string;
  /** `image_url` parts of the trailing user message(s), as Service API `files[]`. */
  files: Array<{ type: 'image'; transfer_method: 'remote_url'; url: string }>;
}

function textOf(content: unknown, at: string, images?: ParsedMessages['files']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new InputError(`${at}.content must be a string or a list of content parts.`, `${at}.content`);
  const texts: string[] = [];
  content.forEach((part: unknown, i) => {
    const p = (part ?? {}) as { type?: unknown; text?: unknown; image_url?: unknown };
    if (p.type === 'text' && typeof p.text === 'string') texts.push(p.text);
    else if (p.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : (p.image_url as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string') throw new InputError(`${at}.content[${i}].image_url.url must be a string.`, `${at}.content`);
      images?.push({ type: 'image', transfer_method: 'remote_url', url });
    } else throw new InputError(`${at}.content[${i}]: only text and image_url parts are supported.`, `${at}.content`);
  });
  return texts.join('\n');
}

/**
 * OpenAI `messages` onto an app turn: system/developer messages are collected,
 * earlier user → assistant exchanges become the history, and the user
 * message(s) after the last assistant message are the query.
 */
export function parseMessages(raw: unknown): ParsedMessages {
  if (!Array.isArray(raw) || raw.length === 0) throw new InputError('messages must be a non-empty list.', 'messages');
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: unknown; at: string }> = [];
  raw.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new InputError(`${at} must be an object.`, at);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (role === 'system' || role === 'developer') system.push(textOf(content, at));
    else if (role === 'user' || role === 'assistant') turns.push({ role, content, at });
    else if (role === 'tool' || role === 'function') throw new InputError(`${at}: ${role} messages are not supported: the app calls its own tools.`, `${at}.role`);
    else throw new InputError(`${at}.role must be one of system, developer, user, assistant.`, `${at}.role`);
  });
  let last = turns.length;
  while (last > 0 && turns[last - 1]!.role === 'user') last--;
  if (last === turns.length) throw new InputError('The last message must be a user message.', 'messages');
  const files: ParsedMessages['files'] = [];
  const query = turns
    .slice(last)
    .map((t) => textOf(t.content, t.at, files))
    .join('\n\n');
  const history: HistoryTurn[] = [];
  let pending: string[] = [];
  for (const turn of turns.slice(0, last)) {
    const text = textOf(turn.content, turn.at);
    if (turn.role === 'user') pending.push(text);
    else {
      history.push({ query: pending.join('\n\n'), answer: text });
      pending = [];
    }
  }
  return { system: system.filter((s) => s.trim() !== '').join('\n\n'), history, query, files };
}

function objectField(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${name} must be an object.`, name);
  return value as Record<string, unknown>;
}

/** What one turn produced, folded from the app's events. */
interface Outcome {
  content: string;
  filtered: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function usageOf(end: MessageEndEvent): Outcome['usage'] {
  const usage = end.metadata.usage;
  const prompt = Number(usage.prompt_tokens) || 0;
  const completion = Number(usage.completion_tokens) || 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: Number(usage.total_tokens) || prompt + completion };
}

const eventError = (event: ErrorEvent) => new TesseraError(event.status || 500, event.code || 'internal_server_error', event.message || 'The generation failed.');

const KEEP_ALIVE_MS = 10_000;

/**
 * `/v1` routes in OpenAI's dialect, so OpenAI SDKs and tools can use an app:
 * `POST /chat/completions` (blocking and streamed) and `GET /models`. The app
 * key selects the app; `model` names it (its id or its name).
 */
export function registerOpenAiRoutes(service: Router, deps: OpenAiRouteDeps): void {
  const { apps, conversations, tracker } = deps;
  const gate = [openAiErrors(), deps.appKey, appGate(apps)];

  service.get('/models', ...gate, (ctx) => {
    ctx.body = { object: 'list', data: [modelView(runnableOf(ctx))] };
  });
  service.get('/models/:model', ...gate, (ctx) => {
    checkModel(ctx, ctx.params.model);
    ctx.body = modelView(runnableOf(ctx));
  });

  service.post('/chat/completions', ...gate, async (ctx) => {
    const body = objectBody(ctx);
    checkModel(ctx, body.model);
    const runnable = publishedOf(ctx);
    const { app } = runnable;
    if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw new InputError('stream must be a boolean.', 'stream');
    if (body.n !== undefined && body.n !== null && body.n !== 1) throw new InputError('Only n = 1 is supported.', 'n');
    const stream = body.stream === true;
    const includeUsage = stream && (objectField(body, 'stream_options')?.include_usage === true);
    let user = ANONYMOUS_USER;
    if (body.user !== undefined && body.user !== null && body.user !== '') {
      if (typeof body.user !== 'string' || body.user.length > 255) throw new InputError('user must be a string of at most 255 characters.', 'user');
      user = body.user;
    }
    const inputs = objectField(body, 'inputs') ?? {};
    if (body.files !== undefined && body.files !== null && !Array.isArray(body.files)) throw new InputError('files must be a list.', 'files');
    const parsed = parseMessages(body.messages);
    const files = [...((body.files as unknown[] | undefined) ?? []), ...parsed.files];

    const caller = callerOf(ctx);
    const completion = app.mode === 'completion';
    // Moderation of the client's system message and fitting its history to the memory budget happen in the runner.
    const run = await startRun(deps.runs, {
      runnable,
      request: {
        endpoint: completion ? 'completion' : 'chat',
        query: completion ? '' : parsed.query,
        inputs: completion ? { ...inputs, query: parsed.query } : inputs,
        files: files.length ? files : undefined,
        autoGenerateName: false,
        source: 'api',
        blocking: !stream,
        ...(completion ? {} : { history: parsed.history, ...(parsed.system ? { systemPrompt: parsed.system } : {}) }),
      },
      owner: () => ownerOf(ctx, conversations, user),
      limits: { keyId: caller.keyId, keyConcurrency: deps.keyConcurrency },
    });
    const model = String(body.model);
    if (stream) await streamed(ctx, run, model, includeUsage, tracker);
    else await blocking(ctx, run, model);
  });
}

async function blocking(ctx: Context, run: StartedRun, model: string): Promise<void> {
  const { prepared } = run;
  const controller = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  ctx.res.once('close', onClose);
  try {
    const outcome: Outcome = { content: '', filtered: false, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } };
    let ended = false;
    for await (const event of run.events(controller.signal)) {
      if (isAnswerDelta(event)) outcome.content += event.answer;
      else if (event.event === 'message_replace') {
        outcome.content = event.answer;
        outcome.filtered = true;
      } else if (event.event === 'message_end') {
        outcome.usage = usageOf(event);
        ended = true;
      } else if (event.event === 'error') throw eventError(event);
    }
    if (!ended) throw new TesseraError(500, 'internal_server_error', 'The generation ended without an answer.');
    ctx.body = {
      id: `chatcmpl-${prepared.messageId}`,
      object: 'chat.completion',
      created: prepared.createdAt,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: outcome.content, refusal: null }, logprobs: null, finish_reason: outcome.filtered ? 'content_filter' : 'stop' }],
      usage: outcome.usage,
    };
  } finally {
    ctx.res.off('close', onClose);
    run.release();
  }
}

/**
 * Streams `chat.completion.chunk`s. Headers go out with the first event, so a
 * failure before any output (a provider refusing the call) is still a plain
 * HTTP error the SDK raises as such; later failures arrive as a `data:
 * {"error":…}` frame, which OpenAI SDKs raise too. Keep-alives are SSE comments
 * (OpenAI SDKs would choke on Dify's `event: ping`).
 */
async function streamed(ctx: Context, run: StartedRun, model: string, includeUsage: boolean, tracker: ConnectionTracker): Promise<void> {
  const { prepared } = run;
  const release = run.release;
  const controller = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  ctx.res.once('close', onClose);
  const events = run.events(controller.signal);
  let first: IteratorResult<RunEvent>;
  try {
    first = await events.next();
    if (first.done) throw new TesseraError(500, 'internal_server_error', 'The generation ended without an answer.');
    if (first.value.event === 'error') throw eventError(first.value);
  } catch (error) {
    ctx.res.off('close', onClose);
    release();
    await events.return(undefined);
    throw error;
  }

  // Headers go out now; shutdown (and a disconnect, as before) reaches the generation through the stream's signal.
  const sse = openSse(ctx, tracker, KEEP_ALIVE_MS, ': keep-alive\n\n');
  sse.signal.addEventListener('abort', () => controller.abort(sse.signal.reason), { once: true });
  const base = { id: `chatcmpl-${prepared.messageId}`, object: 'chat.completion.chunk', created: prepared.createdAt, model };
  const write = (frame: string) => sse.write(frame);
  const chunk = (delta: Record<string, unknown>, finish: string | null) => write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`);

  void (async () => {
    let roleSent = false;
    let filtered = false;
    let usage: Outcome['usage'] | undefined;
    let failed: ErrorEvent | undefined;
    const handle = (event: RunEvent) => {
      if (isAnswerDelta(event)) {
        chunk(roleSent ? { content: event.answer } : { role: 'assistant', content: event.answer }, null);
        roleSent = true;
      } else if (event.event === 'message_replace') filtered = true;
      else if (event.event === 'message_end') usage = usageOf(event);
      else if (event.event === 'error') failed = event;
      else if (!roleSent) {
        // An agent's first step: the client learns the answer has begun.
        chunk({ role: 'assistant', content: '' }, null);
        roleSent = true;
      }
    };
    try {
      handle(first.value);
      for await (const event of events) {
        if (sse.closed) continue;
        handle(event);
      }
      if (failed) {
        write(`data: ${JSON.stringify(openAiError(eventError(failed)).body)}\n\n`);
      } else {
        if (!roleSent) chunk({ role: 'assistant', content: '' }, null);
        chunk({}, filtered ? 'content_filter' : 'stop');
        if (includeUsage && usage) write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
        write('data: [DONE]\n\n');
      }
    } catch (error) {
      write(`data: ${JSON.stringify(openAiError(error).body)}\n\n`);
    } finally {
      ctx.res.off('close', onClose);
      release();
      sse.close();
    }
  })();
}

