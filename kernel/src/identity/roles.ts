import type { Context, Next } from 'koa';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

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

/**
 * Install roles (issue #13): authority over the whole install, held by the
 * account that ran setup (`owner`) and whom it appoints (`admin`). Separate
 * from workspace roles: owning a workspace — which any account may do on an
 * install whose workspace creation is open — gives none of these.
 */
export const INSTALL_ROLES = ['owner', 'admin'] as const;
export type InstallRole = (typeof INSTALL_ROLES)[number];

export function isInstallRole(value: unknown): value is InstallRole {
  return typeof value === 'string' && (INSTALL_ROLES as readonly string[]).includes(value);
}

const INSTALL_GRANTS = {
  /** Upload plugin packages into the install (install-wide code). */
  'install.plugins': ['owner', 'admin'],
  /** Trusted publisher keys, `allow_unsigned`, unsigned marketplace installs, publish tokens. */
  'install.marketplace': ['owner', 'admin'],
  /** System settings (workspace creation, …) and the list of accounts. */
  'install.settings': ['owner', 'admin'],
  /** Appoint and remove install admins. */
  'install.admins': ['owner'],
  /** Create a workspace while workspace creation is limited to admins. */
  'install.workspaces': ['owner', 'admin'],
} as const satisfies Record<string, readonly InstallRole[]>;

export type InstallPermission = keyof typeof INSTALL_GRANTS;

export function isInstallPermission(value: string): value is InstallPermission {
  return Object.prototype.hasOwnProperty.call(INSTALL_GRANTS, value);
}

export function canInstall(role: InstallRole | null | undefined, permission: InstallPermission): boolean {
  return !!role && (INSTALL_GRANTS[permission] as readonly InstallRole[]).includes(role);
}

/** Every permission of both levels with the roles that hold it (for the docs and the console). */
export function permissionTable(): { workspace: Readonly<Record<Permission, readonly Role[]>>; install: Readonly<Record<InstallPermission, readonly InstallRole[]>> } {
  return { workspace: GRANTS, install: INSTALL_GRANTS };
}

/**
 * What the checks read of `ctx.state.auth` (sessions.ts's ConsoleAuth, set by the
 * auth middleware): declared here so roles.ts imports nothing of identity and the
 * models → roles → sessions → models cycle stays cut (docs/architecture.md, "Layering").
 */
interface RoleHolder {
  readonly role: Role;
  readonly installRole: InstallRole | null;
}

/** The workspace-level check: 401 without a session, 403 when the caller's workspace role lacks `permission`. */
export function requirePermission(permission: Permission) {
  return async function checkPermission(ctx: Context, next: Next): Promise<void> {
    const auth = ctx.state.auth as RoleHolder | undefined;
    if (!auth) throw new UnauthorizedError();
    if (!can(auth.role, permission)) {
      throw new ForbiddenError(`Your role (${auth.role}) does not allow this action (${permission}).`, 'no_permission');
    }
    await next();
  };
}

/** The install-level check: 403 `install_permission_required` unless the caller is an install admin that holds `permission`. */
export function requireInstallPermission(permission: InstallPermission) {
  return async function checkInstallPermission(ctx: Context, next: Next): Promise<void> {
    const auth = ctx.state.auth as RoleHolder | undefined;
    if (!auth) throw new UnauthorizedError();
    if (!canInstall(auth.installRole, permission)) {
      throw new ForbiddenError(`This is an install-level action (${permission}): only an install admin may do it, whatever their workspace role.`, 'install_permission_required');
    }
    await next();
  };
}
