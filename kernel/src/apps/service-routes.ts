import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import type { Context, Middleware, Next } from 'koa';
import { ForbiddenError, InputError, TesseraError } from '../errors.js';
import type { ConnectionTracker } from '../http/connections.js';
import { callerOf } from '../http/auth.js';
import type { Apps, RunnableApp } from './apps.js';
import type { AppConfig } from './config.js';
import { parametersView } from './config.js';
import type { Conversations, Owner } from './conversations.js';
import type { Files } from './files.js';
import type { Generator } from './generate.js';
import type { Limiter } from './limits.js';
import { respond, responseMode } from './respond.js';
import type { Tasks } from './tasks.js';

export interface ServiceRouteDeps {
  readonly apps: Apps;
  readonly conversations: Conversations;
  readonly generator: Generator;
  readonly tasks: Tasks;
  readonly files: Files;
  readonly limiter: Limiter;
  readonly tracker: ConnectionTracker;
  /** Resolves the app key onto `ctx.state.caller`. */
  readonly appKey: Middleware;
  /** Concurrent generations allowed per API key (0 = unlimited). */
  readonly keyConcurrency: number;
}

/** Dify's session id for calls that name no user. */
export const ANONYMOUS_USER = 'DEFAULT-USER';

/** The app behind the key, checked runnable; set on `ctx.state.app`. */
export function appGate(apps: Apps): Middleware {
  return async (ctx: Context, next: Next) => {
    const caller = callerOf(ctx);
    const runnable = await apps.runnableById(caller.appId!);
    if (!runnable || runnable.app.workspace_id !== caller.workspaceId) throw new ForbiddenError('The app no longer exists.', 'app_unavailable');
    if (runnable.app.status !== 'normal') throw new ForbiddenError('The app is not available.', 'app_unavailable');
    if (!runnable.app.enable_api) throw new ForbiddenError("The app's API service has been disabled.", 'forbidden');
    ctx.state.runnable = runnable;
    await next();
  };
}

export function runnableOf(ctx: Context): RunnableApp<AppConfig | null> {
  return ctx.state.runnable as RunnableApp<AppConfig | null>;
}

/** The published config; 400 `app_unavailable` before the app is first published. */
export function publishedOf(ctx: Context): RunnableApp {
  const runnable = runnableOf(ctx);
  if (!runnable.config) throw new TesseraError(400, 'app_unavailable', 'App unavailable, please check your app configurations: the app has not been published.');
  return runnable as RunnableApp;
}

/** The `user` of a request (body for writes, query for reads); required unless `optional`. */
export function userOf(ctx: Context, where: 'body' | 'query' | 'form', optional = false, form?: Record<string, string>): string {
  const source = where === 'query' ? ctx.query.user : where === 'form' ? form?.user : (ctx.request.body as Record<string, unknown> | undefined)?.user;
  const user = Array.isArray(source) ? source[0] : source;
  if (typeof user === 'string' && user.trim() !== '') {
    if (user.length > 255) throw new InputError('user must be at most 255 characters.', 'user');
    return user;
  }
  if (optional) return ANONYMOUS_USER;
  throw new InputError('Arg user must be provided.', 'user');
}

/** The end user a request acts for. */
export async function ownerOf(ctx: Context, conversations: Conversations, user: string): Promise<Owner> {
  const { app } = runnableOf(ctx);
  return { kind: 'end_user', id: await conversations.endUser(app.workspace_id, app.id, user), sessionId: user };
}


