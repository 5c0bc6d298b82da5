import type { Knex } from 'knex';
import { ForbiddenError, InputError, NotFoundError } from '../errors.js';
import { unix } from './models.js';
import { canInstall, isInstallRole, type InstallRole } from './roles.js';
import type { ConsoleAuth } from './sessions.js';

const WORKSPACE_CREATION = 'install.workspace_creation';
export const WORKSPACE_CREATION_MODES = ['open', 'admins_only'] as const;
export type WorkspaceCreation = (typeof WORKSPACE_CREATION_MODES)[number];

export interface SystemSettings {
  /** Who may create a workspace: any signed-in account (`open`) or install admins only (the default). */
  workspace_creation: WorkspaceCreation;
}

/**
 * The install level (issue #13): settings that hold for every workspace, and
 * who its admins are. Only install admins reach this (the route table says so);
 * the rules below also hold for callers inside the kernel.
 */
export class InstallSettings {
  constructor(private readonly knex: Knex) {}

  async get(): Promise<SystemSettings> {
    const row = (await this.knex('system_settings').where({ key: WORKSPACE_CREATION }).first()) as { value: unknown } | undefined;
    // jsonb comes back parsed from pg, and as text from some drivers.
    const open = row?.value === 'open' || (typeof row?.value === 'string' && safeParse(row.value) === 'open');
    return { workspace_creation: open ? 'open' : 'admins_only' };
  }

  async update(input: Record<string, unknown>): Promise<SystemSettings> {
    for (const key of Object.keys(input)) {
      if (key !== 'workspace_creation') throw new InputError(`${key} is not a system setting (workspace_creation).`, key);
    }
    if (input.workspace_creation !== undefined) {
      if (!WORKSPACE_CREATION_MODES.includes(input.workspace_creation as WorkspaceCreation)) {
        throw new InputError(`workspace_creation must be one of ${WORKSPACE_CREATION_MODES.join(', ')}.`, 'workspace_creation');
      }
      await this.knex('system_settings').insert({ key: WORKSPACE_CREATION, value: JSON.stringify(input.workspace_creation) }).onConflict('key').merge(['value']);
    }
    return this.get();
  }

  /** May `auth` create a workspace now? */
  async mayCreateWorkspace(auth: ConsoleAuth): Promise<boolean> {
    return canInstall(auth.installRole, 'install.workspaces') || (await this.get()).workspace_creation === 'open';
  }

  /** 403 `workspace_creation_restricted` unless `auth` may create a workspace now. */
  async checkWorkspaceCreation(auth: ConsoleAuth): Promise<void> {
    if (await this.mayCreateWorkspace(auth)) return;
    throw new ForbiddenError('On this install only install admins create workspaces; ask one to create it or to invite you.', 'workspace_creation_restricted');
  }

  /** Every account of the install, for install admins. */
  async accounts(limit: number, offset: number) {
    const rows = (await this.knex('accounts').orderBy('created_at', 'asc').limit(limit).offset(offset).select('id', 'email', 'name', 'status', 'install_role', 'last_login_at', 'created_at')) as Array<{ id: string; email: string; name: string; status: string; install_role: InstallRole | null; last_login_at: Date | null; created_at: Date }>;
    const [{ count }] = (await this.knex('accounts').count<{ count: string | number }[]>({ count: '*' })) as [{ count: string | number }];
    return {
      data: rows.map((r) => ({ id: r.id, email: r.email, name: r.name, status: r.status, install_role: r.install_role, last_login_at: unix(r.last_login_at), created_at: unix(r.created_at) })),
      total: Number(count),
    };
  }

  /** Appoints (`admin`) or removes (null) an install admin. The install owner's role never changes. */
  async setInstallRole(auth: ConsoleAuth, accountId: string, role: unknown): Promise<{ id: string; install_role: InstallRole | null }> {
    if (role !== null && role !== 'admin') throw new InputError(isInstallRole(role) ? 'There is one install owner: the account that ran setup.' : 'install_role must be "admin" or null.', 'install_role');
    if (accountId === auth.accountId) throw new ForbiddenError('You cannot change your own install role.', 'cannot_operate_self');
    const account = (await this.knex('accounts').where({ id: accountId }).first('id', 'status', 'install_role')) as { id: string; status: string; install_role: InstallRole | null } | undefined;
    if (!account) throw new NotFoundError('Account not found.', 'account_not_found');
    if (account.install_role === 'owner') throw new ForbiddenError('The install owner cannot be changed.', 'cannot_operate_owner');
    if (role === 'admin' && account.status !== 'active') throw new InputError('Only an active account can become an install admin.', 'install_role', 'account_not_active');
    await this.knex('accounts').where({ id: accountId }).update({ install_role: role, updated_at: this.knex.fn.now() });
    return { id: accountId, install_role: role };
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
