/**
 * Anthropic's error responses → {@link PluginError}s.
 *
 * Non-2xx bodies (and `event: error` in a stream) look like
 * `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`.
 *
 * @module
 */

import { isPluginErrorCode, PluginError, type FetchResponse, type JsonValue, type PluginErrorCode } from "@tessera/sdk";

/** At most this many characters of an unparseable error body are quoted. */
const MAX_QUOTED_BODY = 300;

/** The `error` object of an Anthropic error body. */
export interface AnthropicErrorBody {
  readonly type?: string;
  readonly message?: string;
}

/** Error types that say what went wrong regardless of the HTTP status. */
const CODE_BY_TYPE: Readonly<Record<string, PluginErrorCode>> = {
  invalid_request_error: "plugin_invalid_arguments",
  request_too_large: "plugin_invalid_arguments",
  authentication_error: "plugin_credentials_invalid",
  permission_error: "plugin_credentials_invalid",
  not_found_error: "plugin_not_found",
  rate_limit_error: "plugin_rate_limited",
  api_error: "plugin_upstream_error",
  overloaded_error: "plugin_upstream_error",
  timeout_error: "plugin_timeout",
  billing_error: "plugin_quota_exceeded",
};

/**
 * The error code for an HTTP status: 400 → invalid arguments, 401/403 →
 * credentials invalid, 404 → not found, 429 → rate limited, 408/504 →
 * timeout, other 4xx → invalid arguments, everything else (500, 529
 * overloaded, …) → upstream error.
 */
export function codeForStatus(status: number): PluginErrorCode {
  if (status === 401 || status === 403) return "plugin_credentials_invalid";
  if (status === 404) return "plugin_not_found";
  if (status === 429) return "plugin_rate_limited";
  if (status === 408 || status === 504) return "plugin_timeout";
  if (status >= 400 && status < 500) return "plugin_invalid_arguments";
  return "plugin_upstream_error";
}

/** The error code for an Anthropic error `type` (used for in-stream errors, which carry no status). */
export function codeForType(type: string | undefined): PluginErrorCode {
  return (type !== undefined ? CODE_BY_TYPE[type] : undefined) ?? "plugin_upstream_error";
}

/**
 * Parses a `retry-after` header: delay-seconds (possibly fractional) or an
 * HTTP date. Returns milliseconds, or `undefined` when absent or unreadable.
 *
 * @param value - The header value.
 * @param now - The current time in ms (for HTTP dates).
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Builds the {@link PluginError} for an Anthropic error, keeping the
 * provider's message.
 *
 * @param code - The error code.
 * @param error - The parsed `error` object, if any.
 * @param extra - Status, request id and retry hint.
 */
export function anthropicError(
  code: PluginErrorCode,
  error: AnthropicErrorBody | undefined,
  extra: { status?: number; requestId?: string | null; retryAfterMs?: number; fallback?: string } = {},
): PluginError {
  const type = error?.type;
  const what = error?.message ?? extra.fallback ?? "request failed";
  const tags = [type, extra.status !== undefined ? `HTTP ${extra.status}` : undefined].filter((t) => t !== undefined && t !== "");
  let message = `Anthropic: ${what}${tags.length > 0 ? ` (${tags.join(", ")})` : ""}`;
  // retryAfterMs does not (yet) survive the isolate bridge, so say it in the message too.
  if (extra.retryAfterMs !== undefined) message += `; retry after ${formatSeconds(extra.retryAfterMs)}`;
  const details: Record<string, JsonValue> = {};
  if (extra.status !== undefined) details["status"] = extra.status;
  if (type !== undefined) details["type"] = type;
  if (extra.requestId) details["request_id"] = extra.requestId;
  return new PluginError(code, message, {
    details,
    ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
  });
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * Extracts `{type, message}` from an error body, tolerating non-JSON bodies
 * (a proxy's HTML page, an empty body).
 */
export function parseErrorBody(text: string): { error?: AnthropicErrorBody; fallback?: string } {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  try {
    const body = JSON.parse(trimmed) as { error?: unknown; message?: unknown };
    const error = body?.error;
    if (typeof error === "object" && error !== null) {
      const e = error as Record<string, unknown>;
      return {
        error: {
          ...(typeof e["type"] === "string" ? { type: e["type"] } : {}),
          ...(typeof e["message"] === "string" ? { message: e["message"] } : {}),
        },
      };
    }
    if (typeof body?.message === "string") return { fallback: body.message };
  } catch {
    // not JSON: quote it
  }
  return { fallback: trimmed.length > MAX_QUOTED_BODY ? `${trimmed.slice(0, MAX_QUOTED_BODY)}…` : trimmed };
}

/**
 * Throws the {@link PluginError} for a non-2xx response; returns for 2xx.
 *
 * @param res - The response (its body is consumed on error).
 */
export async function ensureOk(res: FetchResponse): Promise<void> {
  if (res.ok) return;
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the body is only used for the message
  }
  const { error, fallback } = parseErrorBody(text);
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
  throw anthropicError(codeForStatus(res.status), error, {
    status: res.status,
    requestId: res.headers.get("request-id"),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    fallback: fallback ?? (res.statusText || "request failed"),
  });
}

/**
 * Adds context to a failure of `ctx.fetch` or of reading a body (connection
 * refused, connection dropped, host not granted, …), keeping its code.
 * Errors this plugin raised itself pass through unchanged.
 *
 * @param error - What was thrown.
 * @param what - What was being done, e.g. "reading the stream".
 */
export function transportError(error: unknown, what: string): unknown {
  if (error instanceof PluginError) return error;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" && isPluginErrorCode(e.code) ? e.code : "plugin_upstream_error";
  if (code === "plugin_cancelled") return error;
  const message = typeof e?.message === "string" ? e.message : String(error);
  return new PluginError(code, `Anthropic: ${what} failed: ${message}`, { cause: error });
}
