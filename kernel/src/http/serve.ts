import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../boot/config.js';
import { registerModuleRoutes } from '../boot/compose.js';
import { registerHealthRoutes, type Readiness } from '../boot/health.js';
import type { BootModule } from '../boot/lifecycle.js';
import type { AnyModule, ServiceRegistry } from '../boot/module.js';
import type { Logger } from '../logger.js';
import { SessionsRef } from '../services.js';
import type { HttpApp } from './app.js';
import { consoleSession } from './auth.js';
import type { ConnectionTracker } from './connections.js';
import { serveConsole } from './console-static.js';
import { applyRoutePolicy } from './route-policy.js';

export interface HttpServerDeps {
  readonly http: HttpApp;
  readonly tracker: ConnectionTracker;
  readonly config: Config;
  readonly logger: Logger;
  readonly modules: readonly AnyModule[];
  readonly registry: ServiceRegistry;
  ready(): Promise<Readiness>;
}

/**
 * The API process's last boot step: every module's routes, the route policy,
 * the console, then listening; its stop drains connections up to the
 * shutdown deadline. Runs after every module has started, so routes see
 * every service.
 */
export function httpServer(deps: HttpServerDeps): BootModule & { readonly server: Server | undefined; url(): string } {
  const { http, tracker, config, logger, modules, registry } = deps;
  let server: Server | undefined;
  return {
    name: 'http',
    get server() {
      return server;
    },
    url() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}` : '';
    },
    async start() {
      registerHealthRoutes(http, deps.ready);
      registerModuleRoutes(modules, registry, { http, tracker, config });
      // Every console route's authority comes from the one table (issue #13).
      applyRoutePolicy(http.console, '/console/api', consoleSession(registry.get(SessionsRef)));
      http.mount();
      http.koa.use(serveConsole()); // the console at `/`, after every API route (issue #7)
      const listening = createServer({ keepAliveTimeout: 65_000 }, http.koa.callback());
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(config.port, config.host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
    },
    async stop() {
      if (!server) return;
      const { forced } = await tracker.drain(server, config.shutdownTimeoutMs);
      if (forced) logger.warn('shutdown deadline reached: remaining connections were closed');
    },
  };
}
