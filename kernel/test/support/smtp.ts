import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope sender and recipients, as the client sent MAIL FROM / RCPT TO. */
  from: string;
  to: string[];
  /** Headers, names lower-cased, folded lines joined. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain part, transfer-decoded. */
  text: string;
  /** The text/html part, transfer-decoded, if any. */
  html: string | undefined;
  raw: string;
}

export interface SmtpTestOptions {
  /** Require AUTH with these credentials (plain text: the test server offers no TLS). */
  auth?: { user: string; password: string };
  /** Refuse RCPT TO for these addresses with 550. */
  rejectRecipients?: string[];
}

/**
 * A real SMTP server (smtp-server, by nodemailer's authors) on 127.0.0.1 and a
 * random port, keeping every message it accepts. No TLS: STARTTLS is not
 * offered, so clients speak plain SMTP to it.
 */
export class SmtpTestServer {
  readonly messages: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  private waiters: Array<() => void> = [];
  private read = 0;

  constructor(private readonly options: SmtpTestOptions = {}) {}

  async start(): Promise<this> {
    const { auth, rejectRecipients = [] } = this.options;
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS', ...(auth ? [] : ['AUTH'])],
      authOptional: !auth,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (credentials, _session, callback) => {
        if (auth && credentials.username === auth.user && credentials.password === auth.password) callback(null, { user: credentials.username });
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        if (rejectRecipients.includes(address.address)) callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        else callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const envelope = session.envelope;
          this.messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), envelope.mailFrom ? envelope.mailFrom.address : '', envelope.rcptTo.map((r) => r.address)));
          for (const wake of this.waiters.splice(0)) wake();
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return this;
  }

  get port(): number {
    return (this.server!.server.address() as AddressInfo).port;
  }

  /** Settings for a kernel sending here. */
  env(from = 'Tessera <tessera@example.test>'): Record<string, string> {
    const { auth } = this.options;
    return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.port), ...(auth ? { SMTP_USER: auth.user, SMTP_PASSWORD: auth.password } : {}), MAIL_FROM: from, MAIL_TIMEOUT_MS: '5000' };
  }

  /** The next message not yet returned by `next` (waits for it; the test's time-out bounds the wait). */
  async next(): Promise<ReceivedMail> {
    while (this.read >= this.messages.length) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.messages[this.read++]!;
  }

  /** Messages received so far that `next` has not returned. */
  unread(): ReceivedMail[] {
    return this.messages.slice(this.read);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** A TCP server that accepts connections and never says a word: an SMTP server that hangs. */
export async function silentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const soft = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft.slice(i + 1, i + 3);
        if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
      }
      return Buffer.from(bytes).toString('utf8');
    }
    default:
      return body;
  }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=\s*/gi, (_, _charset: string, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}

/** Enough MIME for the messages the kernel sends: one text part, or multipart/alternative text + html. */
export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  let text = '';
  let html: string | undefined;
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const parsed = splitHeaders(part.replace(/^\r?\n/, ''));
      const content = decodeBody(parsed.body.replace(/\r?\n$/, ''), parsed.headers['content-transfer-encoding']);
      if ((parsed.headers['content-type'] ?? '').startsWith('text/html')) html = content;
      else if ((parsed.headers['content-type'] ?? 'text/plain').startsWith('text/plain')) text = content;
    }
  } else {
    text = decodeBody(body, headers['content-transfer-encoding']);
  }
  return { from, to, headers, subject: decodeWords(headers.subject ?? ''), text, html, raw };
}
