/**
 * Coded errors that plugins throw to tell the kernel *why* something failed.
 *
 * The kernel maps each {@link PluginErrorCode} onto an HTTP status (see
 * {@link pluginErrorStatus}) and decides whether to retry. Errors cross the
 * isolate boundary as plain JSON ({@link PluginError.toJSON} /
 * {@link PluginError.fromJSON}), so they carry no functions or prototypes that
 * the other side depends on.
 *
 * @module
 */

import type { JsonValue } from "./json.js";

/**
 * The closed set of error codes a plugin may signal.
 *
 * - `plugin_invalid_arguments` — the request was malformed or rejected by the upstream as invalid (HTTP 400).
 * - `plugin_credentials_invalid` — credentials are missing, wrong or expired (HTTP 401).
 * - `plugin_permission_denied` — the plugin or the credentials lack a permission (HTTP 403).
 * - `plugin_not_found` — a named model, collection, document or resource does not exist (HTTP 404).
 * - `plugin_quota_exceeded` — a storage or account quota is used up (HTTP 413-ish; reported as 429 with no retry).
 * - `plugin_rate_limited` — the upstream throttled the request; retry later (HTTP 429).
 * - `plugin_payload_too_large` — an argument, value, result or body crossing between the plugin and the host is over its size limit (HTTP 413).
 * - `plugin_cancelled` — the operation was aborted through its cancellation signal (HTTP 499).
 * - `plugin_not_supported` — the operation is not implemented by this contribution (HTTP 501).
 * - `plugin_upstream_error` — the upstream service failed or returned garbage (HTTP 502).
 * - `plugin_timeout` — the upstream did not answer in time, or the plugin used up its CPU time (HTTP 504).
 * - `plugin_invalid_definition` — the plugin's own code or definition is broken (HTTP 500).
 * - `plugin_bad_output` — the plugin returned something that is not JSON or not of the declared shape (HTTP 502).
 * - `plugin_out_of_memory` — the plugin's isolate hit its memory cap and was disposed (HTTP 507).
 * - `plugin_crashed` — the plugin-host process running the plugin died during the call; it is restarted for the next one (HTTP 503).
 * - `plugin_internal_error` — anything else (HTTP 500).
 */
export type PluginErrorCode =
  | "plugin_invalid_arguments"
  | "plugin_credentials_invalid"
  | "plugin_permission_denied"
  | "plugin_not_found"
  | "plugin_quota_exceeded"
  | "plugin_rate_limited"
  | "plugin_payload_too_large"
  | "plugin_cancelled"
  | "plugin_not_supported"
  | "plugin_upstream_error"
  | "plugin_timeout"
  | "plugin_invalid_definition"
  | "plugin_bad_output"
  | "plugin_out_of_memory"
  | "plugin_crashed"
  | "plugin_internal_error";

const STATUS: Readonly<Record<PluginErrorCode, number>> = {
  plugin_invalid_arguments: 400,
  plugin_credentials_invalid: 401,
  plugin_permission_denied: 403,
  plugin_not_found: 404,
  plugin_quota_exceeded: 429,
  plugin_rate_limited: 429,
  plugin_payload_too_large: 413,
  plugin_cancelled: 499,
  plugin_not_supported: 501,
  plugin_upstream_error: 502,
  plugin_timeout: 504,
  plugin_invalid_definition: 500,
  plugin_bad_output: 502,
  plugin_out_of_memory: 507,
  plugin_crashed: 503,
  plugin_internal_error: 500,
};

/** Every {@link PluginErrorCode}, in declaration order. */
export const PLUGIN_ERROR_CODES: readonly PluginErrorCode[] = Object.freeze(
  Object.keys(STATUS) as PluginErrorCode[],
);

/**
 * Returns `true` if `code` is one of the {@link PluginErrorCode}s.
 *
 * @param code - Any value.
 */
export function isPluginErrorCode(code: unknown): code is PluginErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(STATUS, code);
}

/**
 * The HTTP status the kernel uses when it reports an error with `code` to an API client.
 *
 * @param code - A plugin error code.
 */
export function pluginErrorStatus(code: PluginErrorCode): number {
  return STATUS[code];
}

/**
 * Returns `true` for codes describing transient conditions that are worth
 * retrying (`plugin_rate_limited`, `plugin_upstream_error`, `plugin_timeout`).
 *
 * @param code - A plugin error code.
 */
export function isRetryablePluginError(code: PluginErrorCode): boolean {
  return code === "plugin_rate_limited" || code === "plugin_upstream_error" || code === "plugin_timeout";
}

/** Optional extra information attached to a {@link PluginError}. */
export interface PluginErrorOptions {
  /** Machine-readable details (e.g. the upstream error body); must be JSON. */
  readonly details?: JsonValue;
  /** For `plugin_rate_limited`: how long the caller should wait before retrying, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The underlying error. Only its message survives serialisation. */
  readonly cause?: unknown;
}

