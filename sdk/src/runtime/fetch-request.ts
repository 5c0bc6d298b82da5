/**
 * Validation and normalisation of a plugin's request (method, headers, body)
 * before the guarded fetch sends it — the parts of the request that do not
 * depend on the destination.
 *
 * @module
 */

import { FetchDeniedError } from "./fetch-errors.js";

/** A request header list in send order; names keep the plugin's spelling. */
export type HeaderList = [string, string][];

/** A validated request, ready to be sent (and re-sent on redirects). */
export interface PreparedRequest {
  method: string;
  headers: HeaderList;
  /** The encoded body, or `undefined` for none. */
  body: Uint8Array | undefined;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node refuses these characters with a TypeError; refuse them ourselves with a clear code.
const BAD_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Headers a plugin may not set: they control the connection or message framing
 * (request smuggling, proxy confusion), or are computed here (Host follows the
 * validated URL, Content-Length the body).
 */
const FORBIDDEN_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "http2-settings",
]);

/** Methods that would turn the host into a tunnel or reflect credentials. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
/** Methods that the Fetch standard normalises to upper case. */
const NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

const bad = (message: string): FetchDeniedError => new FetchDeniedError("plugin_bad_request", message);

/** Returns `true` for header names the plugin must not set. */
export function isForbiddenHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_HEADERS.has(lower) || lower.startsWith("proxy-");
}

function toList(headers: [string, string][] | Record<string, string> | undefined): HeaderList {
  if (headers === undefined || headers === null) return [];
  if (Array.isArray(headers)) return headers.map((pair) => [pair[0], pair[1]]);
  if (typeof headers === "object") return Object.entries(headers);
  throw bad("headers must be an array of [name, value] pairs or an object");
}

/** Returns the value of the first header named `name` (case-insensitive). */
export function getHeader(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Returns `headers` without those whose lower-cased name is in `names`. */
export function withoutHeaders(headers: HeaderList, names: readonly string[]): HeaderList {
  return headers.filter(([n]) => !names.includes(n.toLowerCase()));
}

/**
 * Validates and normalises method, headers and body, adding defaults
 * (User-Agent, Accept, Accept-Encoding, Content-Type for string bodies).
 *
 * @throws FetchDeniedError `plugin_bad_request` naming the offending part.
 */
export function prepareRequest(
  request: { method?: string; headers?: [string, string][] | Record<string, string>; body?: Uint8Array | string | null },
  userAgent: string,
): PreparedRequest {
  let method = request.method ?? "GET";
  if (typeof method !== "string" || !TOKEN_RE.test(method)) throw bad(`Invalid HTTP method ${JSON.stringify(method)}`);
  if (NORMALISED_METHODS.has(method.toUpperCase())) method = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) throw bad(`HTTP method ${method} is not allowed`);

  const headers: HeaderList = [];
  for (const [name, rawValue] of toList(request.headers)) {
    if (typeof name !== "string" || !TOKEN_RE.test(name)) throw bad(`Invalid header name ${JSON.stringify(name)}`);
    if (typeof rawValue !== "string") throw bad(`Header ${name} must have a string value`);
    // Fetch strips surrounding whitespace; CR/LF/NUL inside would split the header.
    const value = rawValue.replace(/^[\t ]+|[\t ]+$/g, "");
    if (BAD_VALUE_RE.test(value)) throw bad(`Header ${name} contains a forbidden character (CR, LF, NUL or non-Latin-1)`);
    if (isForbiddenHeader(name)) throw bad(`Header ${name} may not be set by a plugin; it is managed by the host`);
    headers.push([name, value]);
  }

  let body: Uint8Array | undefined;
  if (request.body !== undefined && request.body !== null) {
    if (method === "GET" || method === "HEAD") throw bad(`A ${method} request cannot have a body`);
    if (typeof request.body === "string") {
      body = new TextEncoder().encode(request.body);
      if (getHeader(headers, "content-type") === undefined) headers.push(["Content-Type", "text/plain;charset=UTF-8"]);
    } else if (request.body instanceof Uint8Array) {
      body = request.body;
    } else {
      throw bad("body must be a string, a Uint8Array or null");
    }
  }

  if (getHeader(headers, "user-agent") === undefined) headers.push(["User-Agent", userAgent]);
  if (getHeader(headers, "accept") === undefined) headers.push(["Accept", "*/*"]);
  // Only advertise encodings that the body decoder understands.
  if (getHeader(headers, "accept-encoding") === undefined) headers.push(["Accept-Encoding", "gzip, deflate, br"]);
  return { method, headers, body };
}

/**
 * Converts a header list to the object `node:http` expects, merging repeated
 * names into one field (Cookie with "; ", others with ", ") and setting
 * Content-Length from the body.
 */
export function toNodeHeaders(prepared: PreparedRequest): Record<string, string> {
  // Null prototype: a header named "__proto__" must stay a header.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const spelling = new Map<string, string>();
  for (const [name, value] of prepared.headers) {
    const lower = name.toLowerCase();
    const key = spelling.get(lower);
    if (key === undefined) {
      spelling.set(lower, name);
      out[name] = value;
    } else {
      out[key] = `${out[key]}${lower === "cookie" ? "; " : ", "}${value}`;
    }
  }
  const hasBody = prepared.body !== undefined;
  // Servers commonly answer 411 to body-less POST/PUT/PATCH without a length.
  if (hasBody || !["GET", "HEAD", "DELETE", "OPTIONS"].includes(prepared.method)) {
    out["Content-Length"] = String(prepared.body?.byteLength ?? 0);
  }
  return out;
}
