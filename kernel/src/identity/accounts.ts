import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError, ForbiddenError, InputError } from '../errors.js';
import type { Models } from './models.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import type { Role } from './roles.js';

const SETUP_KEY = 'setup';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string, field = 'email'): string {
  const value = email.trim().toLowerCase();
  if (!EMAIL.test(value) || value.length > 320) throw new InputError(`${field} is not a valid email address.`, field);
  return value;
}

export interface NewAccount {
  email: string;
  name: string;
  password: string;
}

/** First-run setup and account creation. */
export class Accounts {
  constructor(private readonly knex: Knex, private readonly models: Models) {}

  async setupStatus(): Promise<{ step: 'not_started' | 'finished'; setup_at: number | null }> {
    const row = await this.knex('system_settings').where({ key: SETUP_KEY }).first();
    return row ? { step: 'finished', setup_at: Math.floor(new Date(row.created_at).getTime() / 1000) } : { step: 'not_started', setup_at: null };
  }

  /**
   * Creates the owner and the first workspace, once. The setup marker is written
   * in the same transaction, and its primary key makes a concurrent second setup fail.
   */
  async setup(input: NewAccount): Promise<{ accountId: string; workspaceId: string }> {
    const email = normaliseEmail(input.email);
    const name = input.name.trim();
    if (!name) throw new InputError('name is required.', 'name');
    checkPasswordPolicy(input.password);
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.knex.transaction(async (trx) => {
        await trx('system_settings').insert({ key: SETUP_KEY, value: JSON.stringify({ email }) });
        const ids = await this.createAccountWithWorkspace(trx, { email, name, passwordHash }, `${name}'s Workspace`);
        return ids;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ForbiddenError('Tessera has already been set up.', 'already_setup');
      throw error;
    }
  }

  /** `tessera admin create`: the owner on a fresh install, otherwise an install admin and an admin of the first workspace. */
  async createAdmin(input: NewAccount): Promise<{ accountId: string; workspaceId: string; role: Role }> {
    if ((await this.setupStatus()).step === 'not_started') return { ...(await this.setup(input)), role: 'owner' };
    const email = normaliseEmail(input.email);
    checkPasswordPolicy(input.password);
    const passwordHash = await hashPassword(input.password);
    const first = await this.models.Workspace.query().orderBy('created_at', 'asc').first();
    if (!first) throw new ConflictError('Set-up finished but no workspace exists.', 'no_workspace');
    try {
      return await this.knex.transaction(async (trx) => {
        const accountId = randomUUID();
        await this.models.Account.query(trx).insert({ id: accountId, email, name: input.name.trim(), password_hash: passwordHash, status: 'active', current_workspace_id: first.id, install_role: 'admin' });
        await this.models.Member.query(trx).insert({ id: randomUUID(), workspace_id: first.id, account_id: accountId, role: 'admin', invited_by: null });
        return { accountId, workspaceId: first.id, role: 'admin' as const };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('An account with this email already exists.', 'account_already_exists');
      throw error;
    }
  }

  private async createAccountWithWorkspace(trx: Knex.Transaction, account: { email: string; name: string; passwordHash: string }, workspaceName: string) {
    const workspaceId = randomUUID();
    const accountId = randomUUID();
    await this.models.Workspace.query(trx).insert({ id: workspaceId, name: workspaceName, status: 'normal' });
    await this.models.Account.query(trx).insert({
      id: accountId,
      email: account.email,
      name: account.name,
      password_hash: account.passwordHash,
      status: 'active',
      current_workspace_id: workspaceId,
      // Whoever runs setup owns the install (issue #13).
      install_role: 'owner',
    });
    await this.models.Member.query(trx).insert({ id: randomUUID(), workspace_id: workspaceId, account_id: accountId, role: 'owner', invited_by: null });
    return { accountId, workspaceId };
  }

  async profile(accountId: string) {
    const account = await this.models.Account.query().findById(accountId).throwIfNotFound();
    return {
      id: account.id,
      name: account.name,
      email: account.email,
      avatar: null,
      interface_language: 'en-US',
      last_login_at: account.last_login_at ? Math.floor(account.last_login_at.getTime() / 1000) : null,
      created_at: Math.floor(account.created_at.getTime() / 1000),
    };
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; nativeError?: { code?: unknown } } | undefined;
  return e?.code === '23505' || e?.nativeError?.code === '23505';
}
