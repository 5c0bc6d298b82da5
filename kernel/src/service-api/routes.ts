import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import type { Context, Middleware } from 'koa';
import { InputError, TesseraError } from '../errors.js';
import type { ConnectionTracker } from '../http/connections.js';
import { callerOf } from '../http/auth.js';
import type { Apps } from '../apps/apps.js';
import { parametersView } from '../apps/config.js';
import type { Conversations } from '../conversations/conversations.js';
import type { Files } from '../files/files.js';
import { startRun, type StartRunDeps } from '../runs/start-run.js';
import { messageRequest, respond, responseMode } from './respond.js';

export interface ServiceRouteDeps {
  readonly apps: Apps;
  readonly conversations: Conversations;
  /** Runners, tasks and limits: what `startRun` needs. */
  readonly runs: StartRunDeps;
  readonly files: Files;
  readonly tracker: ConnectionTracker;
  /** Resolves the app key onto `ctx.state.caller`. */
  readonly appKey: Middleware;
  /** Concurrent generations allowed per API key (0 = unlimited). */
  readonly keyConcurrency: number;
}

import { appGate, ownerOf, publishedOf, runnableOf, userOf } from './gate.js';

/** `/v1` generation routes: chat and completion messages, stop, and what a client reads to render the app. */
export function registerServiceRoutes(service: Router, deps: ServiceRouteDeps): void {
  const { apps, conversations } = deps;
  const { tasks } = deps.runs;
  const gate = [deps.appKey, appGate(apps)];

  const generate = (endpoint: 'chat' | 'completion') => async (ctx: Context) => {
    const runnable = publishedOf(ctx);
    const input = objectBody(ctx);
    const user = userOf(ctx, 'body');
    const mode = responseMode(input.response_mode);
    if (runnable.app.mode === 'agent-chat' && mode === 'blocking') throw new InputError('Agent Chat App does not support blocking mode', 'response_mode');
    if (endpoint === 'chat' && input.conversation_id !== undefined && input.conversation_id !== null && typeof input.conversation_id !== 'string') throw new InputError('conversation_id must be a string.', 'conversation_id');
    const caller = callerOf(ctx);
    const run = await startRun(deps.runs, {
      runnable,
      request: messageRequest(input, endpoint, 'api'),
      owner: () => ownerOf(ctx, conversations, user),
      limits: { keyId: caller.keyId, keyConcurrency: deps.keyConcurrency },
    });
    await respond(ctx, run, mode, deps.tracker);
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
