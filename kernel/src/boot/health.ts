import { migrationStatus } from '../db/database.js';
import type { HttpApp } from '../http/app.js';
import { DatabaseRef, EventBusRef, MarketplaceRef, PackagesRef, PluginHostRef, QueueRef } from '../services.js';
import type { ServiceRegistry } from './module.js';

export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

/** What `/ready` reports: boot finished, database and migrations, events, jobs, marketplace, plugins. */
export async function readiness(registry: ServiceRegistry, started: boolean): Promise<Readiness> {
  const checks: Record<string, string> = {};
  let ok = started;
  checks.boot = started ? 'ok' : 'starting';
  const db = registry.find(DatabaseRef);
  try {
    if (!db) throw new Error('not open');
    await db.knex.raw('select 1');
    checks.database = 'ok';
    const status = await migrationStatus(db.knex);
    checks.migrations = status.pending.length === 0 ? 'ok' : `pending: ${status.pending.join(', ')}`;
    ok &&= status.pending.length === 0;
  } catch (error) {
    ok = false;
    checks.database = `unreachable: ${(error as Error).message}`;
  }
  for (const [name, service] of [['events', registry.find(EventBusRef)], ['jobs', registry.find(QueueRef)]] as const) {
    if (!service) continue;
    const health = await service.health();
    checks[name] = health.ok ? `ok (${health.detail})` : health.detail;
    ok &&= health.ok;
  }
  const marketplace = registry.find(MarketplaceRef);
  if (marketplace) checks.marketplace = marketplace.status();
  const host = registry.find(PluginHostRef);
  const packages = registry.find(PackagesRef);
  if (host && packages) {
    try {
      const installed = (await packages.latest()).length;
      checks.plugins = `ok (${installed} installed, ${host.activeIsolates} running)`;
    } catch (error) {
      ok = false;
      checks.plugins = `unavailable: ${(error as Error).message}`;
    }
  } else {
    ok = false;
    checks.plugins = 'not loaded';
  }
  return { ok, checks };
}

export function registerHealthRoutes(http: HttpApp, ready: () => Promise<Readiness>): void {
  http.root.get('/health', (ctx) => {
    ctx.body = { status: 'ok', pid: process.pid, uptime_s: Math.round(process.uptime()) };
  });
  http.root.get('/ready', async (ctx) => {
    const { ok, checks } = await ready();
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not_ready', checks };
  });
}
