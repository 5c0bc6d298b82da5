/**
 * The console's one HTTP client: `/console/api` on the same origin, bearer
 * session tokens kept in localStorage, one silent refresh on 401, and every
 * failure turned into an {@link ApiError} carrying the API's `code` (match on
 * it, never on the message — docs/api/console-identity.md#errors).
 */
import { readSse, type SseEvent } from './sse';

export const API_BASE = '/console/api';
const TOKENS_KEY = 'tessera.tokens';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly params?: string,
    /** The parsed error body, for routes that answer in another shape (DSL imports: `{ status: 'failed', error }`). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let tokens: Tokens | null = readTokens();
let onSessionLost: (() => void) | undefined;

function readTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function getTokens(): Tokens | null {
  return tokens;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  if (next) localStorage.setItem(TOKENS_KEY, JSON.stringify(next));
  else localStorage.removeItem(TOKENS_KEY);
}

/** Called once a session cannot be refreshed (the router sends the user to the login page). */
export function onUnauthorized(handler: () => void): void {
  onSessionLost = handler;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  /** Skip the bearer token (setup, login). */
  anonymous?: boolean;
}

function url(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (!options.anonymous && tokens) headers.Authorization = `Bearer ${tokens.access_token}`;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  try {
    return await fetch(url(path, options.query), { method, headers, body: body ?? null, signal: options.signal ?? null });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('network_error', 'The server could not be reached. Check that Tessera is running.', 0);
  }
}

let refreshing: Promise<boolean> | undefined;

/** One refresh at a time, shared by every request that hit a 401 meanwhile. */
async function refresh(): Promise<boolean> {
  if (!tokens?.refresh_token) return false;
  refreshing ??= (async () => {
    try {
      const res = await send('POST', '/refresh-token', { body: { refresh_token: tokens!.refresh_token }, anonymous: true });
      if (!res.ok) return false;
      setTokens(((await res.json()) as { data: Tokens }).data);
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = undefined));
    }
  })();
  return refreshing;
}

async function toError(res: Response): Promise<ApiError> {
  let body: { code?: string; message?: string; params?: string } & Record<string, unknown> = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    /* not JSON (a proxy's page): keep the status */
  }
  return new ApiError(body.code ?? `http_${res.status}`, body.message ?? res.statusText ?? `HTTP ${res.status}`, res.status, body.params, body);
}

/** Sends a request; retries once after refreshing an expired session. */
async function authed(method: string, path: string, options: RequestOptions): Promise<Response> {
  let res = await send(method, path, options);
  if (res.status === 401 && !options.anonymous && tokens) {
    if (await refresh()) res = await send(method, path, options);
    if (res.status === 401) {
      setTokens(null);
      onSessionLost?.();
    }
  }
  if (!res.ok) throw await toError(res);
  return res;
}

export async function request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await authed(method, path, options);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) => request<T>('GET', path, { query, ...(signal ? { signal } : {}) }),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) => request<T>('POST', path, { body: body ?? {}, ...options }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body: body ?? {} }),
  del: <T = void>(path: string) => request<T>('DELETE', path),
};

/**
 * POSTs and reads the answer as Server-Sent Events (the chat preview's
 * `response_mode: streaming`), calling `onEvent` for each `data:` frame.
 */
export async function streamPost(path: string, body: unknown, onEvent: (event: SseEvent) => void, signal?: AbortSignal): Promise<void> {
  const res = await authed('POST', path, { body, ...(signal ? { signal } : {}) });
  if (!res.body) throw new ApiError('empty_response', 'The server sent no stream.', res.status);
  for await (const event of readSse(res.body)) onEvent(event);
}

/** `encodeURIComponent` for path segments such as `@scope/name`. */
export const seg = (value: string) => encodeURIComponent(value);
