import { Type } from '@sinclair/typebox';
import { authOf } from '../http/auth.js';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { InputError } from '../errors.js';
import type { ConnectionTracker } from '../http/connections.js';
import { parse } from '../http/validate.js';
import type { ApiKeys } from '../identity/api-keys.js';
import { appView, type Apps, RUNNABLE_MODES } from './apps.js';
import { startRun, type StartRunDeps } from '../runs/start-run.js';
import { messageRequest, respond, responseMode } from '../service-api/respond.js';

const Icon = {
  icon: Type.Optional(Type.String({ maxLength: 255 })),
  icon_type: Type.Optional(Type.Union([Type.Literal('emoji'), Type.Literal('image'), Type.Literal('link')])),
  icon_background: Type.Optional(Type.String({ maxLength: 32 })),
};
const Limits = {
  max_active_requests: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  api_rpm: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
};
const CreateApp = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  // `advanced-chat` and `workflow` apps arrive with the workflow engine.
  mode: Type.Union(RUNNABLE_MODES.map((m) => Type.Literal(m))),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  model_config: Type.Optional(Type.Unknown()),
  ...Icon,
  ...Limits,
});
// Unknown fields are refused (400 naming the field), as docs/api/console-apps.md says: a `mode` or `model_config` sent here would be dropped silently otherwise.
const UpdateApp = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), description: Type.Optional(Type.String({ maxLength: 2000 })), ...Icon, ...Limits }, { additionalProperties: false });
const Paging = Type.Object({ page: Type.Integer({ minimum: 1, maximum: 99999 }), limit: Type.Integer({ minimum: 1, maximum: 100 }) });


export interface AppRouteDeps {
  readonly apps: Apps;
  readonly apiKeys: ApiKeys;
  /** Runners, tasks and limits: what `startRun` needs. */
  readonly runs: StartRunDeps;
  readonly tracker: ConnectionTracker;
}

/** `/console/api/apps…`: manage apps, their configs and keys, and try the draft in a preview chat. */
export function registerAppRoutes(console: Router, deps: AppRouteDeps): void {
  const { apps, apiKeys } = deps;

  console.get('/apps', async (ctx) => {
    const paging = parse(Paging, { page: Number(ctx.query.page ?? 1), limit: Number(ctx.query.limit ?? 30) }, 'query');
    const mode = typeof ctx.query.mode === 'string' && ctx.query.mode !== 'all' ? ctx.query.mode : undefined;
    const name = typeof ctx.query.name === 'string' ? ctx.query.name : undefined;
    ctx.body = await apps.list(authOf(ctx).workspaceId, paging.page, paging.limit, { mode, name });
  });
  console.post('/apps', async (ctx) => {
    const body = parse(CreateApp, ctx.request.body);
    const app = await apps.create(authOf(ctx).workspaceId, body, authOf(ctx).accountId);
    ctx.status = 201;
    ctx.body = await apps.details(authOf(ctx).workspaceId, app.id);
  });
  console.get('/apps/:app_id', async (ctx) => {
    ctx.body = await apps.details(authOf(ctx).workspaceId, ctx.params.app_id!);
  });
  console.put('/apps/:app_id', async (ctx) => {
    await apps.update(authOf(ctx).workspaceId, ctx.params.app_id!, parse(UpdateApp, ctx.request.body));
    ctx.body = await apps.details(authOf(ctx).workspaceId, ctx.params.app_id!);
  });
  console.put('/apps/:app_id/model-config', async (ctx) => {
    await apps.saveDraft(authOf(ctx).workspaceId, ctx.params.app_id!, ctx.request.body);
    ctx.body = await apps.details(authOf(ctx).workspaceId, ctx.params.app_id!);
  });
  console.post('/apps/:app_id/publish', async (ctx) => {
    await apps.publish(authOf(ctx).workspaceId, ctx.params.app_id!, authOf(ctx).accountId);
    ctx.body = await apps.details(authOf(ctx).workspaceId, ctx.params.app_id!);
  });
  console.get('/apps/:app_id/versions', async (ctx) => {
    ctx.body = { data: await apps.versions(authOf(ctx).workspaceId, ctx.params.app_id!) };
  });
  console.post('/apps/:app_id/copy', async (ctx) => {
    const name = (ctx.request.body as { name?: unknown } | undefined)?.name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 255)) throw new InputError('name must be a non-empty string of at most 255 characters.', 'name');
    const copy = await apps.copy(authOf(ctx).workspaceId, ctx.params.app_id!, name as string | undefined, authOf(ctx).accountId);
    ctx.status = 201;
    ctx.body = await apps.details(authOf(ctx).workspaceId, copy.id);
  });
  console.post('/apps/:app_id/api-enable', async (ctx) => {
    const enable = (ctx.request.body as { enable_api?: unknown } | undefined)?.enable_api;
    if (typeof enable !== 'boolean') throw new InputError('enable_api must be true or false.', 'enable_api');
    ctx.body = appView(await apps.setApiEnabled(authOf(ctx).workspaceId, ctx.params.app_id!, enable));
  });
  console.delete('/apps/:app_id', async (ctx) => {
    await apps.remove(authOf(ctx).workspaceId, ctx.params.app_id!);
    ctx.status = 204;
  });

  console.get('/apps/:app_id/api-keys', async (ctx) => {
    const app = await apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);
    ctx.body = { data: await apiKeys.list(app.workspace_id, 'app', app.id) };
  });
  console.post('/apps/:app_id/api-keys', async (ctx) => {
    const app = await apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);
    ctx.status = 201;
    ctx.body = await apiKeys.create(app.workspace_id, 'app', app.id, authOf(ctx).accountId);
  });
  console.delete('/apps/:app_id/api-keys/:key_id', async (ctx) => {
    const app = await apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);
    await apiKeys.revoke(app.workspace_id, 'app', app.id, ctx.params.key_id!);
    ctx.status = 204;
  });

  // The preview runs the draft as the signed-in account; its conversations are logged with source `console`.
  const preview = (endpoint: 'chat' | 'completion') => async (ctx: Context) => {
    const runnable = await apps.draftRunnable(authOf(ctx).workspaceId, ctx.params.app_id!);
    const input = (ctx.request.body ?? {}) as Record<string, unknown>;
    const mode = responseMode(input.response_mode);
    const run = await startRun(deps.runs, {
      runnable,
      request: messageRequest(input, endpoint, 'console'),
      owner: { kind: 'account', id: authOf(ctx).accountId },
    });
    await respond(ctx, run, mode, deps.tracker);
  };
  const stop = async (ctx: Context) => {
    await apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);
    await deps.runs.tasks.stop(ctx.params.task_id!, `account:${authOf(ctx).accountId}`);
    ctx.body = { result: 'success' };
  };
  console.post('/apps/:app_id/chat-messages', preview('chat'));
  console.post('/apps/:app_id/completion-messages', preview('completion'));
  console.post('/apps/:app_id/chat-messages/:task_id/stop', stop);
  console.post('/apps/:app_id/completion-messages/:task_id/stop', stop);
}
