import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import type { Context, Middleware } from 'koa';
import { InputError } from '../errors.js';
import type { Permission } from '../identity/roles.js';
import type { Catalog } from './catalog.js';
import type { TrustedPublishers } from './publishers.js';


/** `/console/api/marketplace/*`: browse the registry and install from it. */
export function registerMarketplaceRoutes(router: Router, deps: { catalog: Catalog; publishers: TrustedPublishers; guard(permission: Permission): Middleware[] }): void {
  const { catalog, publishers, guard } = deps;
  router.get('/marketplace/plugins', ...guard('plugins.use'), async (ctx) => {
    const limit = Math.min(Math.max(Number(ctx.query.limit ?? 50) || 50, 1), 200);
    ctx.body = await catalog.search(authOf(ctx).workspaceId, String(ctx.query.q ?? ''), ctx.query.kind === undefined ? undefined : String(ctx.query.kind), limit);
  });
  router.get('/marketplace/plugins/:name', ...guard('plugins.use'), async (ctx) => {
    ctx.body = await catalog.detail(authOf(ctx).workspaceId, ctx.params.name!);
  });
  router.post('/marketplace/plugins/:name/install', ...guard('plugins.manage'), async (ctx) => {
    const body = objectBody(ctx);
    if (body.version !== undefined && typeof body.version !== 'string') throw new InputError('version must be a string.', 'version');
    const { pkg, enabled } = await catalog.install(authOf(ctx).workspaceId, ctx.params.name!, body.version as string | undefined, body.granted_permissions, authOf(ctx).accountId);
    ctx.status = 201;
    ctx.body = { plugin: { name: pkg.name, version: pkg.version, contributes: pkg.manifest.contributes, permissions: pkg.manifest.permissions ?? {}, runtime: pkg.runtime, integrity: pkg.integrity }, enabled };
  });

  router.get('/marketplace/publishers', ...guard('plugins.manage'), async (ctx) => {
    ctx.body = { data: await publishers.list() };
  });
  router.post('/marketplace/publishers', ...guard('plugins.manage'), async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    ctx.status = 201;
    ctx.body = await publishers.add(body.public_key as string, body.name as string, authOf(ctx).accountId);
  });
  router.delete('/marketplace/publishers/:keyid', ...guard('plugins.manage'), async (ctx) => {
    await publishers.remove(ctx.params.keyid!);
    ctx.status = 204;
  });
  router.get('/marketplace/settings', ...guard('plugins.manage'), async (ctx) => {
    ctx.body = { allow_unsigned: await publishers.allowUnsigned() };
  });
  router.put('/marketplace/settings', ...guard('plugins.manage'), async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof body.allow_unsigned !== 'boolean') throw new InputError('allow_unsigned must be true or false.', 'allow_unsigned');
    await publishers.setAllowUnsigned(body.allow_unsigned);
    ctx.body = { allow_unsigned: body.allow_unsigned };
  });
}
