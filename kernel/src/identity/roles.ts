import type { Context, Next } from 'koa';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { ConsoleAuth } from './sessions.js';

/** Workspace roles, verbatim from Dify. */
export const ROLES = ['owner', 'admin', 'editor', 'normal', 'dataset_operator'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * What each role may do. One table, so every console route asks the same question
 * (`requirePermission`) and a role's reach can be read in one place.
 */
const GRANTS = {
  'workspace.view': ['owner', 'admin', 'editor', 'normal', 'dataset_operator'],
  'workspace.manage': ['owner', 'admin'],
  'members.view': ['owner', 'admin', 'editor', 'normal', 'dataset_operator'],
  'members.manage': ['owner', 'admin'],
  'providers.manage': ['owner', 'admin'],
  'plugins.manage': ['owner', 'admin'],
  'plugins.use': ['owner', 'admin', 'editor'],
  'apps.view': ['owner', 'admin', 'editor', 'normal'],
  'apps.edit': ['owner', 'admin', 'editor'],
  'datasets.view': ['owner', 'admin', 'editor', 'dataset_operator'],
  'datasets.edit': ['owner', 'admin', 'editor', 'dataset_operator'],
  'dataset_keys.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof GRANTS;

export function can(role: Role, permission: Permission): boolean {
  return (GRANTS[permission] as readonly Role[]).includes(role);
}

/** The one role check of every console route: 401 without a session, 403 when the role lacks `permission`. */
export function requirePermission(permission: Permission) {
  return async function checkPermission(ctx: Context, next: Next): Promise<void> {
    const auth = ctx.state.auth as ConsoleAuth | undefined;
    if (!auth) throw new UnauthorizedError();
    if (!can(auth.role, permission)) {
      throw new ForbiddenError(`Your role (${auth.role}) does not allow this action (${permission}).`, 'no_permission');
    }
    await next();
  };
}
