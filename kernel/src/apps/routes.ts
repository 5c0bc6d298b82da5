import { Type } from '@sinclair/typebox';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { callerOf } from '../http/auth.js';
import { parse } from '../http/validate.js';
import type { ApiKeys } from '../identity/api-keys.js';
import type { Permission } from '../identity/roles.js';
import type { ConsoleAuth } from '../identity/sessions.js';
import { APP_MODES, appView, type Apps } from './apps.js';
import { ForbiddenError } from '../errors.js';

const CreateApp = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  mode: Type.Union(APP_MODES.map((m) => Type.Literal(m))),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  icon: Type.Optional(Type.String()),
  icon_type: Type.Optional(Type.String()),
  icon_background: Type.Optional(Type.String()),
});
const Paging = Type.Object({ page: Type.Integer({ minimum: 1, maximum: 99999 }), limit: Type.Integer({ minimum: 1, maximum: 100 }) });

function auth(ctx: Context): ConsoleAuth {
  return ctx.state.auth as ConsoleAuth;
}

export function registerAppRoutes(console: Router, service: Router, deps: { apps: Apps; apiKeys: ApiKeys; guard(p: Permission): Middleware[]; appKey: Middleware }): void {
  const { apps, apiKeys, guard } = deps;

  console.get('/apps', ...guard('apps.view'), async (ctx) => {
    const paging = parse(Paging, { page: Number(ctx.query.page ?? 1), limit: Number(ctx.query.limit ?? 30) }, 'query');
    ctx.body = await apps.list(auth(ctx).workspaceId, paging.page, paging.limit);
  });
  console.post('/apps', ...guard('apps.edit'), async (ctx) => {
    const body = parse(CreateApp, ctx.request.body);
    ctx.status = 201;
    ctx.body = appView(await apps.create(auth(ctx).workspaceId, body, auth(ctx).accountId));
  });
  console.get('/apps/:app_id', ...guard('apps.view'), async (ctx) => {
    ctx.body = appView(await apps.get(auth(ctx).workspaceId, ctx.params.app_id!));
  });
  console.delete('/apps/:app_id', ...guard('apps.edit'), async (ctx) => {
    await apps.remove(auth(ctx).workspaceId, ctx.params.app_id!);
    ctx.status = 204;
  });

  console.get('/apps/:app_id/api-keys', ...guard('apps.edit'), async (ctx) => {
    const app = await apps.get(auth(ctx).workspaceId, ctx.params.app_id!);
    ctx.body = { data: await apiKeys.list(app.workspace_id, 'app', app.id) };
  });
  console.post('/apps/:app_id/api-keys', ...guard('apps.edit'), async (ctx) => {
    const app = await apps.get(auth(ctx).workspaceId, ctx.params.app_id!);
    ctx.status = 201;
    ctx.body = await apiKeys.create(app.workspace_id, 'app', app.id, auth(ctx).accountId);
  });
  console.delete('/apps/:app_id/api-keys/:key_id', ...guard('apps.edit'), async (ctx) => {
    const app = await apps.get(auth(ctx).workspaceId, ctx.params.app_id!);
    await apiKeys.revoke(app.workspace_id, 'app', app.id, ctx.params.key_id!);
    ctx.status = 204;
  });

  service.get('/info', deps.appKey, async (ctx) => {
    const caller = callerOf(ctx);
    const app = await apps.get(caller.workspaceId, caller.appId!).catch(() => {
      throw new ForbiddenError('The app no longer exists.', 'app_unavailable');
    });
    if (!app.enable_api) throw new ForbiddenError("The app's API service has been disabled.", 'forbidden');
    ctx.body = { name: app.name, description: app.description, tags: [], mode: app.mode, author_name: '' };
  });
}
