import type Router from '@koa/router';
import { Type } from '@sinclair/typebox';
import { authOf } from '../http/auth.js';
import { isUuid, objectBody, parse, queryInt } from '../http/validate.js';
import { NotFoundError } from '../errors.js';
import type { InstallSettings } from './install.js';
import { permissionTable } from './roles.js';

const RoleBody = Type.Object({ install_role: Type.Union([Type.Literal('admin'), Type.Null(), Type.Literal('owner')]) }, { additionalProperties: false });

/** `/console/api/system/*`: the install level (its admins only, per the route table). */
export function registerInstallRoutes(router: Router, deps: { install: InstallSettings }): void {
  const { install } = deps;
  // What the caller may do, so the console shows only what will work (and keeps no copy of the role tables).
  router.get('/account/authority', async (ctx) => {
    const auth = authOf(ctx);
    const { workspace, install: installGrants } = permissionTable();
    ctx.body = {
      workspace_id: auth.workspaceId,
      role: auth.role,
      install_role: auth.installRole,
      permissions: Object.entries(workspace).filter(([, roles]) => roles.includes(auth.role)).map(([p]) => p),
      install_permissions: Object.entries(installGrants).filter(([, roles]) => !!auth.installRole && roles.includes(auth.installRole)).map(([p]) => p),
      can_create_workspace: await install.mayCreateWorkspace(auth),
    };
  });
  router.get('/system/settings', async (ctx) => {
    ctx.body = await install.get();
  });
  router.put('/system/settings', async (ctx) => {
    ctx.body = await install.update(objectBody(ctx));
  });
  router.get('/system/accounts', async (ctx) => {
    const limit = queryInt(ctx, 'limit', 50, 1, 200);
    const page = queryInt(ctx, 'page', 1, 1, 100_000);
    ctx.body = { ...(await install.accounts(limit, (page - 1) * limit)), page, limit };
  });
  router.put('/system/accounts/:account_id/install-role', async (ctx) => {
    if (!isUuid(ctx.params.account_id)) throw new NotFoundError('Account not found.', 'account_not_found');
    const body = parse(RoleBody, ctx.request.body);
    ctx.body = await install.setInstallRole(authOf(ctx), ctx.params.account_id!, body.install_role);
  });
}
