import type { Knex } from 'knex';

/**
 * Which errors mean "the database is not there" rather than "this statement is
 * wrong" (issue #14): those become `503 database_unavailable` in
 * http/error-middleware.ts, with the driver's words in the log only.
 *
 * Socket errors (ECONNRESET, ECONNREFUSED…) look the same whether they come
 * from the database, Redis or a model provider, so the database's own errors
 * are marked where knex raises them ({@link markDatabaseErrors}); SQLSTATEs and
 * knex's pool time-out are the database's wherever they are seen.
 */
const FROM_DATABASE = Symbol.for('tessera.fromDatabase'); // a registered symbol: one mark even if this module loads twice (ESM and CJS in tests)

/** Socket-level failures: the server refused, reset or never answered. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/** What pg says, without a code, when its socket ends or its time-outs (connectionTimeoutMillis, query_timeout) fire. */
const PG_CLIENT_MESSAGES = /(Connection terminated|Query read timeout|timeout expired|Client has encountered a connection error and is not queryable|Connection closed)/;

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01–57P05
 * (admin/crash shutdown, cannot connect now, idle session time-out), 53300 (too many
 * connections) and 57014 (query_canceled: statement_timeout, which a server answering
 * this slowly is as good as unavailable).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-5]$/.test(code) || code === '53300' || code === '57014';
}

/** Marks every error knex raises from `knex` — a failed query or a connection it could not get — as the database's. */
export function markDatabaseErrors(knex: Knex): void {
  knex.client.on('query-error', (error: unknown) => markDatabaseError(error));
  const client = knex.client as { acquireConnection(): Promise<unknown> };
  const acquire = client.acquireConnection.bind(client);
  client.acquireConnection = async () => {
    try {
      return await acquire();
    } catch (error) {
      throw markDatabaseError(error);
    }
  };
}

/** Marks `error` as raised by the database driver (for errors raised outside knex's query path, such as `runSimple`). */
export function markDatabaseError<T>(error: T): T {
  if (typeof error === 'object' && error !== null && !Object.isFrozen(error)) Object.defineProperty(error, FROM_DATABASE, { value: true, configurable: true });
  return error;
}

/** Whether `error` (or an error it wraps) says the database could not be reached or did not answer in time. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((e) => {
    if (e.name === 'KnexTimeoutError') return true; // acquireConnectionTimeout: no pooled connection in time
    const code = typeof e.code === 'string' ? e.code : '';
    if (code.length === 5 && isUnavailableSqlState(code)) return true;
    if (!(e as Record<symbol, unknown>)[FROM_DATABASE]) return false;
    return SOCKET_CODES.has(code) || PG_CLIENT_MESSAGES.test(String(e.message)) || causes(e.cause).some((c) => SOCKET_CODES.has(String(c.code)));
  });
}

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };

/** `error`, what it was caused by, and the errors of an AggregateError (a dual-stack connect), a few levels deep. */
function causes(error: unknown, depth = 0): ErrorLike[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const e = error as ErrorLike;
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((inner) => causes(inner, depth + 1)) : [];
  return [e, ...causes(e.cause, depth + 1), ...nested];
}
