/**
 * Upstream failures → coded {@link PluginError}s, always carrying the
 * provider's own message.
 *
 * @module
 */

import {
  PluginError,
  type AbortSignalLike,
  type FetchInit,
  type FetchResponse,
  type HeadersLike,
  type JsonObject,
  type PluginContext,
  type PluginErrorCode,
} from "@tessera/sdk";

/** At most this much of an error body is read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** At most this much of a provider message goes into an error message. */
const MAX_MESSAGE_CHARS = 1000;

/** What an upstream error body says. */
export interface UpstreamError {
  readonly message: string;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
}

/**
 * The retry hint of a 429/503 response in milliseconds: `retry-after-ms`
 * (Azure, OpenAI), else `Retry-After` as seconds or an HTTP date.
 *
 * @returns `undefined` when there is no usable hint.
 */
export function parseRetryAfter(headers: HeadersLike, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && /^\d+(?:\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Extracts the message from an error body: OpenAI's `{"error": {"message", "type", "code", "param"}}`,
 * Ollama's `{"error": "…"}`, vLLM's `{"object": "error", "message": …}`, `{"detail": …}`, or plain text.
 */
export function parseErrorBody(body: string): UpstreamError {
  const trimmed = body.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { message: clip(trimmed) };
  }
  if (Array.isArray(parsed) && parsed.length > 0) parsed = parsed[0]; // some gateways wrap the error in an array
  const o = isObject(parsed) ? parsed : {};
  const inner = isObject(o["error"]) ? o["error"] : o;
  const raw = inner["message"] ?? (typeof o["error"] === "string" ? o["error"] : undefined) ?? o["detail"] ?? o["message"];
  const message = typeof raw === "string" ? raw : raw !== undefined ? JSON.stringify(raw) : trimmed;
  const out: { -readonly [K in keyof UpstreamError]: UpstreamError[K] } = { message: clip(message) };
  const type = inner["type"];
  const code = inner["code"];
  const param = inner["param"];
  if (typeof type === "string" && type !== "") out.type = type;
  if ((typeof code === "string" && code !== "") || typeof code === "number") out.code = String(code);
  if (typeof param === "string" && param !== "") out.param = param;
  return out;
}

/** The error code for an HTTP status (and the upstream's error code, which refines 429). */
export function codeForStatus(status: number, upstream?: UpstreamError): PluginErrorCode {
  if (status === 401 || status === 403) return "plugin_credentials_invalid";
  if (status === 404) return "plugin_not_found";
  if (status === 408) return "plugin_timeout";
  if (status === 429) {
    // OpenAI answers 429 `insufficient_quota` when the account has no credit: retrying cannot help.
    return upstream?.code === "insufficient_quota" || upstream?.type === "insufficient_quota" ? "plugin_quota_exceeded" : "plugin_rate_limited";
  }
  if (status >= 400 && status < 500) return "plugin_invalid_arguments";
  return "plugin_upstream_error";
}

/** Builds the error for a non-2xx response, reading (a bounded part of) its body. */
export async function errorFromResponse(res: FetchResponse, host: string): Promise<PluginError> {
  const upstream = parseErrorBody(await readText(res, MAX_ERROR_BODY_BYTES).catch(() => ""));
  return httpError(res.status, res.statusText, upstream, host, parseRetryAfter(res.headers));
}

/** Builds the error for an HTTP status and a parsed error body. */
export function httpError(status: number, statusText: string, upstream: UpstreamError, host: string, retryAfterMs?: number): PluginError {
  const code = codeForStatus(status, upstream);
  const tag = upstream.code ?? upstream.type;
  const said = upstream.message !== "" ? `: ${upstream.message}` : "";
  let message = `${host} answered ${status}${statusText ? ` ${statusText}` : ""}${said}${tag ? ` (${tag})` : ""}`;
  const retry = code === "plugin_rate_limited" || code === "plugin_upstream_error" ? retryAfterMs : undefined;
  if (retry !== undefined) message += ` [retry after ${retry} ms]`;
  const details: JsonObject = { status, ...upstreamDetails(upstream) };
  if (retry !== undefined) details["retry_after_ms"] = retry;
  return new PluginError(code, message, { details, ...(retry !== undefined ? { retryAfterMs: retry } : {}) });
}

/**
 * Builds the error for an `{"error": {...}}` object sent inside a 200 event
 * stream (OpenAI, OpenRouter and vLLM do this when generation fails mid-way).
 */
export function streamError(error: unknown, host: string): PluginError {
  const upstream = isObject(error)
    ? parseErrorBody(JSON.stringify({ error }))
    : { message: typeof error === "string" ? clip(error) : JSON.stringify(error) };
  const numeric = isObject(error) && typeof error["code"] === "number" ? error["code"] : Number(upstream.code);
  let code: PluginErrorCode;
  if (Number.isInteger(numeric) && numeric >= 400 && numeric < 600) code = codeForStatus(numeric, upstream);
  else {
    const kind = `${upstream.type ?? ""} ${upstream.code ?? ""}`;
    if (/insufficient_quota/.test(kind)) code = "plugin_quota_exceeded";
    else if (/rate_limit/.test(kind)) code = "plugin_rate_limited";
    else if (/authentication|invalid_api_key|permission/.test(kind)) code = "plugin_credentials_invalid";
    else if (/invalid_request|context_length|content_filter|content_policy/.test(kind)) code = "plugin_invalid_arguments";
    else code = "plugin_upstream_error";
  }
  const tag = upstream.code ?? upstream.type;
  return new PluginError(code, `${host} reported an error in the stream: ${upstream.message}${tag ? ` (${tag})` : ""}`, {
    details: upstreamDetails(upstream),
  });
}

/** `true` for errors that mean the call was cancelled (also across the isolate bridge, where they are plain objects). */
export function isCancellation(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "plugin_cancelled" || e?.name === "AbortError";
}

/** The error thrown when `signal` has aborted. */
export function cancelledError(what: string): PluginError {
  return new PluginError("plugin_cancelled", `${what} was cancelled`);
}

/** Whether any of `signals` has aborted. */
export function aborted(signals: readonly (AbortSignalLike | undefined)[]): boolean {
  return signals.some((s) => s?.aborted === true);
}

/**
 * `ctx.fetch` with the failure (refused connection, DNS, permission, timeout)
 * rethrown as a coded error naming the URL's host.
 */
export async function fetchUpstream(ctx: PluginContext, url: string, init: FetchInit, host: string, signal?: AbortSignalLike): Promise<FetchResponse> {
  if (aborted([ctx.signal, signal])) throw cancelledError("the request");
  try {
    return await ctx.fetch(url, { ...init, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (isCancellation(error) || aborted([ctx.signal, signal])) throw cancelledError("the request");
    const e = error as { code?: unknown; message?: unknown };
    const code = typeof e?.code === "string" && e.code.startsWith("plugin_") ? (e.code as PluginErrorCode) : "plugin_upstream_error";
    throw new PluginError(code, `could not reach ${host}: ${String(e?.message ?? error)}`, { cause: error });
  }
}

/** Reads a successful JSON response body. */
export async function readJson(res: FetchResponse, host: string): Promise<unknown> {
  const body = await res.text();
  try {
    return JSON.parse(body);
  } catch {
    throw new PluginError("plugin_upstream_error", `${host} answered ${res.status} with a body that is not JSON: ${clip(body, 200)}`);
  }
}

/** Reads at most `limit` bytes of a body as text, then lets the connection go. */
export async function readText(res: FetchResponse, limit: number): Promise<string> {
  if (res.body === null) return "";
  const decoder = new TextDecoder();
  let out = "";
  let size = 0;
  for await (const chunk of res.body) {
    const room = limit - size;
    out += decoder.decode(chunk.byteLength > room ? chunk.subarray(0, room) : chunk, { stream: true });
    size += Math.min(chunk.byteLength, room);
    if (size >= limit) break;
  }
  return out + decoder.decode();
}

/** Releases a body that will not be read. */
export async function discard(res: FetchResponse): Promise<void> {
  try {
    if (res.body) for await (const _ of res.body) break;
  } catch {
    // the body is not needed
  }
}

function upstreamDetails(upstream: UpstreamError): JsonObject {
  const details: JsonObject = {};
  if (upstream.type) details["type"] = upstream.type;
  if (upstream.code) details["code"] = upstream.code;
  if (upstream.param) details["param"] = upstream.param;
  return details;
}

function clip(text: string, max = MAX_MESSAGE_CHARS): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
