import { Type } from '@sinclair/typebox';
import { authOf } from '../http/auth.js';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { InputError, NotFoundError } from '../errors.js';
import { isUuid, parse } from '../http/validate.js';
import type { Accounts } from './accounts.js';
import type { ApiKeys } from './api-keys.js';
import { ROLES } from './roles.js';
import type { Sessions } from './sessions.js';
import { clientOf, setDeviceCookie, type Throttle } from './throttle.js';
import type { Workspaces } from './workspaces.js';

export interface IdentityDeps {
  accounts: Accounts;
  sessions: Sessions;
  workspaces: Workspaces;
  apiKeys: ApiKeys;
  /** Brute-force limits (login inside Sessions; activation here). */
  throttle: Throttle;
}

const invitationGuess = (error: unknown) => (error as { code?: string }).code === 'invalid_invitation';

const Setup = Type.Object({ email: Type.String({ maxLength: 320 }), name: Type.String({ minLength: 1, maxLength: 255 }), password: Type.String() }, { additionalProperties: false });
const Login = Type.Object({ email: Type.String(), password: Type.String(), remember_me: Type.Optional(Type.Boolean()), language: Type.Optional(Type.String()) });
const Refresh = Type.Object({ refresh_token: Type.String({ minLength: 1 }) });
const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
const Switch = Type.Object({ tenant_id: Type.Optional(Type.String({ format: 'uuid' })), workspace_id: Type.Optional(Type.String()) });
const Invite = Type.Object({
  emails: Type.Array(Type.String(), { minItems: 1, maxItems: 50 }),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  language: Type.Optional(Type.String()),
});
const Accept = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
const RoleUpdate = Type.Object({ role: Type.String() });
const Activate = Type.Object({ token: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1, maxLength: 255 }), password: Type.String(), workspace_id: Type.Optional(Type.String()), email: Type.Optional(Type.String()), interface_language: Type.Optional(Type.String()), timezone: Type.Optional(Type.String()) });



/** Console routes of identity and tenancy (Dify's paths where Dify has them). */
export function registerIdentityRoutes(router: Router, deps: IdentityDeps): void {
  const { accounts, sessions, workspaces, apiKeys } = deps;

  router.get('/setup', async (ctx) => {
    ctx.body = await accounts.setupStatus();
  });
  router.post('/setup', async (ctx) => {
    const body = parse(Setup, ctx.request.body);
    await accounts.setup(body);
    ctx.status = 201;
    ctx.body = { result: 'success' };
  });
  router.post('/login', async (ctx) => {
    const body = parse(Login, ctx.request.body);
    const client = clientOf(ctx);
    const tokens = await sessions.login(body.email, body.password, ctx.get('User-Agent'), client);
    setDeviceCookie(ctx, client);
    ctx.body = { result: 'success', data: tokens };
  });
  router.post('/refresh-token', async (ctx) => {
    const body = parse(Refresh, ctx.request.body);
    ctx.body = { result: 'success', data: await sessions.refresh(body.refresh_token) };
  });
  const logout = async (ctx: Context) => {
    await sessions.revoke(authOf(ctx).sessionId);
    ctx.body = { result: 'success' };
  };
  router.get('/logout', logout);
  router.post('/logout', logout);
  router.get('/activate/check', async (ctx) => {
    ctx.body = await deps.throttle.guard('activate', clientOf(ctx), undefined, () => workspaces.invitationInfo(String(ctx.query.token ?? '')), invitationGuess);
  });
  router.post('/activate', async (ctx) => {
    const body = parse(Activate, ctx.request.body);
    await deps.throttle.guard('activate', clientOf(ctx), undefined, () => workspaces.activate(body.token, body.name, body.password), invitationGuess);
    ctx.body = { result: 'success' };
  });
  router.post('/invitations/accept', async (ctx) => {
    const body = parse(Accept, ctx.request.body);
    // Token guessing by a signed-in account is throttled like activation.
    ctx.body = { result: 'success', workspace: await deps.throttle.guard('activate', clientOf(ctx), undefined, () => workspaces.accept(authOf(ctx), body.token), invitationGuess) };
  });

  router.get('/account/profile', async (ctx) => {
    ctx.body = await accounts.profile(authOf(ctx).accountId);
  });

  router.get('/workspaces', async (ctx) => {
    ctx.body = { workspaces: await workspaces.list(authOf(ctx)) };
  });
  router.post('/workspaces', async (ctx) => {
    const body = parse(Name, ctx.request.body);
    ctx.status = 201;
    ctx.body = await workspaces.create(authOf(ctx), body.name);
  });
  router.post('/workspaces/switch', async (ctx) => {
    const body = parse(Switch, ctx.request.body);
    const id = body.tenant_id ?? body.workspace_id;
    if (!isUuid(id)) throw new InputError('tenant_id must be a workspace id.', 'tenant_id');
    ctx.body = { result: 'success', new_tenant: await workspaces.switchTo(authOf(ctx), id) };
  });
  router.get('/workspaces/current', async (ctx) => {
    ctx.body = await workspaces.current(authOf(ctx));
  });
  router.patch('/workspaces/current', async (ctx) => {
    const body = parse(Name, ctx.request.body);
    ctx.body = await workspaces.rename(authOf(ctx), body.name);
  });

  router.get('/workspaces/current/members', async (ctx) => {
    ctx.body = { result: 'success', accounts: await workspaces.members(authOf(ctx)) };
  });
  router.post('/workspaces/current/members/invite-email', async (ctx) => {
    const body = parse(Invite, ctx.request.body);
    const results = await workspaces.invite(authOf(ctx), body.emails, body.role);
    ctx.status = 201;
    ctx.body = { result: 'success', invitation_results: results, tenant_id: authOf(ctx).workspaceId };
  });
  router.get('/workspaces/current/invitations', async (ctx) => {
    ctx.body = { data: await workspaces.invitations(authOf(ctx)) };
  });
  router.delete('/workspaces/current/invitations/:invitation_id', async (ctx) => {
    if (!isUuid(ctx.params.invitation_id)) throw new NotFoundError('No open invitation with that id in this workspace.', 'invitation_not_found');
    await workspaces.revokeInvitation(authOf(ctx), ctx.params.invitation_id!);
    ctx.status = 204;
  });
  router.put('/workspaces/current/members/:member_id/update-role', async (ctx) => {
    const body = parse(RoleUpdate, ctx.request.body);
    await workspaces.updateRole(authOf(ctx), ctx.params.member_id!, body.role);
    ctx.body = { result: 'success' };
  });
  router.delete('/workspaces/current/members/:member_id', async (ctx) => {
    await workspaces.remove(authOf(ctx), ctx.params.member_id!);
    ctx.body = { result: 'success' };
  });

  router.get('/datasets/api-keys', async (ctx) => {
    ctx.body = { data: await apiKeys.list(authOf(ctx).workspaceId, 'dataset', null) };
  });
  router.post('/datasets/api-keys', async (ctx) => {
    ctx.status = 201;
    ctx.body = await apiKeys.create(authOf(ctx).workspaceId, 'dataset', null, authOf(ctx).accountId);
  });
  router.delete('/datasets/api-keys/:key_id', async (ctx) => {
    await apiKeys.revoke(authOf(ctx).workspaceId, 'dataset', null, ctx.params.key_id!);
    ctx.status = 204;
  });
}
