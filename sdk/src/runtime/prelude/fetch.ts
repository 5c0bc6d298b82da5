/** The response side of `ctx.fetch`: `Headers` and the `Response` whose body is read from the host in chunks. */
import type { FetchResponse, HeadersLike } from '../../context.js';
import { op } from './ops.js';
import { TextDecoder } from './text.js';

/** `Headers` over name/value pairs; repeated names are joined with ", " and names are lower-cased. */
export class Headers implements HeadersLike {
  declare map: Map<string, string>;
  constructor(pairs?: Iterable<readonly [string, string]>) { this.map = new Map(); for (const [k, v] of pairs || []) { const key = k.toLowerCase(); this.map.set(key, this.map.has(key) ? this.map.get(key) + ', ' + v : v); } }
  get(name: unknown) { const v = this.map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
  has(name: unknown) { return this.map.has(String(name).toLowerCase()); }
  forEach(fn: (value: string, name: string) => void) { for (const [k, v] of this.map) fn(v, k); }
  entries() { return this.map.entries(); }
  [Symbol.iterator]() { return this.map.entries(); }
}

/** What the host answers to a `fetch` operation (host-ops.ts), before the body. */
export interface ResponseMeta {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: Array<[string, string]>;
  /** The body to read with `fetch.read`; absent when the first chunk was the whole body. */
  readonly bodyId?: number | null;
  /** The body ended with the first chunk. */
  readonly ended?: boolean;
}

/** The plugin's `Response`: `first` is the body's first chunk, when it came with the headers. */
export function makeResponse(callId: string, meta: ResponseMeta, first?: Uint8Array): FetchResponse & { readonly redirected: boolean; readonly bodyUsed: boolean; bytes(): Promise<Uint8Array> } {
  let used = false;
  const bodyId = meta.bodyId;
  const hasBody = bodyId != null || meta.ended;
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    if (used) throw new TypeError('Body has already been consumed');
    used = true;
    if (first) yield first;
    if (bodyId == null) return;
    try {
      for (;;) { const chunk = await op(callId, 'fetch.read', { bodyId }); if (!(chunk instanceof Uint8Array)) return; yield chunk; }
    } finally { op(callId, 'fetch.cancel', { bodyId }).catch(() => {}); }
  }
  async function bytes() { const parts: Uint8Array[] = []; let size = 0; for await (const c of chunks()) { parts.push(c); size += c.length; } const all = new Uint8Array(size); let at = 0; for (const p of parts) { all.set(p, at); at += p.length; } return all; }
  return {
    status: meta.status, statusText: meta.statusText, ok: meta.status >= 200 && meta.status < 300, url: meta.url, redirected: meta.redirected,
    headers: new Headers(meta.headers),
    get body() { return hasBody ? { [Symbol.asyncIterator]: chunks } : null; },
    get bodyUsed() { return used; },
    async arrayBuffer() { const b = await bytes(); return b.buffer; },
    async bytes() { return bytes(); },
    async text() { return new TextDecoder().decode(await bytes()); },
    async json() { return JSON.parse(await this.text()); },
  };
}
