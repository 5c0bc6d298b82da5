import type { HttpApp } from '../http/app.js';
import { DatabaseRef, EventBusRef, MarketplaceRef, PackagesRef, PluginHostRef, QueueRef } from '../services.js';
import type { Logger } from '../logger.js';
import type { ServiceRegistry } from './module.js';
import { checkReadiness, type Readiness } from './readiness.js';

export type { Readiness } from './readiness.js';

/** What `/ready` reports, from the started services; every check under its own time-out (boot/readiness.ts). */
export function readiness(registry: ServiceRegistry, started: boolean, logger: Logger): Promise<Readiness> {
  return checkReadiness(
    {
      started,
      db: registry.find(DatabaseRef),
      events: registry.find(EventBusRef),
      queue: registry.find(QueueRef),
      marketplace: registry.find(MarketplaceRef),
      packages: registry.find(PackagesRef),
      pluginHost: registry.find(PluginHostRef),
    },
    { logger },
  );
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
