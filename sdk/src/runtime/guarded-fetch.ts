/**
 * The host side of a plugin's `fetch` capability: an HTTP client that lets a
 * sandboxed plugin reach only the hosts its grant names, never loopback,
 * private, link-local or cloud-metadata addresses (unless an administrator
 * allow-listed them), and that cannot be tricked by DNS rebinding or redirects.
 *
 * Every hop (the request and each redirect) is checked in this order: scheme
 * and URL shape → grant host patterns → one DNS resolution → every resolved
 * address classified → connect to exactly those addresses (a pinned `lookup`,
 * so Node never resolves the name a second time). Node-only.
 *
 * @module
 */

import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { SDK_API_VERSION } from "../version.js";
import { parseAllowPrivate } from "./address-policy.js";
import { checkUrl, vetDestination, type ResolvedAddress } from "./destination.js";
import { decodersFor, streamBody } from "./fetch-body.js";
import { FetchDeniedError } from "./fetch-errors.js";
import { prepareRequest, toNodeHeaders, withoutHeaders, type PreparedRequest } from "./fetch-request.js";

export { FetchDeniedError, FetchResponseTooLargeError, type FetchDeniedCode } from "./fetch-errors.js";

/** What a plugin may reach: its granted host patterns plus admin-approved private destinations. */
export interface FetchGrant {
  /** Host patterns the plugin's manifest declared and the admin granted, as accepted by `parseHostPattern`/`isHostAllowed` (e.g. `"api.openai.com"`, `"*.example.com"`, `"example.com:8443"`, `"*"`). */
  hosts: readonly string[];
  /** Admin allow-list of private/loopback destinations: `"host:port"`, `"ip:port"`, `"[v6]:port"`, bare host/IP, or CIDR (`"10.0.0.0/8"`). Only these bypass the private-address refusal; cloud-metadata addresses need an exact entry. */
  allowPrivate?: readonly string[];
}

/** A plugin's request, as it crosses the isolate boundary. */
export interface GuardedRequest {
  url: string;
  method?: string;
  headers?: [string, string][] | Record<string, string>;
  body?: Uint8Array | string | null;
  /** `follow` (default) re-checks every hop; `error` throws `plugin_bad_request` on a redirect; `manual` returns the 3xx. */
  redirect?: "follow" | "error" | "manual";
  /** Aborts the request, and the body stream mid-way (the socket is destroyed). */
  signal?: AbortSignal;
}

/** The response; `body` yields decoded chunks as they arrive. */
export interface GuardedResponse {
  status: number;
  statusText: string;
  /** The final URL after redirects. */
  url: string;
  /** Lower-cased names, repeated names kept; `content-encoding`/`content-length` removed when the body was decoded. */
  headers: [string, string][];
  redirected: boolean;
  /** `null` for HEAD, 204 and 304. Iterate it once; breaking out early closes the connection. */
  body: AsyncIterable<Uint8Array> | null;
  /** Closes the connection without reading the body (call it if the body is not consumed). */
  cancel?: () => void;
}

/** Configuration of {@link createGuardedFetch}. */
export interface GuardedFetchOptions {
  grant: FetchGrant;
  /** Redirects followed before `plugin_too_many_redirects` (default 5). */
  maxRedirects?: number;
  /** Overall time from the call until the final response's headers, in ms (default 60000); then a `TimeoutError` DOMException. */
  timeoutMs?: number;
  /** Limit on decoded body bytes (default 50 MB); the body iterator throws `FetchResponseTooLargeError` past it. */
  maxResponseBytes?: number;
  /** Resolver, called once per hop (default: `dns.promises.lookup` with `all: true`). */
  lookup?: (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;
  /** Default User-Agent when the plugin sets none. */
  userAgent?: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/**
 * The only request headers that follow a redirect to another origin. Credentials travel
 * under any name (Authorization, Cookie, X-Api-Key, Api-Key, X-Goog-Api-Key, …), so rather
 * than strip a list of known credential headers, a cross-origin hop keeps only headers
 * that describe what the client accepts and the body it carries (Content-* only while the
 * body goes along, 307/308). What else the next origin needs, the plugin sends itself
 * after `redirect: "manual"`.
 */
const CROSS_ORIGIN_HEADERS = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "user-agent",
  "cache-control",
  "pragma",
  "content-type",
  "content-language",
  "content-encoding",
]);
/** Headers describing a body, dropped when a redirect turns the request into a body-less GET. */
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];

