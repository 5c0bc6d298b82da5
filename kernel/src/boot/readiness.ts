import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { migrationStatus } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/errors.js';

/** What `/ready` reports: `ok`, and one line per check (`ok`, `ok (detail)` or why not). */
export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

interface Health {
  health(): Promise<{ ok: boolean; detail: string }>;
}

/** The services readiness looks at: absent ones (not started yet) are left out, but for the database (`unreachable: not open`). */
export interface ReadinessSources {
  /** Whether the boot finished. */
  readonly started: boolean;
  readonly db?: { readonly knex: Knex } | undefined;
  readonly events?: Health | undefined;
  readonly queue?: Health | undefined;
  readonly marketplace?: { status(): string } | undefined;
  readonly packages?: { latest(): Promise<readonly unknown[]> } | undefined;
  readonly pluginHost?: { readonly activeIsolates: number } | undefined;
}

export interface ReadinessOptions {
  /** How long each check may take before it counts as failed (default 1000 ms). */
  timeoutMs?: number;
  /** Where the reasons of failed checks go; the response says only what failed. */
  logger?: Pick<Logger, 'warn'>;
}

export const READINESS_CHECK_TIMEOUT_MS = 1000;

class CheckTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/**
 * Runs every readiness check at once, each with its own time-out, so `/ready`
 * answers within about one time-out whatever hangs (issue #14: with the database
 * or Redis unreachable it waited as long as the outage, 33–70 s). The checks and
 * their texts are those `/ready` always had; a check that throws or times out
 * fails readiness instead of failing the request.
 */
export async function checkReadiness(sources: ReadinessSources, options: ReadinessOptions = {}): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
  const run = <T>(name: string, check: () => Promise<T>): Promise<Outcome<T>> => withTimeout(check, timeoutMs).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      options.logger?.warn({ err: error, check: name }, 'readiness check failed');
      return { ok: false as const, reason: reasonOf(error) };
    },
  );

  const { db, events, queue, marketplace, packages, pluginHost } = sources;
  const [database, migrations, eventsHealth, jobsHealth, installed] = await Promise.all([
    db ? run('database', () => db.knex.raw('select 1')) : undefined,
    db ? run('migrations', () => migrationStatus(db.knex)) : undefined,
    events ? run('events', () => events.health()) : undefined,
    queue ? run('jobs', () => queue.health()) : undefined,
    pluginHost && packages ? run('plugins', () => packages.latest()) : undefined,
  ]);

  const checks: Record<string, string> = {};
  let ok = sources.started;
  checks.boot = sources.started ? 'ok' : 'starting';
  if (!database || !migrations) {
    ok = false;
    checks.database = 'unreachable: not open';
  } else {
    if (!database.ok) {
      ok = false;
      checks.database = `unreachable: ${database.reason}`;
    } else {
      checks.database = 'ok';
      if (!migrations.ok) {
        ok = false;
        checks.migrations = `unknown: ${migrations.reason}`;
      } else {
        const { pending } = migrations.value;
        checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
        ok &&= pending.length === 0;
      }
    }
  }
  for (const [name, health] of [['events', eventsHealth], ['jobs', jobsHealth]] as const) {
    if (!health) continue;
    if (!health.ok) checks[name] = `unavailable: ${health.reason}`;
    else checks[name] = health.value.ok ? `ok (${health.value.detail})` : health.value.detail;
    ok &&= health.ok && health.value.ok;
  }
  if (marketplace) {
    try {
      checks.marketplace = marketplace.status();
    } catch (error) {
      options.logger?.warn({ err: error, check: 'marketplace' }, 'readiness check failed');
      checks.marketplace = `unknown: ${reasonOf(error)}`;
    }
  }
  if (pluginHost && installed) {
    if (installed.ok) checks.plugins = `ok (${installed.value.length} installed, ${pluginHost.activeIsolates} running)`;
    else {
      ok = false;
      checks.plugins = `unavailable: ${installed.reason}`;
    }
  } else {
    ok = false;
    checks.plugins = 'not loaded';
  }
  return { ok, checks };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

function withTimeout<T>(check: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const work = Promise.resolve().then(check);
  work.catch(() => undefined); // a check that fails after its time-out has nobody left to tell
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(ms)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** A reason fit for an unauthenticated response: a time-out or an error code, never the driver's text or a host name. */
function reasonOf(error: unknown): string {
  if (error instanceof CheckTimeout) return error.message;
  if (isDatabaseUnavailable(error)) return 'database_unavailable';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z][a-z0-9_]*$/i.test(code) ? `${code} (see the log)` : 'failed (see the log)';
}
