import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { isInstallPermission, requireInstallPermission, requirePermission, type InstallPermission, type Permission } from '../identity/roles.js';

/**
 * What a console route needs (issue #13): nothing (`public`), a session of any
 * account (`session`), a workspace permission (held by workspace roles), or an
 * install permission (`install.*`, held by install admins only).
 */
export type RoutePolicy = 'public' | 'session' | Permission | InstallPermission;

/**
 * The one table of every console route (`METHOD path`, without `/console/api`)
 * and the authority it needs. Route handlers carry no checks of their own:
 * `applyRoutePolicy` puts these in front of them at mount, and boot fails if a
 * route is missing here or an entry names no route — so a new route cannot be
 * reachable by accident, and this table is the whole answer to "who may do what".
 * `docs/operations/security.md` is generated from it (`routePolicyMarkdown`).
 */
export const CONSOLE_ROUTE_POLICY: Readonly<Record<string, RoutePolicy>> = {
  // First run, sign-in, invitations
  'GET /setup': 'public',
  'POST /setup': 'public',
  'POST /login': 'public',
  'POST /refresh-token': 'public',
  'GET /logout': 'session',
  'POST /logout': 'session',
  'GET /activate/check': 'public',
  'POST /activate': 'public',
  'POST /invitations/accept': 'session',
  'POST /forgot-password': 'public',
  'POST /forgot-password/validity': 'public',
  'POST /forgot-password/resets': 'public',
  'GET /account/profile': 'session',
  'GET /account/authority': 'session',

  // The install (its admins only)
  'GET /system/settings': 'install.settings',
  'PUT /system/settings': 'install.settings',
  'GET /system/accounts': 'install.settings',
  'PUT /system/accounts/:account_id/install-role': 'install.admins',

  // Workspaces and members
  'GET /workspaces': 'session',
  'POST /workspaces': 'session', // open or admins-only: an install setting, checked by Workspaces.create
  'POST /workspaces/switch': 'session',
  'GET /workspaces/current': 'workspace.view',
  'PATCH /workspaces/current': 'workspace.manage',
  'GET /workspaces/current/members': 'members.view',
  'POST /workspaces/current/members/invite-email': 'members.manage',
  'PUT /workspaces/current/members/:member_id/update-role': 'members.manage',
  'DELETE /workspaces/current/members/:member_id': 'members.manage',
  'GET /workspaces/current/invitations': 'members.manage',
  'DELETE /workspaces/current/invitations/:invitation_id': 'members.manage',
  'GET /datasets/api-keys': 'dataset_keys.manage',
  'POST /datasets/api-keys': 'dataset_keys.manage',
  'DELETE /datasets/api-keys/:key_id': 'dataset_keys.manage',

  // Model providers
  'GET /workspaces/current/model-providers': 'workspace.view',
  'GET /workspaces/current/model-providers/:provider/credentials': 'providers.manage',
  'POST /workspaces/current/model-providers/:provider/credentials': 'providers.manage',
  'POST /workspaces/current/model-providers/:provider/credentials/validate': 'providers.manage',
  'DELETE /workspaces/current/model-providers/:provider/credentials/:id': 'providers.manage',
  'GET /workspaces/current/models/model-types/:type': 'workspace.view',
  'GET /workspaces/current/default-model': 'workspace.view',
  'POST /workspaces/current/default-model': 'providers.manage',
  'GET /workspaces/current/models/usage': 'workspace.view',
  'POST /workspaces/current/models/chat': 'apps.edit',

  // Plugins: packages are install-wide code (install admins upload them);
  // enabling one with grants and its credentials belong to a workspace.
  'GET /plugins': 'plugins.use',
  'POST /plugins/upload': 'install.plugins',
  'GET /plugins/:name': 'plugins.use',
  'POST /plugins/:name/enable': 'plugins.manage',
  'POST /plugins/:name/disable': 'plugins.manage',
  'POST /plugins/:name/upgrade': 'plugins.manage',
  'POST /plugins/:name/rollback': 'plugins.manage',
  'DELETE /plugins/:name': 'plugins.manage',
  'GET /plugins/:name/secrets': 'plugins.manage',
  'PUT /plugins/:name/secrets': 'plugins.manage',
  'GET /tools': 'plugins.use',
  'POST /tools/:plugin/:tool/invoke': 'plugins.use',

  // Marketplace: installing a package signed by a trusted publisher is a
  // workspace action (an unsigned one needs an install admin, checked in
  // Catalog.install); whom the install trusts is the install's.
  'GET /marketplace/plugins': 'plugins.use',
  'GET /marketplace/plugins/:name': 'plugins.use',
  'POST /marketplace/plugins/:name/install': 'plugins.manage',
  'GET /marketplace/publishers': 'install.marketplace',
  'POST /marketplace/publishers': 'install.marketplace',
  'DELETE /marketplace/publishers/:keyid': 'install.marketplace',
  'POST /marketplace/publish-tokens': 'install.marketplace',
  'GET /marketplace/settings': 'install.marketplace',
  'PUT /marketplace/settings': 'install.marketplace',

  // Apps
  'GET /apps': 'apps.view',
  'POST /apps': 'apps.edit',
  'GET /apps/:app_id': 'apps.view',
  'PUT /apps/:app_id': 'apps.edit',
  'PUT /apps/:app_id/model-config': 'apps.edit',
  'POST /apps/:app_id/publish': 'apps.edit',
  'GET /apps/:app_id/versions': 'apps.view',
  'POST /apps/:app_id/copy': 'apps.edit',
  'POST /apps/:app_id/api-enable': 'apps.edit',
  'DELETE /apps/:app_id': 'apps.edit',
  'GET /apps/:app_id/api-keys': 'apps.edit',
  'POST /apps/:app_id/api-keys': 'apps.edit',
  'DELETE /apps/:app_id/api-keys/:key_id': 'apps.edit',
  'POST /apps/:app_id/chat-messages': 'apps.edit',
  'POST /apps/:app_id/completion-messages': 'apps.edit',
  'POST /apps/:app_id/chat-messages/:task_id/stop': 'apps.edit',
  'POST /apps/:app_id/completion-messages/:task_id/stop': 'apps.edit',
  'POST /apps/imports': 'apps.edit',
  'POST /apps/imports/:import_id/confirm': 'apps.edit',
  'GET /apps/:app_id/export': 'apps.edit',
  // Logs (every end user's conversations) are the editors', as the console guide says (issue #14).
  'GET /apps/:app_id/conversations': 'apps.edit',
  'GET /apps/:app_id/conversations/:conversation_id/messages': 'apps.edit',
  'GET /apps/:app_id/messages': 'apps.edit',
  'POST /apps/:app_id/feedbacks': 'apps.edit',
  'GET /apps/:app_id/statistics': 'apps.view',
  'GET /apps/:app_id/annotations': 'apps.view',
  'POST /apps/:app_id/annotations': 'apps.edit',
  'PUT /apps/:app_id/annotations/:annotation_id': 'apps.edit',
  'DELETE /apps/:app_id/annotations/:annotation_id': 'apps.edit',
  'GET /apps/:app_id/annotation-setting': 'apps.view',
  'POST /apps/:app_id/annotation-reply/:action': 'apps.edit',
  'GET /apps/:app_id/annotation-reply/:action/status/:job_id': 'apps.view',
};

