import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { InputError, NotFoundError } from '../errors.js';
import { hashToken, randomToken, safeEqual } from '../security/tokens.js';
import { normaliseEmail } from './accounts.js';
import { MailNotConfiguredError, type Mailer } from './mailer.js';
import type { Models } from './models.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import type { Sessions } from './sessions.js';
import type { Throttle, ThrottleClient } from './throttle.js';

/** How long a code (and the reset token handed out for it) stays valid. */
export const RESET_CODE_TTL_MS = 5 * 60 * 1000;
/** Wrong codes one request may take before it dies (besides the throttle's back-off). */
export const RESET_CODE_MAX_FAILURES = 5;

export class InvalidResetTokenError extends InputError {
  constructor() {
    super('The token is invalid or has expired.', 'token', 'invalid_or_expired_token');
  }
}

/** The codes of the errors that count as a guess for the throttle. */
const GUESS_CODES = new Set(['invalid_or_expired_token', 'email_code_error', 'invalid_email']);
const isGuess = (error: unknown) => GUESS_CODES.has((error as { code?: string }).code ?? '');

export interface PasswordResetDeps {
  knex: Knex;
  models: Models;
  mailer: Mailer;
  throttle: Throttle;
  sessions: Sessions;
  logger: Logger;
  /** Public console URL, named in the mail when known. */
  consoleUrl: string | undefined;
}

interface ResetRow {
  id: string;
  email: string;
  account_id: string | null;
  token_hash: string;
  phase: 'code' | 'reset';
  code_hash: string;
  expires_at: Date | string;
  used_at: Date | string | null;
}

/**
 * Password reset by a 6-digit code sent by email, Dify's flow: `request`
 * (forgot-password) mails a code and returns a token; `check` (validity) trades
 * token + code for a second token; `reset` (resets) sets the password with it.
 * Each token works once, within 5 minutes; a new request voids the older ones.
 */
