import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ForbiddenError, InputError, NotFoundError } from '../errors.js';
import { hashToken, randomToken } from '../security/tokens.js';
import { normaliseEmail } from './accounts.js';
import { type Models, unix } from './models.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { isRole, type Role } from './roles.js';
import type { ConsoleAuth } from './sessions.js';

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface InvitationResult {
  status: 'success' | 'failed';
  email: string;
  /** Activation link path for a new account; absent when an existing account was added directly. */
  url?: string;
  message?: string;
}

/** Workspaces (tenants), their members and invitations. */
export class Workspaces {
  constructor(private readonly knex: Knex, private readonly models: Models) {}

  async list(auth: ConsoleAuth) {
    const rows = await this.knex('workspace_members as m')
      .join('workspaces as w', 'w.id', 'm.workspace_id')
      .where('m.account_id', auth.accountId)
      .orderBy('w.created_at', 'asc')
      .select('w.id', 'w.name', 'w.status', 'w.created_at', 'm.role');
    return rows.map((w) => ({ id: w.id, name: w.name, status: w.status, role: w.role, created_at: unix(w.created_at), current: w.id === auth.workspaceId }));
  }

  async current(auth: ConsoleAuth) {
    const w = await this.models.Workspace.query().findById(auth.workspaceId).throwIfNotFound();
    return { id: w.id, name: w.name, status: w.status, role: auth.role, created_at: unix(w.created_at) };
  }

