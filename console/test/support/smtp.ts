import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Mail {
  to: string[];
  /** Headers and body as sent (DATA), dot-unstuffed. */
  raw: string;
  /** The body with quoted-printable soft line breaks and =XX escapes undone (enough to read a code or a link). */
  text: string;
}

/**
 * The least SMTP server a mail client will talk to (no TLS, no AUTH), on
 * 127.0.0.1 and a random port, keeping what it receives: the browser journey
 * reads password-reset codes and invitation links from it.
 */
export class SmtpSink {
  readonly mails: Mail[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

  get url(): string {
    return `smtp://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next mail to `to` received after `since` mails (waits for it; the caller's test timeout bounds the wait). */
  async next(to: string, since: number): Promise<Mail> {
    for (;;) {
      const found = this.mails.slice(since).find((m) => m.to.includes(to));
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private serve(socket: Socket): void {
    let buffer = '';
    let data: string[] | undefined;
    let to: string[] = [];
    socket.setEncoding('utf8');
    socket.write('220 sink ESMTP\r\n');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (data) {
          if (line === '.') {
            const raw = data.join('\r\n');
            this.mails.push({ to, raw, text: raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) });
            for (const wake of this.waiters.splice(0)) wake();
            data = undefined;
            to = [];
            socket.write('250 OK queued\r\n');
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') socket.write('250 sink\r\n');
        else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          data = [];
          socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 Bye\r\n');
        } else socket.write('250 OK\r\n'); // MAIL, RSET, NOOP
      }
    });
  }
}