export interface RouteEntry {
  method: string;
  path: string;
  policy: RoutePolicy;
}

/** The level a policy belongs to. */
export function levelOf(policy: RoutePolicy): 'public' | 'session' | 'workspace' | 'install' {
  if (policy === 'public' || policy === 'session') return policy;
  return isInstallPermission(policy) ? 'install' : 'workspace';
}

interface RouterLayer {
  methods: string[];
  path: string;
  stack: Middleware[];
}

function keysOf(layer: RouterLayer, prefix: string): string[] {
  const path = layer.path.startsWith(prefix) ? layer.path.slice(prefix.length) || '/' : layer.path;
  return layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${path}`);
}

/**
 * Puts each route's policy in front of its handler. Throws, naming them, if a
 * route has no entry or an entry has no route (boot fails: nothing is left open).
 */
export function applyRoutePolicy(router: Router, prefix: string, session: Middleware, table: Readonly<Record<string, RoutePolicy>> = CONSOLE_ROUTE_POLICY): RouteEntry[] {
  const layers = (router as unknown as { stack: RouterLayer[] }).stack.filter((l) => l.methods.length > 0);
  const seen = new Set<string>();
  const missing: string[] = [];
  const entries: RouteEntry[] = [];
  for (const layer of layers) {
    const keys = keysOf(layer, prefix);
    const policies = new Set(keys.map((k) => table[k]));
    for (const key of keys) {
      if (table[key] === undefined) missing.push(key);
      seen.add(key);
    }
    if (missing.length > 0) continue;
    if (policies.size !== 1) throw new Error(`console route ${layer.path} is registered for several methods with different policies; register each method on its own`);
    const policy = [...policies][0]!;
    layer.stack.unshift(...guardFor(policy, session));
    for (const key of keys) entries.push({ method: key.split(' ')[0]!, path: key.slice(key.indexOf(' ') + 1), policy });
  }
  if (missing.length > 0) throw new Error(`console routes with no entry in the route policy table (kernel/src/http/route-policy.ts): ${missing.join(', ')}`);
  const stale = Object.keys(table).filter((k) => !seen.has(k));
  if (stale.length > 0) throw new Error(`route policy entries that name no console route: ${stale.join(', ')}`);
  return entries;
}

function guardFor(policy: RoutePolicy, session: Middleware): Middleware[] {
  if (policy === 'public') return [];
  if (policy === 'session') return [session];
  if (isInstallPermission(policy)) return [session, requireInstallPermission(policy)];
  return [session, requirePermission(policy)];
}