  async create(auth: ConsoleAuth, name: string) {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 255) throw new InputError('name must be 1 to 255 characters.', 'name');
    const id = randomUUID();
    await this.knex.transaction(async (trx) => {
      await this.models.Workspace.query(trx).insert({ id, name: trimmed, status: 'normal' });
      await this.models.Member.query(trx).insert({ id: randomUUID(), workspace_id: id, account_id: auth.accountId, role: 'owner', invited_by: null });
    });
    return { id, name: trimmed, status: 'normal', role: 'owner' as Role, current: false };
  }

  async rename(auth: ConsoleAuth, name: string) {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 255) throw new InputError('name must be 1 to 255 characters.', 'name');
    await this.models.Workspace.query().patch({ name: trimmed }).where({ id: auth.workspaceId });
    return this.current(auth);
  }

  /** Makes `workspaceId` the account's current workspace; 403 unless a member. */
  async switchTo(auth: ConsoleAuth, workspaceId: string) {
    const member = await this.models.Member.query().findOne({ workspace_id: workspaceId, account_id: auth.accountId });
    if (!member) throw new ForbiddenError('You are not a member of this workspace.', 'workspace_forbidden');
    await this.models.Account.query().patch({ current_workspace_id: workspaceId }).where({ id: auth.accountId });
    return this.current({ ...auth, workspaceId, role: member.role });
  }

  async members(auth: ConsoleAuth) {
    const rows = await this.knex('workspace_members as m')
      .join('accounts as a', 'a.id', 'm.account_id')
      .where('m.workspace_id', auth.workspaceId)
      .orderBy('m.created_at', 'asc')
      .select('a.id', 'a.name', 'a.email', 'a.status', 'a.last_login_at', 'm.created_at', 'm.role');
    return rows.map((r) => ({ id: r.id, name: r.name, email: r.email, avatar: null, status: r.status, role: r.role, last_login_at: unix(r.last_login_at), created_at: unix(r.created_at) }));
  }

  /**
   * Invites by email. An existing account joins at once; a new email gets a pending
   * account and an activation token (returned as a link path, for the admin to send).
   */
  async invite(auth: ConsoleAuth, emails: string[], role: Role): Promise<InvitationResult[]> {
    if (role === 'owner') throw new InputError('The owner role cannot be given by invitation.', 'role');
    if (role === 'admin' && auth.role !== 'owner') throw new ForbiddenError('Only the owner can invite admins.', 'no_permission');
    const results: InvitationResult[] = [];
    for (const raw of emails) {
      const email = normaliseEmail(raw, 'emails');
      results.push(await this.inviteOne(auth, email, role));
    }
    return results;
  }

  private async inviteOne(auth: ConsoleAuth, email: string, role: Role): Promise<InvitationResult> {
    return this.knex.transaction(async (trx) => {
      let account = await this.models.Account.query(trx).findOne({ email });
      if (account) {
        const existing = await this.models.Member.query(trx).findOne({ workspace_id: auth.workspaceId, account_id: account.id });
        if (existing) return { status: 'failed' as const, email, message: 'Already a member of this workspace.' };
      } else {
        account = await this.models.Account.query(trx).insertAndFetch({ id: randomUUID(), email, name: email.split('@')[0]!, password_hash: null, status: 'pending', current_workspace_id: auth.workspaceId });
      }
      await this.models.Member.query(trx).insert({ id: randomUUID(), workspace_id: auth.workspaceId, account_id: account.id, role, invited_by: auth.accountId });
      if (account.status === 'active') return { status: 'success' as const, email };
      const token = randomToken();
      await this.models.Invitation.query(trx).insert({ id: randomUUID(), workspace_id: auth.workspaceId, email, role, token_hash: hashToken(token), invited_by: auth.accountId, expires_at: new Date(Date.now() + INVITATION_TTL_MS), accepted_at: null });
      return { status: 'success' as const, email, url: `/activate?token=${encodeURIComponent(token)}` };
    });
  }

  async invitationInfo(token: string) {
    const invitation = await this.validInvitation(token);
    const workspace = await this.models.Workspace.query().findById(invitation.workspace_id);
    return { is_valid: true, data: { workspace_id: invitation.workspace_id, workspace_name: workspace?.name ?? '', email: invitation.email } };
  }

  /** Activates a pending account from its invitation: sets name and password. */
  async activate(token: string, name: string, password: string): Promise<void> {
    checkPasswordPolicy(password);
    if (!name.trim()) throw new InputError('name is required.', 'name');
    const invitation = await this.validInvitation(token);
    const passwordHash = await hashPassword(password);
    await this.knex.transaction(async (trx) => {
      await this.models.Account.query(trx).patch({ name: name.trim(), password_hash: passwordHash, status: 'active', current_workspace_id: invitation.workspace_id }).where({ email: invitation.email, status: 'pending' });
      await this.models.Invitation.query(trx).patch({ accepted_at: new Date() }).where({ id: invitation.id });
    });
  }

  private async validInvitation(token: string) {
    const invitation = await this.models.Invitation.query().findOne({ token_hash: hashToken(token) });
    if (!invitation || invitation.accepted_at || invitation.expires_at.getTime() < Date.now()) {
      throw new InputError('The invitation link is invalid or has expired.', 'token', 'invalid_invitation');
    }
    return invitation;
  }

  private async target(auth: ConsoleAuth, accountId: string) {
    const member = await this.models.Member.query().findOne({ workspace_id: auth.workspaceId, account_id: accountId });
    if (!member) throw new NotFoundError('Member not found.', 'member_not_found');
    if (accountId === auth.accountId) throw new ForbiddenError('You cannot change your own membership.', 'cannot_operate_self');
    if (member.role === 'owner') throw new ForbiddenError('The owner cannot be changed or removed.', 'cannot_operate_owner');
    if (member.role === 'admin' && auth.role !== 'owner') throw new ForbiddenError('Only the owner can change admins.', 'no_permission');
    return member;
  }

  async updateRole(auth: ConsoleAuth, accountId: string, role: unknown) {
    if (!isRole(role)) throw new InputError('role must be one of admin, editor, normal, dataset_operator.', 'role');
    if (role === 'owner') throw new InputError('Ownership cannot be given by a role change.', 'role');
    if (role === 'admin' && auth.role !== 'owner') throw new ForbiddenError('Only the owner can make admins.', 'no_permission');
    const member = await this.target(auth, accountId);
    await this.models.Member.query().patch({ role }).where({ id: member.id });
  }

  async remove(auth: ConsoleAuth, accountId: string) {
    const member = await this.target(auth, accountId);
    await this.models.Member.query().deleteById(member.id);
  }
}
