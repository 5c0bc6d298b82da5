import type { ErrorCode } from './errors/catalogue.js';

export type { ErrorCode } from './errors/catalogue.js';

/**
 * Coded business errors. Handlers throw these; one middleware (http/error-middleware.ts)
 * maps them to the Service API's error body `{code, message, status}`.
 * Clients match on `code`, never on message text. Every code is listed, with its
 * status and meaning, in errors/catalogue.ts: the subclasses take an
 * {@link ErrorCode}, so a code missing from it does not compile; `TesseraError`
 * itself also re-throws codes read off the wire (stream `error` events), which
 * kernel/test/http/error-catalogue.test.ts checks instead.
 */
export class TesseraError extends Error {
  readonly code: string;
  readonly status: number;
  /** The offending request field, for `invalid_param` errors. */
  readonly params?: string;
  /** Extra headers to send with the error response (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { params?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    if (options.params !== undefined) this.params = options.params;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

export class InputError extends TesseraError {
  constructor(message: string, params?: string, code: ErrorCode = 'invalid_param') {
    super(400, code, message, params === undefined ? {} : { params });
  }
}

export class UnauthorizedError extends TesseraError {
  constructor(message = 'Unauthorized.', code: ErrorCode = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends TesseraError {
  constructor(message = 'Forbidden.', code: ErrorCode = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends TesseraError {
  constructor(message = 'Not found.', code: ErrorCode = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends TesseraError {
  constructor(message: string, code: ErrorCode = 'conflict') {
    super(409, code, message);
  }
}

export class TooManyRequestsError extends TesseraError {
  constructor(message = 'Too many requests.', retryAfterSeconds?: number, code: ErrorCode = 'too_many_requests') {
    super(429, code, message, retryAfterSeconds === undefined ? {} : { headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

export class UnavailableError extends TesseraError {
  constructor(message: string, code: ErrorCode = 'service_unavailable') {
    super(503, code, message);
  }
}

/** Configuration errors stop start-up with a one-line message naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}
