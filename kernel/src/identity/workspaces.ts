import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../errors.js';
import { hashToken, randomToken } from '../security/tokens.js';
import { normaliseEmail } from './accounts.js';
import { type Invitation, type Models, unix } from './models.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { isRole, type Role } from './roles.js';
import type { ConsoleAuth } from './sessions.js';

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface InvitationResult {
  status: 'success' | 'failed';
  email: string;
  /** The invitation link's path, when no mailer sent it (for the inviter to pass on). */
  url?: string;
  message?: string;
  /** Why it failed, for clients to match on: `already_member`, `account_banned`, `mail_failed`. */
  code?: string;
}

/** Workspaces (tenants), their members and invitations. */
/** What invitations need of a mailer (identity/mailer.ts). */
export interface InvitationMailer {
  readonly configured: boolean;
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

export interface WorkspaceOptions {
  /** Sends invitation links; when absent or unconfigured, links are returned to the inviter. */
  mailer?: InvitationMailer;
  /** The console's public base URL, for links in mail (read when a mail is sent). */
  consoleUrl?: string | (() => string);
  /** Whether `create` is allowed for this caller (the install's workspace creation setting). */
  checkCreation?: (auth: ConsoleAuth) => Promise<void>;
}

function invitationMail(to: string, inviter: string, workspace: string, link: string, existingAccount: boolean) {
  const how = existingAccount ? 'Sign in with this address and accept the invitation' : 'Set your name and password to join';
  return {
    to,
    subject: `${inviter} invited you to ${workspace} on Tessera`,
    text: `${inviter} invited you to join the workspace "${workspace}" on Tessera.\n\n${how}:\n${link}\n\nThe link works once and expires in 7 days. If you did not expect this, ignore this email.\n`,
  };
}

export class Workspaces {
  private readonly mailer: InvitationMailer | undefined;
  private readonly consoleUrl: () => string;
  private readonly checkCreation: (auth: ConsoleAuth) => Promise<void>;

