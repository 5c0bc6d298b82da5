import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { Context } from 'koa';
import knexFactory from 'knex';
import pg from 'pg';
import { pino } from 'pino';
import { openDatabase, postgresConfig } from '../../src/db/database.js';
import { markDatabaseError, markDatabaseErrors } from '../../src/db/errors.js';
import { ConflictError } from '../../src/errors.js';
import { errorMiddleware, toErrorBody } from '../../src/http/error-middleware.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const UNAVAILABLE = { code: 'database_unavailable', message: 'The database is unavailable or not answering; try again shortly.', status: 503 };

function sqlState(code: string, message: string): Error {
  return Object.assign(new pg.DatabaseError(message, 100, 'error'), { code });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code, syscall: 'read' });
}

describe('errors of an unavailable database (issue #14)', () => {
  describe('toErrorBody', () => {
    it('maps the server shutting down, refusing connections or cancelling a statement past statement_timeout to 503 database_unavailable', () => {
      for (const [code, text] of [
        ['57P01', 'terminating connection due to administrator command'],
        ['57P03', 'the database system is starting up'],
        ['08006', 'connection failure'],
        ['08001', 'could not connect'],
        ['53300', 'sorry, too many clients already'],
        ['57014', 'canceling statement due to statement timeout'],
      ] as const) {
        expect(toErrorBody(sqlState(code, text)), code).to.deep.equal(UNAVAILABLE);
      }
    });

    it("maps knex's pool time-out to 503 database_unavailable", () => {
      expect(toErrorBody(new knexFactory.KnexTimeoutError('Knex: Timeout acquiring a connection. The pool is probably full.'))).to.deep.equal(UNAVAILABLE);
    });

    it("maps the driver's socket errors and time-outs to 503 database_unavailable, also when wrapped", () => {
      expect(toErrorBody(markDatabaseError(socketError('ECONNRESET')))).to.deep.equal(UNAVAILABLE);
      expect(toErrorBody(markDatabaseError(new Error('select 1 - Query read timeout')))).to.deep.equal(UNAVAILABLE);
      expect(toErrorBody(markDatabaseError(new Error('Connection terminated unexpectedly')))).to.deep.equal(UNAVAILABLE);
      expect(toErrorBody(new Error('loading the app failed', { cause: markDatabaseError(socketError('ECONNREFUSED')) }))).to.deep.equal(UNAVAILABLE);
    });

    it('leaves socket errors that are not the database’s, statement errors and coded errors as they were', () => {
      const internal = { code: 'internal_server_error', message: 'The server encountered an internal error.', status: 500 };
      expect(toErrorBody(socketError('ECONNREFUSED'))).to.deep.equal(internal); // a model provider or Redis, say
      expect(toErrorBody(markDatabaseError(sqlState('23505', 'duplicate key value violates unique constraint')))).to.deep.equal(internal);
      expect(toErrorBody(markDatabaseError(sqlState('42P01', 'relation "nope" does not exist')))).to.deep.equal(internal);
      expect(toErrorBody(new ConflictError('Taken.'))).to.deep.equal({ code: 'conflict', message: 'Taken.', status: 409 });
    });
  });

  describe('errors raised by a real PostgreSQL driver (no server needed)', () => {
    it('a refused connection fails openDatabase at once and maps to 503', async () => {
      const error = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test' }).then(() => undefined, (e: unknown) => e);
      expect(toErrorBody(error)).to.deep.equal(UNAVAILABLE);
    });

    it('a server that accepts but never answers fails within the connect time-out, then the pool time-out, both 503', async function () {
      this.timeout(20_000);
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: 1 });
      proxy.blackhole();
      const knex = knexFactory(postgresConfig(`postgres://postgres@127.0.0.1:${proxy.port}/test`, undefined, { connectMs: 300, statementMs: 0, queryMs: 0, acquireMs: 200 }));
      markDatabaseErrors(knex);
      try {
        const started = performance.now();
        const connect = await knex.raw('select 1').then(() => undefined, (e: unknown) => e);
        expect(performance.now() - started).to.be.below(1_000);
        expect(toErrorBody(connect)).to.deep.equal(UNAVAILABLE);
        // Every slot busy opening a connection that never answers: the next caller waits acquireMs, then KnexTimeoutError.
        const all = await Promise.all(Array.from({ length: 11 }, () => knex.raw('select 1').then(() => undefined, (e: unknown) => e)));
        expect(all.map((e) => toErrorBody(e).code)).to.deep.equal(Array(11).fill('database_unavailable'));
        expect(all.some((e) => (e as Error).name === 'KnexTimeoutError')).to.equal(true);
      } finally {
        await knex.destroy();
        await proxy.close();
      }
    });
  });

  describe('errorMiddleware', () => {
    it("answers 503 database_unavailable and logs the driver's words, which the body never carries", async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'error' }, new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }));
      const ctx = { state: { requestId: 'r1' }, headerSent: false, writable: true, status: 200, body: undefined as unknown, set() {} } as unknown as Context;
      await errorMiddleware(logger)(ctx, async () => {
        throw markDatabaseError(Object.assign(new Error('select "x" from "accounts" - read ECONNRESET'), { code: 'ECONNRESET' }));
      });
      expect(ctx.status).to.equal(503);
      expect(ctx.body).to.deep.equal(UNAVAILABLE);
      expect(lines.join('')).to.contain('read ECONNRESET').and.contain('"requestId":"r1"');
    });
  });
});