export class PasswordResets {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: PasswordResetDeps) {}

  /**
   * Answers the same — a token, at once — whether or not the email belongs to an
   * active account, so accounts cannot be enumerated: the code is mailed in the
   * background (a failed send is logged), and an unknown email gets a row whose
   * code nobody knows.
   */
  async request(rawEmail: string, language: string | undefined, client: ThrottleClient): Promise<string> {
    const { knex, models, mailer, throttle } = this.deps;
    if (!mailer.configured) throw new MailNotConfiguredError();
    const email = normaliseEmail(rawEmail);
    const attempt = await throttle.begin('reset-mail', client, email); // every mail counts: never refunded
    try {
      const account = await models.Account.query().findOne({ email });
      const live = account?.status === 'active' ? account : undefined;
      const id = randomUUID();
      const token = randomToken();
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const now = new Date();
      await knex.transaction(async (trx) => {
        await trx('password_resets').where({ email }).whereNull('used_at').update({ used_at: now });
        await trx('password_resets').where('expires_at', '<', new Date(now.getTime() - 24 * 60 * 60 * 1000)).delete();
        await trx('password_resets').insert({ id, email, account_id: live?.id ?? null, token_hash: hashToken(token), phase: 'code', code_hash: codeHash(id, code), expires_at: new Date(now.getTime() + RESET_CODE_TTL_MS) });
      });
      if (live) this.deliver(email, code, language);
      return token;
    } catch (error) {
      await attempt.refund();
      throw error;
    }
  }

  /** Trades the mailed code for the token that may set the password (the first token stops working). */
  async check(rawEmail: string, code: string, token: string, client: ThrottleClient): Promise<{ is_valid: true; email: string; token: string }> {
    const { knex, throttle } = this.deps;
    const email = rawEmail.trim().toLowerCase();
    return throttle.guard('reset-code', client, email, async () => {
      const row = await this.live(token, 'code');
      if (row.email !== email) throw new InputError('The email address does not match the token.', 'email', 'invalid_email');
      if (!/^\d{6}$/.test(code) || !safeEqual(codeHash(row.id, code), row.code_hash)) {
        await knex('password_resets').where({ id: row.id }).increment('failed_attempts', 1);
        await knex('password_resets').where({ id: row.id }).where('failed_attempts', '>=', RESET_CODE_MAX_FAILURES).whereNull('used_at').update({ used_at: new Date() });
        throw new InputError('Email code is invalid or expired.', 'code', 'email_code_error');
      }
      const next = randomToken();
      // Conditional on the token still being the one checked: two checks of one code hand out one token.
      const moved = await knex('password_resets')
        .where({ id: row.id, token_hash: row.token_hash, phase: 'code' })
        .where('failed_attempts', '<', RESET_CODE_MAX_FAILURES)
        .where('expires_at', '>', new Date())
        .whereNull('used_at')
        .update({ phase: 'reset', token_hash: hashToken(next), expires_at: new Date(Date.now() + RESET_CODE_TTL_MS) });
      if (moved !== 1) throw new InvalidResetTokenError();
      return { is_valid: true as const, email: row.email, token: next };
    }, isGuess);
  }

  /** Sets the new password with the token `check` handed out; every session of the account is revoked. */
  async reset(token: string, newPassword: string, passwordConfirm: string, client: ThrottleClient): Promise<void> {
    const { knex, models, sessions, throttle } = this.deps;
    if (newPassword !== passwordConfirm) throw new InputError('The passwords do not match.', 'password_confirm', 'password_mismatch');
    checkPasswordPolicy(newPassword, 'new_password');
    const email = await throttle.guard('reset-code', client, undefined, async () => {
      await this.live(token, 'reset');
      const passwordHash = await hashPassword(newPassword);
      return knex.transaction(async (trx) => {
        const [row] = (await trx('password_resets')
          .where({ token_hash: hashToken(token), phase: 'reset' })
          .whereNull('used_at')
          .where('expires_at', '>', new Date())
          .update({ used_at: new Date() })
          .returning('*')) as ResetRow[];
        if (!row?.account_id) throw new InvalidResetTokenError();
        const changed = await models.Account.query(trx).patch({ password_hash: passwordHash }).where({ id: row.account_id, status: 'active' });
        if (changed !== 1) throw new InvalidResetTokenError();
        await trx('password_resets').where({ account_id: row.account_id }).whereNull('used_at').update({ used_at: new Date() });
        await sessions.revokeAll(row.account_id, trx);
        return row.email;
      });
    }, isGuess);
    await throttle.forgive(email);
  }

  /** `tessera admin reset-password`: sets an account's password directly and revokes its sessions. */
  async setPassword(rawEmail: string, password: string): Promise<{ revokedSessions: number }> {
    const { knex, models, sessions, throttle } = this.deps;
    const email = normaliseEmail(rawEmail);
    checkPasswordPolicy(password);
    const account = await models.Account.query().findOne({ email });
    if (!account) throw new NotFoundError('No account has this email.', 'account_not_found');
    const passwordHash = await hashPassword(password);
    const revokedSessions = await knex.transaction(async (trx) => {
      await models.Account.query(trx).patch({ password_hash: passwordHash }).where({ id: account.id });
      await trx('password_resets').where({ account_id: account.id }).whereNull('used_at').update({ used_at: new Date() });
      return sessions.revokeAll(account.id, trx);
    });
    await throttle.forgive(email);
    return { revokedSessions };
  }

  /** Waits for the mails being sent (kernel stop). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** The row of `token` in `phase`, unused and unexpired, else 400 `invalid_or_expired_token`. */
  private async live(token: string, phase: ResetRow['phase']): Promise<ResetRow> {
    const row = (await this.deps.knex('password_resets').where({ token_hash: hashToken(token) }).first()) as ResetRow | undefined;
    if (!row || row.phase !== phase || row.used_at || new Date(row.expires_at).getTime() <= Date.now()) throw new InvalidResetTokenError();
    return row;
  }

  private deliver(email: string, code: string, language: string | undefined): void {
    const zh = language === 'zh-Hans';
    const where = this.deps.consoleUrl ? (zh ? `（${this.deps.consoleUrl}）` : ` (${this.deps.consoleUrl})`) : '';
    const text = zh
      ? `您的 Tessera${where}密码重置验证码是：${code}\n\n验证码 5 分钟内有效。如果您没有申请重置密码，请忽略此邮件，您的密码不会改变。\n`
      : `Your Tessera${where} password reset code is: ${code}\n\nThe code expires in 5 minutes. If you did not ask to reset your password, ignore this message: your password stays as it is.\n`;
    const subject = zh ? '重置您的 Tessera 密码' : 'Reset your Tessera password';
    // The mailer logs a failed send (never the code); the answer was given already.
    const sending: Promise<void> = this.deps.mailer.send({ to: email, subject, text }).catch(() => undefined).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }
}

/** Codes are short, so each is bound to its row: one row's hash says nothing of another's code. */
function codeHash(id: string, code: string): string {
  return hashToken(`${id}:${code}`);
}