  constructor(private readonly knex: Knex, private readonly models: Models, options: WorkspaceOptions = {}) {
    this.mailer = options.mailer;
    const base = options.consoleUrl ?? '';
    this.consoleUrl = typeof base === 'function' ? base : () => base;
    this.checkCreation = options.checkCreation ?? (async () => undefined);
  }

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
    await this.checkCreation(auth);
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
   * Invites by email (issue #13: bound to the invitee). Nobody joins here: an
   * invitation row with a token is all that is written. With a mailer the link
   * goes to the address only; without one it is returned for the inviter to
   * pass on. Accepting needs the token and, for an address that already has an
   * account, that account's login — so whoever set a password on an address
   * through another workspace's invitation still cannot join this one.
   */
  async invite(auth: ConsoleAuth, emails: string[], role: Role): Promise<InvitationResult[]> {
    if (role === 'owner') throw new InputError('The owner role cannot be given by invitation.', 'role');
    if (role === 'admin' && auth.role !== 'owner') throw new ForbiddenError('Only the owner can invite admins.', 'no_permission');
    const normalised = emails.map((raw) => normaliseEmail(raw, 'emails'));
    const workspace = await this.models.Workspace.query().findById(auth.workspaceId).throwIfNotFound();
    const results: InvitationResult[] = [];
    for (const email of normalised) results.push(await this.inviteOne(auth, workspace.name, email, role));
    return results;
  }

  private async inviteOne(auth: ConsoleAuth, workspaceName: string, email: string, role: Role): Promise<InvitationResult> {
    const token = randomToken();
    const outcome = await this.knex.transaction(async (trx) => {
      const account = await this.models.Account.query(trx).findOne({ email });
      if (account) {
        const existing = await this.models.Member.query(trx).findOne({ workspace_id: auth.workspaceId, account_id: account.id });
        if (existing) return { failed: 'Already a member of this workspace.', code: 'already_member' };
        if (account.status === 'banned') return { failed: 'This account is banned.', code: 'account_banned' };
      } else {
        await this.models.Account.query(trx).insert({ id: randomUUID(), email, name: email.split('@')[0]!, password_hash: null, status: 'pending', current_workspace_id: null });
      }
      // A new invitation replaces this workspace's open one for the address (a resend).
      await this.models.Invitation.query(trx).patch({ revoked_at: new Date() }).where({ workspace_id: auth.workspaceId, email }).whereNull('accepted_at').whereNull('revoked_at');
      const id = randomUUID();
      await this.models.Invitation.query(trx).insert({ id, workspace_id: auth.workspaceId, email, role, token_hash: hashToken(token), invited_by: auth.accountId, expires_at: new Date(Date.now() + INVITATION_TTL_MS), accepted_at: null, accepted_by: null, revoked_at: null });
      return { id, existingAccount: !!account && account.status === 'active' };
    });
    if ('failed' in outcome) return { status: 'failed', email, message: outcome.failed, code: outcome.code };
    const path = `/activate?email=${encodeURIComponent(email)}&token=${encodeURIComponent(token)}`;
    if (!this.mailer?.configured) return { status: 'success', email, url: path };
    try {
      await this.mailer.send(invitationMail(email, auth.name, workspaceName, `${this.consoleUrl().replace(/\/$/, '')}${path}`, outcome.existingAccount));
      return { status: 'success', email };
    } catch (error) {
      await this.models.Invitation.query().patch({ revoked_at: new Date() }).where({ id: outcome.id });
      await this.dropUnusedPending(email);
      return { status: 'failed', email, message: `The invitation email could not be sent: ${(error as Error).message}`, code: 'mail_failed' };
    }
  }

  /** Open invitations of the caller's workspace (not accepted, revoked or expired). */
  async invitations(auth: ConsoleAuth) {
    const rows = await this.knex('invitations as i')
      .leftJoin('accounts as a', 'a.id', 'i.invited_by')
      .where('i.workspace_id', auth.workspaceId)
      .whereNull('i.accepted_at')
      .whereNull('i.revoked_at')
      .where('i.expires_at', '>', new Date())
      .orderBy('i.created_at', 'asc')
      .select('i.id', 'i.email', 'i.role', 'i.created_at', 'i.expires_at', 'a.email as invited_by');
    return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, invited_by: r.invited_by ?? null, created_at: unix(r.created_at), expires_at: unix(r.expires_at) }));
  }

  async revokeInvitation(auth: ConsoleAuth, invitationId: string): Promise<void> {
    const updated = await this.models.Invitation.query().patch({ revoked_at: new Date() }).where({ id: invitationId, workspace_id: auth.workspaceId }).whereNull('accepted_at').whereNull('revoked_at');
    if (updated === 0) throw new NotFoundError('No open invitation with that id in this workspace.', 'invitation_not_found');
    const invitation = await this.models.Invitation.query().findById(invitationId);
    if (invitation) await this.dropUnusedPending(invitation.email);
  }

  /** A pending account that no open invitation names any more is removed (it has no password, no membership). */
  private async dropUnusedPending(email: string): Promise<void> {
    const open = this.models.Invitation.query().where({ email }).whereNull('accepted_at').whereNull('revoked_at').where('expires_at', '>', new Date());
    await this.models.Account.query().delete().where({ email, status: 'pending' }).whereNotExists(open);
  }

  async invitationInfo(token: string) {
    const invitation = await this.validInvitation(token);
    const [workspace, account] = await Promise.all([this.models.Workspace.query().findById(invitation.workspace_id), this.models.Account.query().findOne({ email: invitation.email })]);
    return { is_valid: true, data: { workspace_id: invitation.workspace_id, workspace_name: workspace?.name ?? '', email: invitation.email, account_exists: !!account && account.status !== 'pending' } };
  }

  /**
   * First activation of a pending account from its invitation: sets name and
   * password, and makes it a member of that invitation's workspace — no other.
   * An address that already has an account logs in and accepts instead.
   */
  async activate(token: string, name: string, password: string): Promise<{ workspaceId: string }> {
    checkPasswordPolicy(password);
    if (!name.trim()) throw new InputError('name is required.', 'name');
    const invitation = await this.validInvitation(token);
    const passwordHash = await hashPassword(password);
    await this.knex.transaction(async (trx) => {
      const account = await this.models.Account.query(trx).findOne({ email: invitation.email }).forUpdate();
      if (!account) throw new InputError('The invitation link is invalid or has expired.', 'token', 'invalid_invitation');
      if (account.status !== 'pending') throw new ConflictError('This address already has an account: log in and accept the invitation.', 'account_already_active');
      await this.models.Account.query(trx).patch({ name: name.trim(), password_hash: passwordHash, status: 'active', current_workspace_id: invitation.workspace_id }).where({ id: account.id });
      await this.join(trx, invitation, account.id);
    });
    return { workspaceId: invitation.workspace_id };
  }

  /** A signed-in account accepts an invitation sent to its own address. */
  async accept(auth: ConsoleAuth, token: string) {
    const invitation = await this.validInvitation(token);
    if (invitation.email !== auth.email.toLowerCase()) throw new ForbiddenError('This invitation was sent to another address; sign in with that account to accept it.', 'invitation_email_mismatch');
    await this.knex.transaction(async (trx) => {
      await this.join(trx, invitation, auth.accountId);
      await this.models.Account.query(trx).patch({ current_workspace_id: invitation.workspace_id }).where({ id: auth.accountId });
    });
    const workspace = await this.models.Workspace.query().findById(invitation.workspace_id).throwIfNotFound();
    return { id: workspace.id, name: workspace.name, status: workspace.status, role: invitation.role };
  }

  private async join(trx: Knex.Transaction, invitation: Invitation, accountId: string): Promise<void> {
    // Taken once: a second accept of the same token finds it accepted.
    const taken = await this.models.Invitation.query(trx).patch({ accepted_at: new Date(), accepted_by: accountId }).where({ id: invitation.id }).whereNull('accepted_at').whereNull('revoked_at');
    if (taken === 0) throw new InputError('The invitation link is invalid or has expired.', 'token', 'invalid_invitation');
    const existing = await this.models.Member.query(trx).findOne({ workspace_id: invitation.workspace_id, account_id: accountId });
    if (!existing) await this.models.Member.query(trx).insert({ id: randomUUID(), workspace_id: invitation.workspace_id, account_id: accountId, role: invitation.role, invited_by: invitation.invited_by });
  }

  private async validInvitation(token: string): Promise<Invitation> {
    const invitation = token ? await this.models.Invitation.query().findOne({ token_hash: hashToken(token) }) : undefined;
    if (!invitation || invitation.accepted_at || invitation.revoked_at || invitation.expires_at.getTime() < Date.now()) {
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