/** `/v1` generation routes: chat and completion messages, stop, and what a client reads to render the app. */
export function registerServiceRoutes(service: Router, deps: ServiceRouteDeps): void {
  const { apps, conversations, generator, tasks, limiter } = deps;
  const gate = [deps.appKey, appGate(apps)];

  const generate = (endpoint: 'chat' | 'completion') => async (ctx: Context) => {
    const runnable = publishedOf(ctx);
    const input = objectBody(ctx);
    const user = userOf(ctx, 'body');
    const mode = responseMode(input.response_mode);
    if (runnable.app.mode === 'agent-chat' && mode === 'blocking') throw new InputError('Agent Chat App does not support blocking mode', 'response_mode');
    if (endpoint === 'chat' && input.conversation_id !== undefined && input.conversation_id !== null && typeof input.conversation_id !== 'string') throw new InputError('conversation_id must be a string.', 'conversation_id');
    const caller = callerOf(ctx);
    await limiter.hit(`key:${caller.keyId}`, runnable.app.api_rpm);
    const owner = await ownerOf(ctx, conversations, user);
    const prepared = await generator.prepare(runnable, {
      endpoint,
      query: typeof input.query === 'string' ? input.query : '',
      inputs: input.inputs,
      conversationId: typeof input.conversation_id === 'string' && input.conversation_id !== '' ? input.conversation_id : undefined,
      files: input.files,
      autoGenerateName: input.auto_generate_name !== false,
      owner,
      source: 'api',
    });
    const releaseApp = await limiter.acquire(`app:${runnable.app.id}`, runnable.app.max_active_requests);
    let releaseKey: () => void;
    try {
      releaseKey = await limiter.acquire(`key:${caller.keyId}`, deps.keyConcurrency);
    } catch (error) {
      releaseApp();
      throw error;
    }
    await respond(ctx, generator, prepared, mode, deps.tracker, () => {
      releaseApp();
      releaseKey();
    });
  };
  const stop = async (ctx: Context) => {
    const user = userOf(ctx, 'body');
    const owner = await ownerOf(ctx, conversations, user);
    await tasks.stop(ctx.params.task_id!, `${owner.kind}:${owner.id}`);
    ctx.body = { result: 'success' };
  };

  service.post('/chat-messages', ...gate, generate('chat'));
  service.post('/completion-messages', ...gate, generate('completion'));
  service.post('/chat-messages/:task_id/stop', ...gate, stop);
  service.post('/completion-messages/:task_id/stop', ...gate, stop);

  service.get('/parameters', ...gate, (ctx) => {
    ctx.body = parametersView(publishedOf(ctx).config, deps.files.limits);
  });
  service.get('/info', ...gate, (ctx) => {
    const { app } = runnableOf(ctx);
    ctx.body = { name: app.name, description: app.description, tags: [], mode: app.mode, author_name: '' };
  });
  service.get('/meta', ...gate, (ctx) => {
    const tools = runnableOf(ctx).config?.agent_mode.tools ?? [];
    ctx.body = { tool_icons: Object.fromEntries(tools.map((t) => [t.tool_name, { background: '#F5F5F5', content: '🔧' }])) };
  });
  service.get('/site', ...gate, (ctx) => {
    const { app } = runnableOf(ctx);
    ctx.body = {
      title: app.name,
      chat_color_theme: null,
      chat_color_theme_inverted: false,
      icon_type: app.icon_type,
      icon: app.icon,
      icon_background: app.icon_background,
      icon_url: null,
      description: app.description,
      copyright: null,
      privacy_policy: null,
      custom_disclaimer: '',
      default_language: 'en-US',
      show_workflow_steps: false,
      use_icon_as_answer_icon: false,
    };
  });
  service.get('/end-users/:end_user_id', ...gate, async (ctx) => {
    const { app } = runnableOf(ctx);
    const row = await conversations.endUserById(app.id, ctx.params.end_user_id!);
    const iso = (d: unknown) => new Date(d as string).toISOString();
    ctx.body = { id: row.id, tenant_id: row.workspace_id, app_id: row.app_id, type: row.type, external_user_id: row.session_id, name: row.session_id, is_anonymous: row.is_anonymous, session_id: row.session_id, created_at: iso(row.created_at), updated_at: iso(row.updated_at) };
  });
  service.post('/audio-to-text', ...gate, () => {
    throw new TesseraError(400, 'provider_not_support_speech_to_text', 'No speech-to-text model is available for this app.');
  });
  service.post('/text-to-audio', ...gate, () => {
    throw new TesseraError(400, 'provider_not_support_text_to_speech', 'No text-to-speech model is available for this app.');
  });
}
