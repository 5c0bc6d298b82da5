/**
 * Errors thrown by the guarded fetch ({@link ./guarded-fetch.ts}).
 *
 * Cancellation and timeouts use the same `DOMException`s as the platform
 * `fetch` (`AbortError` / `TimeoutError`) so plugin code written against
 * `fetch` keeps working; only policy refusals and limits get their own classes.
 *
 * @module
 */

/** Why the guarded fetch refused a request. */
export type FetchDeniedCode =
  | "plugin_host_not_allowed"
  | "plugin_address_blocked"
  | "plugin_bad_request"
  | "plugin_too_many_redirects";

/**
 * A request refused by policy before (or instead of) reaching the network. The
 * message names the host or address and the reason, so that it can be shown to
 * the plugin author and the administrator as is.
 */
export class FetchDeniedError extends Error {
  /** Machine-readable refusal reason. */
  readonly code: FetchDeniedCode;

  /**
   * @param code - The refusal reason.
   * @param message - Human-readable explanation naming the host/address.
   */
  constructor(code: FetchDeniedCode, message: string) {
    super(message);
    this.name = "FetchDeniedError";
    this.code = code;
  }
}

/** Thrown by a response body iterator once more than `maxResponseBytes` (decoded) bytes arrived. */
export class FetchResponseTooLargeError extends Error {
  /** Machine-readable reason. */
  readonly code = "plugin_response_too_large" as const;
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  /**
   * @param url - The response's URL, for the message.
   * @param limit - The exceeded limit in bytes.
   */
  constructor(url: string, limit: number) {
    super(`Response from ${url} exceeds the limit of ${limit} bytes`);
    this.name = "FetchResponseTooLargeError";
    this.limit = limit;
  }
}
