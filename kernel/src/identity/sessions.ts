import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ForbiddenError, TesseraError, UnauthorizedError } from '../errors.js';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Models } from './models.js';
import { decoyHash, verifyPassword } from './passwords.js';
import type { InstallRole, Role } from './roles.js';
import type { Throttle, ThrottleClient } from './throttle.js';

/** Who is calling a console route, resolved once per request by the auth middleware. */
export interface ConsoleAuth {
  readonly accountId: string;
  readonly email: string;
  readonly name: string;
  readonly sessionId: string;
  readonly workspaceId: string;
  readonly role: Role;
  /** Authority over the whole install (issue #13), independent of `role`; null for most accounts. */
  readonly installRole: InstallRole | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export interface SessionOptions {
  accessTtlMs: number;
  refreshTtlMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  accessTtlMs: 60 * 60 * 1000,
  refreshTtlMs: 30 * 24 * 60 * 60 * 1000,
};

/**
 * Console sessions: opaque access and refresh tokens stored hashed, so logout
 * and revocation take effect on the very next request.
 */
export class Sessions {
  constructor(private readonly knex: Knex, private readonly models: Models, private readonly throttle: Throttle, private readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS) {}

  /**
   * Checks the password under the brute-force throttle (identity/throttle.ts):
   * 429 `login_rate_limited` with Retry-After while the account or the client's
   * address must wait, checked before the password so a waiting guess learns nothing.
   */
  async login(email: string, password: string, userAgent?: string, client: ThrottleClient = { address: 'unknown' }): Promise<TokenPair> {
    const key = email.trim().toLowerCase();
    const attempt = await this.throttle.begin('login', client, key);
    let account;
    let ok: boolean;
    try {
      account = await this.models.Account.query().findOne({ email: key });
      ok = await verifyPassword(account?.password_hash ?? (await decoyHash()), password);
    } catch (error) {
      await attempt.refund(); // not a guess: the check itself failed
      throw error;
    }
    if (!account || !ok) {
      await attempt.failed();
      throw new TesseraError(401, 'authentication_failed', 'Invalid email or password.');
    }
    await attempt.succeeded();
    if (account.status === 'banned') throw new ForbiddenError('This account has been banned.', 'account_banned');
    if (account.status !== 'active') throw new ForbiddenError('This account has not been activated yet.', 'account_not_activated');
    await this.models.Account.query().patch({ last_login_at: new Date() }).where({ id: account.id });
    return this.issue(account.id, userAgent);
  }

  private async issue(accountId: string, userAgent?: string): Promise<TokenPair> {
    const access = randomToken();
    const refresh = randomToken();
    const now = Date.now();
    await this.models.Session.query().insert({
      id: randomUUID(),
      account_id: accountId,
      access_token_hash: hashToken(access),
      refresh_token_hash: hashToken(refresh),
      access_expires_at: new Date(now + this.options.accessTtlMs),
      refresh_expires_at: new Date(now + this.options.refreshTtlMs),
      user_agent: userAgent?.slice(0, 512) ?? null,
    });
    return { access_token: access, refresh_token: refresh };
  }

  /** Rotates both tokens of the session the refresh token belongs to; the old ones stop working. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const session = await this.models.Session.query().findOne({ refresh_token_hash: hashToken(refreshToken) });
    if (!session || session.revoked_at || session.refresh_expires_at.getTime() < Date.now()) {
      throw new UnauthorizedError('Invalid or expired refresh token.', 'invalid_refresh_token');
    }
    const access = randomToken();
    const refresh = randomToken();
    const now = Date.now();
    await this.models.Session.query()
      .patch({
        access_token_hash: hashToken(access),
        refresh_token_hash: hashToken(refresh),
        access_expires_at: new Date(now + this.options.accessTtlMs),
        refresh_expires_at: new Date(now + this.options.refreshTtlMs),
      })
      .where({ id: session.id });
    return { access_token: access, refresh_token: refresh };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.models.Session.query().patch({ revoked_at: new Date() }).where({ id: sessionId }).whereNull('revoked_at');
  }

  /** Revokes every session of an account (a password reset); returns how many were open. */
  async revokeAll(accountId: string, trx?: Knex.Transaction): Promise<number> {
    return this.models.Session.query(trx).patch({ revoked_at: new Date() }).where({ account_id: accountId }).whereNull('revoked_at');
  }

  /**
   * Resolves a bearer access token to the caller and the workspace the request
   * acts in: `requestedWorkspaceId` (X-Workspace-Id) if given and a member,
   * else the account's current workspace, else its first membership.
   */
  async authenticate(accessToken: string, requestedWorkspaceId?: string): Promise<ConsoleAuth> {
    const row = await this.knex('sessions as s')
      .join('accounts as a', 'a.id', 's.account_id')
      .where('s.access_token_hash', hashToken(accessToken))
      .first('s.id as session_id', 's.revoked_at', 's.access_expires_at', 'a.id as account_id', 'a.email', 'a.name', 'a.status', 'a.current_workspace_id', 'a.install_role');
    if (!row || row.revoked_at || new Date(row.access_expires_at).getTime() < Date.now()) {
      throw new UnauthorizedError('Invalid or expired access token.', 'unauthorized');
    }
    if (row.status !== 'active') throw new UnauthorizedError('This account is not active.', 'unauthorized');
    const memberships: Array<{ workspace_id: string; role: Role; status: string }> = await this.knex('workspace_members as m')
      .join('workspaces as w', 'w.id', 'm.workspace_id')
      .where('m.account_id', row.account_id)
      .orderBy('m.created_at', 'asc')
      .select('m.workspace_id', 'm.role', 'w.status');
    let membership;
    if (requestedWorkspaceId) {
      membership = memberships.find((m) => m.workspace_id === requestedWorkspaceId);
      if (!membership) throw new ForbiddenError('You are not a member of this workspace.', 'workspace_forbidden');
    } else {
      membership = memberships.find((m) => m.workspace_id === row.current_workspace_id) ?? memberships[0];
    }
    if (!membership) throw new ForbiddenError('You are not a member of any workspace.', 'no_workspace');
    if (membership.status === 'archived') throw new ForbiddenError('This workspace has been archived.', 'workspace_archived');
    return {
      accountId: row.account_id,
      email: row.email,
      name: row.name,
      sessionId: row.session_id,
      workspaceId: membership.workspace_id,
      role: membership.role,
      installRole: row.install_role ?? null,
    };
  }
}
