import type { Logger } from 'pino';
import type { Config } from '../boot/config.js';
import { InputError, TesseraError } from '../errors.js';

export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Outgoing mail (invitations, password-reset codes). `send` resolves once the
 * SMTP server has accepted the message, and rejects with a coded error:
 * 503 `mail_not_configured` (no SMTP settings), 503 `mail_unavailable` (the
 * server is down, slow beyond MAIL_TIMEOUT_MS, refused the login or the
 * message) or 400 `mail_rejected` (the server refused the recipient).
 */
export interface Mailer {
  /** Whether SMTP is configured; when false every `send` rejects with `mail_not_configured`. */
  readonly configured: boolean;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

export class MailNotConfiguredError extends TesseraError {
  constructor() {
    super(503, 'mail_not_configured', 'Outgoing mail is not configured on this install (SMTP_URL or SMTP_HOST, and MAIL_FROM); ask an administrator.');
  }
}

/** The mailer of an install without SMTP settings. */
export class NoMailer implements Mailer {
  readonly configured = false;
  async send(): Promise<void> {
    throw new MailNotConfiguredError();
  }
  async close(): Promise<void> {}
}

/** Line breaks in a header would let a caller add headers of their own. */
function checkHeader(value: string, field: string): void {
  if (/[\r\n]/.test(value)) throw new InputError(`${field} must be one line.`, field);
}

interface Transport {
  sendMail(message: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** Sends through one SMTP server (nodemailer), a new connection per message. */
export class SmtpMailer implements Mailer {
  readonly configured = true;

  private constructor(private readonly transport: Transport, private readonly from: string, private readonly timeoutMs: number, private readonly logger: Logger) {}

  static async create(config: Config, logger: Logger): Promise<SmtpMailer> {
    const smtp = config.smtp!;
    // Loaded only when SMTP is configured.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      // Each phase is bounded, and so is the whole send (below): a dead or silent
      // server fails a request in seconds instead of holding it.
      connectionTimeout: config.mailTimeoutMs,
      greetingTimeout: config.mailTimeoutMs,
      socketTimeout: config.mailTimeoutMs,
      dnsTimeout: config.mailTimeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    return new SmtpMailer(transport as unknown as Transport, config.mailFrom!, config.mailTimeoutMs, logger);
  }

  async send(message: MailMessage): Promise<void> {
    checkHeader(message.to, 'to');
    checkHeader(message.subject, 'subject');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer from the SMTP server within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
    });
    try {
      await Promise.race([
        this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, ...(message.html !== undefined ? { html: message.html } : {}) }),
        deadline,
      ]);
      this.logger.debug({ to: message.to, subject: message.subject }, 'mail sent');
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; message?: string };
      // Never the body: it may hold a code or a link that opens an account.
      this.logger.warn({ to: message.to, subject: message.subject, code: e.code, responseCode: e.responseCode, reason: e.message }, 'mail not sent');
      if (e.code === 'EENVELOPE' && e.responseCode !== undefined && e.responseCode >= 500) {
        throw new TesseraError(400, 'mail_rejected', 'The mail server refused the recipient address.', { cause: error });
      }
      throw new TesseraError(503, 'mail_unavailable', 'The mail server could not be reached or did not accept the message; try again later.', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** SMTP when configured (config.smtp), else {@link NoMailer}. */
export async function createMailer(config: Config, logger: Logger): Promise<Mailer> {
  return config.smtp ? SmtpMailer.create(config, logger) : new NoMailer();
}
