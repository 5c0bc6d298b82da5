import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import { ConflictError, InputError, UnavailableError } from '../errors.js';
import type { Marketplace } from './marketplace.js';
import { canInstall } from '../identity/roles.js';
import type { Catalog } from './catalog.js';
import type { TrustedPublishers } from './publishers.js';


/** `/console/api/marketplace/*`: browse the registry and install from it. */
export function registerMarketplaceRoutes(router: Router, deps: { catalog: Catalog; publishers: TrustedPublishers; marketplace: Marketplace }): void {
  const { catalog, publishers, marketplace } = deps;
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
  // A registry account for publishing to the embedded marketplace (its registration is closed):
  // the token is shown once, for `tessera-plugin publish --token` or an .npmrc.
  router.post('/marketplace/publish-tokens', async (ctx) => {
    const body = objectBody(ctx);
    const name = body.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new InputError('name must be 1–64 letters, digits, ".", "_" or "-" (the registry account publishing will use).', 'name');
    if (marketplace.mode !== 'embedded') throw new ConflictError(`Publish tokens are issued by the embedded marketplace only (this install's is ${marketplace.mode}); create publisher accounts on that registry.`, 'marketplace_not_embedded');
    await marketplace.ready().catch((error: Error) => {
      throw new UnavailableError(`The marketplace is not available: ${error.message}`, 'marketplace_unavailable');
    });
    let issued: { name: string; token: string };
    try {
      issued = await marketplace.issuePublishToken(name);
    } catch (error) {
      if (/already exists/.test((error as Error).message)) throw new ConflictError(`The registry already has an account "${name}"; choose another name.`, 'publisher_account_exists');
      throw error;
    }
    ctx.status = 201;
    ctx.body = { name: issued.name, token: issued.token, registry: marketplace.url };
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
