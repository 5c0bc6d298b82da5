#!/usr/bin/env -S node --no-node-snapshot
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './boot/config.js';
import { ConfigError } from './errors.js';
import { migrateDown, migrateUp, migrationStatus, openDatabase } from './db/database.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PluginPackage } from './plugins/package-store.js';
import { createKernel } from './kernel.js';
import { createLogger } from './logger.js';
import { TesseraError } from './errors.js';
import { AccountsRef, DatabaseRef, PackagesRef, PasswordResetsRef, PluginHostRef } from './services.js';

const USAGE = `Usage: tessera <command>

Commands:
  start                         run the API server (and, embedded, the job processor)
  worker                        process queued jobs (scaled-out deployments, needs REDIS_URL)
  migrate up|down|status        apply, revert the last batch of, or list database migrations
  admin create --email E --password P --name N
                                create the owner (fresh install) or an admin of the first workspace
  admin reset-password --email E --password P
                                set an account's password (no mail needed) and sign out its sessions
  plugins install <folder|tarball.tgz>
                                install a plugin package (enable it per workspace in the console)
  plugins list                  list installed plugin packages

Configuration comes from the environment: PORT, HOST, DATA_DIR, DATABASE_URL, REDIS_URL,
SECRET_KEY, LOG_LEVEL (see README).`;

/** Prints one line and exits: the CLI's contract for every failure. */
function fail(message: string, code = 1): never {
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(code);
}

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

async function serve(mode: 'start' | 'worker'): Promise<void> {
  const cfg = config();
  if (mode === 'worker') {
    // Workers share jobs through Redis and data through a PostgreSQL server; the
    // embedded default processes its jobs inside `tessera start` instead.
    if (!cfg.redisUrl) fail('worker needs REDIS_URL (without it, `tessera start` processes jobs itself)');
    if (!cfg.databaseUrl) fail('worker needs DATABASE_URL (the embedded database belongs to the `tessera start` process)');
  }
  const logger = createLogger(cfg.logLevel, { role: mode });
  const kernel = createKernel({ config: cfg, logger, http: mode === 'start', ...(mode === 'worker' ? { runJobs: true } : {}) });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    kernel.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    const report = await kernel.start();
    logger.info({ boot: report, database: kernel.get(DatabaseRef).kind, secretKey: cfg.secretKeySource, url: kernel.url || undefined }, mode === 'start' ? `Tessera listening on ${kernel.url}` : 'Tessera worker ready');
  } catch (error) {
    fail((error as Error).message);
  }
}

async function migrate(action: string | undefined): Promise<void> {
  const cfg = config();
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, pgliteDir: join(cfg.dataDir, 'db'), ...(cfg.databaseSchema ? { schema: cfg.databaseSchema } : {}) });
  try {
    if (action === 'up') {
      const applied = await migrateUp(db.knex);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    } else if (action === 'down') {
      const reverted = await migrateDown(db.knex);
      process.stdout.write(reverted.length ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
    } else if (action === 'status') {
      const status = await migrationStatus(db.knex);
      for (const name of status.applied) process.stdout.write(`applied  ${name}\n`);
      for (const name of status.pending) process.stdout.write(`pending  ${name}\n`);
    } else {
      fail('usage: tessera migrate up|down|status', 2);
    }
  } finally {
    await db.close();
  }
}

async function admin(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
  });
  if (positionals[0] === 'reset-password') return resetPassword(values.email, values.password);
  if (positionals[0] !== 'create') fail('usage: tessera admin create --email E --password P --name N | tessera admin reset-password --email E --password P', 2);
  const { email, password, name } = values;
  if (!email || !password || !name) fail('admin create needs --email, --password and --name', 2);
  const cfg = config();
  const kernel = createKernel({ config: cfg, logger: createLogger('warn'), http: false });
  await kernel.start();
  try {
    const result = await kernel.get(AccountsRef).createAdmin({ email, password, name });
    process.stdout.write(`created ${result.role} ${email} in workspace ${result.workspaceId}\n`);
  } finally {
    await kernel.stop();
  }
}

/** The way back in without mail: an operator sets the password; the account's sessions end. */
async function resetPassword(email: string | undefined, password: string | undefined): Promise<void> {
  if (!email || !password) fail('admin reset-password needs --email and --password', 2);
  const kernel = createKernel({ config: config(), logger: createLogger('warn'), http: false });
  await kernel.start();
  try {
    const { revokedSessions } = await kernel.get(PasswordResetsRef).setPassword(email, password);
    process.stdout.write(`password of ${email.trim().toLowerCase()} set; ${revokedSessions} session(s) signed out\n`);
  } finally {
    await kernel.stop();
  }
}

async function plugins(argv: string[]): Promise<void> {
  const [action, path] = argv;
  if (action !== 'install' && action !== 'list') fail('usage: tessera plugins install <folder|tarball.tgz> | tessera plugins list', 2);
  if (action === 'install' && !path) fail('plugins install needs a folder or a .tgz file', 2);
  const kernel = createKernel({ config: config(), logger: createLogger('warn'), http: false });
  await kernel.start();
  try {
    if (action === 'list') {
      for (const pkg of await kernel.get(PackagesRef).latest()) process.stdout.write(`${pkg.name}@${pkg.version}  ${pkg.runtime}  ${pkg.description}\n`);
      return;
    }
    const source = resolve(path!);
    if (!existsSync(source)) fail(`no such file or folder: ${source}`);
    const verify = (pkg: PluginPackage, code: string) => kernel.get(PluginHostRef).verify(pkg, code);
    const pkg = statSync(source).isDirectory()
      ? await kernel.get(PackagesRef).installFolder(source, 'folder', null, null, verify)
      : await kernel.get(PackagesRef).installTarball(readFileSync(source), 'file', null, verify);
    process.stdout.write(`installed ${pkg.name}@${pkg.version} (${pkg.runtime})\n`);
  } finally {
    await kernel.stop();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'start':
    case 'worker':
      return serve(command);
    case 'migrate':
      return migrate(rest[0]);
    case 'admin':
      return admin(rest);
    case 'plugins':
      return plugins(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      fail(`unknown command "${command}" (see tessera --help)`, 2);
  }
}

main().catch((error: unknown) => {
  if (error instanceof TesseraError) fail(error.message);
  if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
  fail(error instanceof Error ? error.message : String(error));
});
