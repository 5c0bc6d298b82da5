import { request } from 'node:http';

export interface FromResponse {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * An HTTP client that connects from a chosen local address (127.0.0.x: every
 * one reaches a server on 127.0.0.1 on Linux), so a test can be several clients
 * on several addresses. Keeps the cookies it is sent, like a browser would.
 */
export class ClientAt {
  readonly cookies = new Map<string, string>();

  constructor(private readonly base: string, readonly localAddress: string) {}

  /** The same browser (cookies) on another address. */
  movedTo(localAddress: string): ClientAt {
    const moved = new ClientAt(this.base, localAddress);
    for (const [k, v] of this.cookies) moved.cookies.set(k, v);
    return moved;
  }

  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<FromResponse> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          localAddress: this.localAddress,
          headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}), ...(cookie ? { Cookie: cookie } : {}), ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) {
              const [pair] = line.split(';');
              const at = pair!.indexOf('=');
              this.cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
            }
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  login(email: string, password: string, headers: Record<string, string> = {}): Promise<FromResponse> {
    return this.call('POST', '/console/api/login', { email, password }, headers);
  }
}