const deny = (code: FetchDeniedError["code"], message: string): FetchDeniedError => new FetchDeniedError(code, message);

interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

async function defaultLookup(hostname: string): Promise<ResolvedAddress[]> {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
}

/** Sends one hop to the pre-validated addresses; resolves at the response headers. */
function sendOnce(url: URL, host: string, port: number, addresses: ResolvedAddress[], prepared: PreparedRequest, signal: AbortSignal, agents: Agents): Promise<http.IncomingMessage> {
  // Rebinding guard: Node calls this instead of DNS, so it connects to what was vetted.
  // It answers on a later loop turn, as DNS would: net connects inside this callback, and a
  // connect() that fails at once (ENETUNREACH for an unroutable address, EAFNOSUPPORT for
  // IPv6 on a host without it) destroys the socket there. Answered synchronously, that
  // error was emitted before the HTTP client had attached its 'error' listener to the
  // socket (an uncaught exception that ended the process), and for https the TLS setup
  // then threw on the destroyed socket.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const list = wanted.length > 0 ? wanted : addresses;
    setImmediate(() => {
      if (options.all) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: host,
        port,
        path: `${url.pathname}${url.search}`,
        method: prepared.method,
        headers: toNodeHeaders(prepared),
        lookup: pinned,
        // Keep-alive sockets are pooled per guarded fetch (one per plugin, workspace and grant), never shared
        // across grants; every socket was opened to an address vetted under this same grant.
        agent: url.protocol === "https:" ? agents.https : agents.http,
        // SNI and certificate checks use the name the plugin asked for (never an IP, per RFC 6066).
        ...(url.protocol === "https:" && isIP(host) === 0 ? { servername: host.replace(/\.$/, "") } : {}),
      },
      resolve,
    );
    const onAbort = (): void => {
      req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    req.once("response", () => signal.removeEventListener("abort", onAbort));
    // `on`, not `once`: a late socket error after a reject must not become an uncaught exception.
    req.on("error", (err) => {
      signal.removeEventListener("abort", onAbort);
      reject(signal.aborted ? signal.reason : err);
    });
    req.end(prepared.body === undefined ? undefined : Buffer.from(prepared.body.buffer, prepared.body.byteOffset, prepared.body.byteLength));
  });
}

/** Awaits `promise` unless `signal` aborts first (DNS lookups cannot be cancelled). */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Creates the guarded `fetch` for one plugin grant.
 *
 * @param options - The grant and limits; an invalid `allowPrivate` entry throws a `TypeError` here.
 * @returns A function that performs one request, following redirects per `request.redirect`.
 * @throws (from the returned function) {@link FetchDeniedError} for policy refusals; the
 *   signal's reason (an `AbortError` by default) when aborted; a `TimeoutError` DOMException
 *   after `timeoutMs`; network errors (`ECONNREFUSED`, `ENOTFOUND`, `ENETUNREACH`, TLS) as Node reports them —
 *   always as this rejection, never as an uncaught socket error.
 */
