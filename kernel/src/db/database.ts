import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { markDatabaseError, markDatabaseErrors } from './errors.js';
import { migrations, migrationSource } from './migrations/index.js';

// Postgres returns int8 (counts, sums) as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (value: string) => Number(value));

/**
 * knex-pglite 0.14 reports a delete as command "DEL", which knex's Postgres
 * dialect does not recognise, so `delete()` resolved to the raw result instead
 * of the affected row count. Renaming the method fixes it for every caller.
 */
class PgliteClient extends (ClientPgLite as unknown as new (config: Knex.Config) => { processResponse(obj: { method?: string }, runner: unknown): unknown }) {
  override processResponse(obj: { method?: string }, runner: unknown): unknown {
    return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly knex: Knex;
  /** Whether pgvector is available (always with PGlite; on a server only if installed). */
  readonly hasVector: boolean;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * An initdb-ed, empty PGlite data folder prepared at build time (`prepare-template.ts`),
 * copied on first start so the embedded default never pays PGlite's 4–9 s initdb.
 */
export const PGLITE_TEMPLATE_DIR = join(here, '..', '..', 'var', 'pglite-template');

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; absent = PGlite in `pgliteDir`. */
  databaseUrl?: string | undefined;
  pgliteDir?: string;
  /** Folder to copy into an absent `pgliteDir` instead of running initdb. */
  templateDir?: string;
  /** Postgres `search_path` schema (tests isolate runs by schema on a shared server). */
  schema?: string;
  /** PostgreSQL time-outs (default: {@link databaseTimeouts} of the environment). */
  timeouts?: Partial<DatabaseTimeouts>;
  /** Where knex's own warnings go, such as each failed attempt to connect (default: the console). */
  logger?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

/**
 * How long PostgreSQL may take before a request fails with 503
 * database_unavailable instead of hanging as long as an outage lasts
 * (issue #14: with packets dropped, every request and /ready waited 70 s+).
 */
export interface DatabaseTimeouts {
  /** Opening a connection: TCP, TLS and the startup exchange (DATABASE_CONNECT_TIMEOUT_MS, default 3000). */
  readonly connectMs: number;
  /** The server cancels a statement running longer (`statement_timeout`, SQLSTATE 57014; DATABASE_STATEMENT_TIMEOUT_MS, default 4000; 0 = none). Migrations run without it. */
  readonly statementMs: number;
  /**
   * The client gives up on a statement the server has not answered (pg `query_timeout`; DATABASE_QUERY_TIMEOUT_MS,
   * default the statement time-out + 1000, so a slow server cancels first and this only fires on a dead link; 0 = none).
   */
  readonly queryMs: number;
  /** Waiting for a pooled connection (knex `acquireConnectionTimeout`; DATABASE_ACQUIRE_TIMEOUT_MS, default 5000). */
  readonly acquireMs: number;
}

/** The PostgreSQL time-outs set in `env` (DATABASE_*_TIMEOUT_MS), with their defaults. */
export function databaseTimeouts(env: Record<string, string | undefined> = process.env): DatabaseTimeouts {
  const ms = (name: string, fallback: number, min: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number of milliseconds, got "${raw}"`);
    const value = Number(raw);
    if (value !== 0 && value < min) throw new ConfigError(name, `must be 0 or at least ${min}, got ${value}`);
    return value;
  };
  const statementMs = ms('DATABASE_STATEMENT_TIMEOUT_MS', 4000, 100);
  return {
    connectMs: ms('DATABASE_CONNECT_TIMEOUT_MS', 3000, 100) || 3000,
    statementMs,
    queryMs: ms('DATABASE_QUERY_TIMEOUT_MS', statementMs === 0 ? 0 : statementMs + 1000, 100),
    acquireMs: ms('DATABASE_ACQUIRE_TIMEOUT_MS', 5000, 100) || 5000,
  };
}

export interface OpenPgliteOptions {
  /** Tests: called before each file of the template is copied, with the number copied so far. */
  onTemplateFile?(copied: number): void;
}

export async function openPglite(dir: string, templateDir: string | undefined = PGLITE_TEMPLATE_DIR, options: OpenPgliteOptions = {}): Promise<PGlite> {
  if (!existsSync(join(dir, 'PG_VERSION'))) await createDataDir(dir, templateDir, options);
  return PGlite.create(dir, pgliteOptions());
}

function pgliteOptions() {
  // Postgres' default 128 MB of shared buffers doubles PGlite's resident memory;
  // the OS page cache already holds the data files, so 16 MB loses little (bench/boot).
  const sharedBuffers = process.env.PGLITE_SHARED_BUFFERS || '16MB';
  return { extensions: { vector }, startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] };
}

/**
 * Makes `dir` a PGlite data folder without ever leaving half of one there
 * (issue #14: a kill -9 during the first start's copy left the data folder
 * unusable for good). The template is copied, or initdb runs, in a folder
 * beside `dir`, renamed into place once complete; what a killed start left
 * there is removed and the copy done again.
 */
async function createDataDir(dir: string, templateDir: string | undefined, options: OpenPgliteOptions): Promise<void> {
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  if (templateDir && existsSync(join(templateDir, 'PG_VERSION'))) {
    let copied = 0;
    const onFile = options.onTemplateFile;
    const filter = onFile ? (src: string) => (statSync(src).isDirectory() || onFile(copied++), true) : undefined;
    cpSync(templateDir, partial, { recursive: true, ...(filter ? { filter } : {}) });
  } else {
    mkdirSync(partial);
    await (await PGlite.create(partial, pgliteOptions())).close();
  }
  // A folder without PG_VERSION holds no database: an empty one, or what a copy into place left before #14.
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}

/**
 * Runs statements given as text by the simple query protocol, on knex's own
 * connection (so never inside another caller's open transaction: PGlite has
 * one connection, and knex lends it to one caller at a time). Values must be
 * inlined as literals escaped by pg's `escapeLiteral` (see {@link sqlWithLiterals}).
 * On PGlite one call into WASM replaces parse, bind, describe and execute, which
 * halves the cost of a small statement (bench/gateway).
 *
 * `timeoutMs`: the statement's own time-out, when `sql` sets one (`SET LOCAL
 * statement_timeout`) past the connection's: the client then waits that long
 * and a second more before it takes the link for dead (pg `query_timeout`).
 */
export async function runSimple(knex: Knex, sql: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const client = knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<void> };
  const connection = (await client.acquireConnection()) as { exec?: (sql: string) => Promise<unknown>; query(query: string | { text: string; query_timeout?: number }): Promise<unknown> };
  try {
    // PGlite's exec, or pg's query without values (which pg sends as a simple query).
    if (typeof connection.exec === 'function') await connection.exec(sql);
    else await connection.query(options.timeoutMs ? { text: sql, query_timeout: options.timeoutMs + 1000 } : sql);
  } catch (error) {
    throw markDatabaseError(error);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** `sql` with its `$n` placeholders replaced by the bindings as escaped literals. */
export function sqlWithLiterals(native: Knex.SqlNative): string {
  return native.sql.replace(/\$(\d+)/g, (_, n: string) => literal(native.bindings[Number(n) - 1]));
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store ${value} as a number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (typeof value === 'string') return pg.escapeLiteral(value);
  return pg.escapeLiteral(JSON.stringify(value));
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      ...postgresConfig(options.databaseUrl, options.schema, { ...databaseTimeouts(), ...options.timeouts }),
      ...(options.logger ? { log: knexLog(options.logger) } : {}),
    });
    markDatabaseErrors(knex);
    try {
      if (options.schema) await knex.raw(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
      const available = await knex.raw(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
      return {
        kind: 'postgres',
        knex,
        hasVector: available.rows.length > 0,
        close: () => knex.destroy(),
      };
    } catch (error) {
      await knex.destroy();
      throw error;
    }
  }
  if (!options.pgliteDir) throw new Error('openDatabase needs databaseUrl or pgliteDir');
  const pglite = await openPglite(options.pgliteDir, options.templateDir);
  const knex = knexFactory({
    client: PgliteClient as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
  });
  markDatabaseErrors(knex);
  return {
    kind: 'pglite',
    knex,
    hasVector: true,
    async close() {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

function knexLog(logger: Pick<Logger, 'warn' | 'error' | 'debug'>): Knex.Logger {
  return {
    warn: (message: unknown) => logger.warn({ detail: String(message) }, 'database warning'),
    error: (message: unknown) => logger.error({ detail: String(message) }, 'database error'),
    deprecate: (method: string, alternative: string) => logger.debug({ method, alternative }, 'knex deprecation'),
    debug: (message: unknown) => logger.debug({ detail: String(message) }, 'knex'),
  };
}

type PgConnection = pg.Client & { readyForQuery?: boolean; _queryable?: boolean; _ending?: boolean };

/** knex's configuration for a PostgreSQL server, with the time-outs of issue #14. */
export function postgresConfig(url: string, schema: string | undefined, timeouts: DatabaseTimeouts): Knex.Config {
  return {
    client: 'pg',
    connection: {
      connectionString: url,
      connectionTimeoutMillis: timeouts.connectMs,
      ...(timeouts.statementMs ? { statement_timeout: timeouts.statementMs } : {}),
      ...(timeouts.queryMs ? { query_timeout: timeouts.queryMs } : {}),
      // An idle connection whose peer vanished is found by TCP keepalive instead of by the next request.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    } as Knex.PgConnectionConfig,
    acquireConnectionTimeout: timeouts.acquireMs,
    pool: {
      min: 0,
      max: 10,
      createTimeoutMillis: timeouts.connectMs + (timeouts.queryMs || timeouts.connectMs),
      // A statement the client gave up on (query_timeout) leaves its connection waiting for an answer that may
      // never come: such a connection is not lent again, and the pool opens a new one.
      validate: (conn: PgConnection) => conn.readyForQuery !== false && conn._queryable !== false && !conn._ending,
      ...(schema ? { afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
        conn.query(`SET search_path TO "${schema}", public`, (err) => done(err ?? null, conn));
      } } : {}),
    },
  };
}

export interface MigrationStatus {
  readonly applied: string[];
  readonly pending: string[];
}

export async function migrateUp(knex: Knex): Promise<string[]> {
  return withoutStatementTimeouts(knex, async (k) => ((await k.migrate.latest({ migrationSource })) as [number, string[]])[1]);
}

export async function migrateDown(knex: Knex): Promise<string[]> {
  return withoutStatementTimeouts(knex, async (k) => ((await k.migrate.rollback({ migrationSource })) as [number, string[]])[1]);
}

/**
 * Runs `work` on connections without the statement time-outs (a migration may
 * rightly build an index for minutes): a second pool on the same server and
 * schema, closed afterwards. PGlite has no such time-outs and one connection.
 */
async function withoutStatementTimeouts<T>(knex: Knex, work: (knex: Knex) => Promise<T>): Promise<T> {
  const config = knex.client.config as Knex.Config;
  const connection = config.connection as Record<string, unknown> | undefined;
  if (config.client !== 'pg' || typeof connection !== 'object' || !('query_timeout' in connection || 'statement_timeout' in connection)) return work(knex);
  const { statement_timeout: _statement, query_timeout: _query, ...rest } = connection;
  const unbounded = knexFactory({ ...config, connection: rest as Knex.PgConnectionConfig });
  markDatabaseErrors(unbounded);
  try {
    return await work(unbounded);
  } finally {
    await unbounded.destroy();
  }
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list({ migrationSource })) as [Array<{ name: string }>, Array<{ name: string }>];
  return {
    applied: completed.map((m) => m.name),
    pending: pending.map((m) => m.name),
  };
}

/**
 * Build step: runs PGlite's initdb once (4–9 s) and the migrations into a
 * template folder, so a fresh `npm start` and every test copy it instead of
 * paying initdb and the first migrations again. Migrations added later still
 * run at start (the template only records what it already has).
 */
export async function preparePgliteTemplate(dir: string): Promise<void> {
  const started = performance.now();
  // A marker of the migrations the template holds: when it is current the template is not even opened, so
  // processes copying it meanwhile (parallel test runs) never see a half-open database.
  const marker = join(dir, '.tessera-migrations');
  const wanted = migrations.map((m) => m.name).join('\n');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return;
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    rmSync(dir, { recursive: true, force: true });
    const pglite = await openPglite(dir, undefined);
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await pglite.close();
  }
  const db = await openDatabase({ pgliteDir: dir });
  try {
    const applied = await migrateUp(db.knex);
    process.stdout.write(`PGlite template ${dir}: ready in ${Math.round(performance.now() - started)} ms${applied.length ? `, applied ${applied.join(', ')}` : ''}\n`);
  } finally {
    await db.close();
  }
  writeFileSync(marker, wanted);
}
