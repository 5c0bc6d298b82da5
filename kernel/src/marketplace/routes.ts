import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import { InputError } from '../errors.js';
import { canInstall } from '../identity/roles.js';
import type { Catalog } from './catalog.js';
import type { TrustedPublishers } from './publishers.js';


/** `/console/api/marketplace/*`: browse the registry and install from it. */
export function registerMarketplaceRoutes(router: Router, deps: { catalog: Catalog; publishers: TrustedPublishers }): void {
  const { catalog, publishers } = deps;
  router.get('/marketplace/plugins', async (ctx) => {
    const limit = Math.min(Math.max(Number(ctx.query.limit ?? 50) || 50, 1), 200);
    ctx.body = await catalog.search(authOf(ctx).workspaceId, String(ctx.query.q ?? ''), ctx.query.kind === undefined ? undefined : String(ctx.query.kind), limit);
  });
  router.get('/marketplace/plugins/:name', async (ctx) => {
    ctx.body = await catalog.detail(authOf(ctx).workspaceId, ctx.params.name!);
  });
  router.post('/marketplace/plugins/:name/install', async (ctx) => {
    const body = objectBody(ctx);
    if (body.version !== undefined && typeof body.version !== 'string') throw new InputError('version must be a string.', 'version');
    const auth = authOf(ctx);
    const { pkg, enabled } = await catalog.install(auth.workspaceId, ctx.params.name!, body.version as string | undefined, body.granted_permissions, auth.accountId, canInstall(auth.installRole, 'install.marketplace'));
    ctx.status = 201;
    ctx.body = { plugin: { name: pkg.name, version: pkg.version, contributes: pkg.manifest.contributes, permissions: pkg.manifest.permissions ?? {}, runtime: pkg.runtime, integrity: pkg.integrity }, enabled };
  });

  router.get('/marketplace/publishers', async (ctx) => {
    ctx.body = { data: await publishers.list() };
  });
  router.post('/marketplace/publishers', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    ctx.status = 201;
    ctx.body = await publishers.add(body.public_key as string, body.name as string, authOf(ctx).accountId);
  });
  router.delete('/marketplace/publishers/:keyid', async (ctx) => {
    await publishers.remove(ctx.params.keyid!);
    ctx.status = 204;
  });
  router.get('/marketplace/settings', async (ctx) => {
    ctx.body = { allow_unsigned: await publishers.allowUnsigned() };
  });
  router.put('/marketplace/settings', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof body.allow_unsigned !== 'boolean') throw new InputError('allow_unsigned must be true or false.', 'allow_unsigned');
    await publishers.setAllowUnsigned(body.allow_unsigned);
    ctx.body = { allow_unsigned: body.allow_unsigned };
  });
}