export function createGuardedFetch(options: GuardedFetchOptions): (request: GuardedRequest) => Promise<GuardedResponse> {
  const grant = options.grant;
  const agents: Agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 }),
  };
  const allow = parseAllowPrivate(grant.allowPrivate);
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 50 * 1024 * 1024;
  const lookup = options.lookup ?? defaultLookup;
  const userAgent = options.userAgent ?? `Tessera-Plugin/${SDK_API_VERSION}`;

  return async function guardedFetch(request: GuardedRequest): Promise<GuardedResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw deny("plugin_bad_request", `Invalid URL ${JSON.stringify(String(request.url))}`);
    }
    let prepared = prepareRequest(request, userAgent);
    const mode = request.redirect ?? "follow";
    if (!["follow", "error", "manual"].includes(mode)) throw deny("plugin_bad_request", `Invalid redirect mode ${JSON.stringify(mode)}`);

    // One controller for "until headers": the plugin's signal or the overall deadline.
    const phase = new AbortController();
    const onUserAbort = (): void => phase.abort(request.signal?.reason);
    if (request.signal?.aborted) throw request.signal.reason;
    request.signal?.addEventListener("abort", onUserAbort, { once: true });
    const timer = setTimeout(() => phase.abort(new DOMException(`Fetching ${url.href} timed out after ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
    try {
      for (let redirects = 0; ; redirects++) {
        const { host, port } = checkUrl(url, grant);
        const addresses = await raceSignal(vetDestination(host, port, allow, lookup), phase.signal);
        const res = await sendOnce(url, host, port, addresses, prepared, phase.signal, agents);
        const location = res.headers.location;
        if (REDIRECT_STATUSES.has(res.statusCode ?? 0) && location !== undefined && mode !== "manual") {
          res.destroy();
          if (mode === "error") throw deny("plugin_bad_request", `${url.href} redirected (${res.statusCode}) and the request's redirect mode is "error"`);
          if (redirects >= maxRedirects) throw deny("plugin_too_many_redirects", `Stopped after ${maxRedirects} redirects (last: ${url.href})`);
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            throw deny("plugin_bad_request", `${url.href} redirected to an invalid URL ${JSON.stringify(location)}`);
          }
          prepared = redirectedRequest(prepared, res.statusCode!, url, next);
          url = next;
          continue;
        }
        clearTimeout(timer);
        request.signal?.removeEventListener("abort", onUserAbort);
        return toGuardedResponse(res, url, redirects > 0, prepared.method, maxResponseBytes, request.signal);
      }
    } catch (error) {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onUserAbort);
      throw error;
    }
  };
}

/** Rule 4: the request for the next hop (method change, body drop; to another origin only {@link CROSS_ORIGIN_HEADERS}). */
function redirectedRequest(prepared: PreparedRequest, status: number, from: URL, to: URL): PreparedRequest {
  let { method, headers, body } = prepared;
  if ((status === 303 && method !== "GET" && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
    method = "GET";
    body = undefined;
    headers = withoutHeaders(headers, BODY_HEADERS);
  }
  if (from.origin !== to.origin) headers = headers.filter(([n]) => CROSS_ORIGIN_HEADERS.has(n.toLowerCase()));
  return { method, headers, body };
}

/** Rule 5: response headers and streaming body. */
function toGuardedResponse(res: http.IncomingMessage, url: URL, redirected: boolean, method: string, maxBytes: number, signal?: AbortSignal): GuardedResponse {
  const status = res.statusCode ?? 0;
  let headers: [string, string][] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
  // Framing headers describe the hop, not the message the plugin receives.
  headers = headers.filter(([n]) => !["transfer-encoding", "connection", "keep-alive"].includes(n));
  const base = { status, statusText: res.statusMessage ?? "", url: url.href, redirected };
  if (method === "HEAD" || status === 204 || status === 304) {
    res.destroy();
    return { ...base, headers, body: null };
  }
  const decoders = decodersFor(res.headers["content-encoding"]);
  if (decoders && decoders.length > 0) headers = headers.filter(([n]) => n !== "content-encoding" && n !== "content-length");
  const { body, cancel } = streamBody(res, decoders ?? [], { maxBytes, signal, url: url.href });
  return { ...base, headers, body, cancel: () => cancel() };
}