/** The JSON form of a {@link PluginError}, as produced by {@link PluginError.toJSON}. */
export interface PluginErrorJSON {
  /** Always `"PluginError"`; lets receivers recognise the shape. */
  readonly name: "PluginError";
  /** The error code. */
  readonly code: PluginErrorCode;
  /** Human-readable message. */
  readonly message: string;
  /** Optional machine-readable details. */
  readonly details?: JsonValue;
  /** Optional retry hint in milliseconds. */
  readonly retryAfterMs?: number;
  /** Message of the underlying cause, when there was one. */
  readonly cause?: string;
}

/**
 * The error class plugins throw to signal a coded failure.
 *
 * @example
 * ```ts
 * if (res.status === 401) throw new PluginError("plugin_credentials_invalid", "OpenAI rejected the API key");
 * if (res.status === 429) throw new PluginError("plugin_rate_limited", "slow down", { retryAfterMs: 2000 });
 * ```
 */
export class PluginError extends Error {
  /** The error code; decides the HTTP status and retry behaviour. */
  readonly code: PluginErrorCode;
  /** Optional machine-readable details. */
  readonly details: JsonValue | undefined;
  /** Optional retry hint in milliseconds. */
  readonly retryAfterMs: number | undefined;

  /**
   * @param code - The error code.
   * @param message - A message for humans; never include secrets.
   * @param options - Details, retry hint and cause.
   */
  constructor(code: PluginErrorCode, message: string, options: PluginErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PluginError";
    this.code = code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The HTTP status associated with {@link PluginError.code}. */
  get status(): number {
    return pluginErrorStatus(this.code);
  }

  /** Whether the failure is transient and the operation may be retried. */
  get retryable(): boolean {
    return isRetryablePluginError(this.code);
  }

  /** Serialises the error to plain JSON (called implicitly by `JSON.stringify`). */
  toJSON(): PluginErrorJSON {
    const json: { -readonly [K in keyof PluginErrorJSON]: PluginErrorJSON[K] } = {
      name: "PluginError",
      code: this.code,
      message: this.message,
    };
    if (this.details !== undefined) json.details = this.details;
    if (this.retryAfterMs !== undefined) json.retryAfterMs = this.retryAfterMs;
    if (this.cause !== undefined) json.cause = describeCause(this.cause);
    return json;
  }

  /**
   * Rebuilds a {@link PluginError} from its JSON form.
   *
   * Tolerant of foreign input: an unknown or missing code becomes
   * `plugin_internal_error` and a missing message becomes a generic one.
   *
   * @param json - The output of {@link PluginError.toJSON}, possibly after `JSON.parse`.
   */
  static fromJSON(json: unknown): PluginError {
    const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
    const code = isPluginErrorCode(o["code"]) ? o["code"] : "plugin_internal_error";
    const message = typeof o["message"] === "string" ? o["message"] : "plugin error";
    const options: { -readonly [K in keyof PluginErrorOptions]: PluginErrorOptions[K] } = {};
    if (o["details"] !== undefined) options.details = o["details"] as JsonValue;
    if (typeof o["retryAfterMs"] === "number") options.retryAfterMs = o["retryAfterMs"];
    if (typeof o["cause"] === "string") options.cause = o["cause"];
    return new PluginError(code, message, options);
  }

  /**
   * Normalises anything thrown into a {@link PluginError}. Plugin errors are
   * returned unchanged; other errors become `plugin_internal_error` (or
   * `plugin_cancelled` for `AbortError`s) with the original as `cause`.
   *
   * @param error - Any thrown value.
   */
  static from(error: unknown): PluginError {
    if (error instanceof PluginError) return error;
    if (isPluginErrorJSON(error)) return PluginError.fromJSON(error);
    if (error instanceof Error) {
      const code = error.name === "AbortError" ? "plugin_cancelled" : "plugin_internal_error";
      return new PluginError(code, error.message, { cause: error });
    }
    return new PluginError("plugin_internal_error", String(error));
  }
}

/**
 * Returns `true` if `value` is a {@link PluginError} or has its JSON shape
 * (works across realms, where `instanceof` does not).
 *
 * @param value - Any value.
 */
export function isPluginError(value: unknown): value is PluginError | PluginErrorJSON {
  return value instanceof PluginError || isPluginErrorJSON(value);
}

function isPluginErrorJSON(value: unknown): value is PluginErrorJSON {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Record<string, unknown>;
  return o["name"] === "PluginError" && isPluginErrorCode(o["code"]) && typeof o["message"] === "string";
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return typeof cause === "string" ? cause : String(cause);
}
