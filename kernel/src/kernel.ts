import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './boot/config.js';
import { addModules, checkModuleOrder, registerModuleRoutes } from './boot/compose.js';
import { readiness, registerHealthRoutes, type Readiness } from './boot/health.js';
import { Lifecycle, type BootReport } from './boot/lifecycle.js';
import { type AnyModule, type KernelModuleOptions, type ServiceRef, ServiceRegistry } from './boot/module.js';
import { createHttpApp, type HttpApp } from './http/app.js';
import { consoleSession } from './http/auth.js';
import { ConnectionTracker } from './http/connections.js';
import { serveConsole } from './http/console-static.js';
import { applyRoutePolicy } from './http/route-policy.js';
import { createLogger, type Logger } from './logger.js';
import { SessionsRef } from './services.js';
import { databaseModule, migrationsModule } from './db/module.js';
import { eventsModule } from './events/module.js';
import { jobsModule } from './jobs/module.js';
import { identityModule } from './identity/module.js';
import { appsModule } from './apps/module.js';
import { pluginsModule } from './plugins/module.js';
import { modelsModule } from './models/module.js';
import { conversationsModule } from './conversations/module.js';
import { filesModule } from './files/module.js';
import { annotationsModule } from './annotations/module.js';
import { chatModule } from './chat/module.js';
import { runsModule } from './runs/module.js';
import { serviceApiModule } from './service-api/module.js';
import { openAiApiModule } from './openai-api/module.js';
import { marketplaceModule } from './marketplace/module.js';

/** The kernel's modules in boot order (stop runs in reverse); each names what it needs and provides (`services.ts`). */
export const KERNEL_MODULES: readonly AnyModule[] = [
  databaseModule,
  migrationsModule,
  eventsModule,
  jobsModule,
  identityModule,
  appsModule,
  pluginsModule,
  modelsModule,
  conversationsModule,
  filesModule,
  annotationsModule,
  chatModule,
  runsModule,
  serviceApiModule,
  openAiApiModule,
  marketplaceModule,
] as readonly AnyModule[];

export interface KernelOptions extends KernelModuleOptions {
  config: Config;
  logger?: Logger;
  /** Serve HTTP (API processes) or not (`tessera worker`). */
  http?: boolean;
  /** Apply pending migrations at start (default true; `tessera migrate` turns it off). */
  migrate?: boolean;
  /** Tests: copy this PGlite template instead of the build-time one. */
  pgliteTemplateDir?: string;
  /** Tests on a shared PostgreSQL: isolate by schema. */
  databaseSchema?: string;
  /** Process queued jobs here (default: `config.runJobs`; `tessera worker` forces it on). */
  runJobs?: boolean;
  /** Tests: another module list (default {@link KERNEL_MODULES}). */
  modules?: readonly AnyModule[];
}

/** The running kernel: its modules' services by reference (`services.ts`), HTTP, and its lifecycle. */
export interface Kernel {
  readonly config: Config;
  readonly logger: Logger;
  readonly http: HttpApp;
  readonly tracker: ConnectionTracker;
  /** The service behind `ref`; throws before its module has started. */
  get<T>(ref: ServiceRef<T>): T;
  /** Set once listening. */
  readonly server: Server | undefined;
  readonly url: string;
  start(): Promise<BootReport>;
  /** Graceful stop: drain HTTP, then stop modules in reverse boot order. */
  stop(): Promise<void>;
  ready(): Promise<Readiness>;
}

export function createKernel(options: KernelOptions): Kernel {
  const { config } = options;
  const modules = options.modules ?? KERNEL_MODULES;
  const logger = options.logger ?? createLogger(config.logLevel);
  const lifecycle = new Lifecycle(config.bootTimeoutMs, (name, error) => logger.error({ err: error, module: name }, 'module failed to stop'));
  const tracker = new ConnectionTracker();
  const http = createHttpApp(logger, tracker, { proxyHops: config.trustProxyHops });
  const registry = new ServiceRegistry();
  let server: Server | undefined;
  let started = false;

  const url = () => {
    const address = server?.address() as AddressInfo | null | undefined;
    return address ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}` : '';
  };
  const ready = () => readiness(registry, started, logger);

  addModules(lifecycle, modules, registry, { config, logger, options, url });
  if (options.http !== false) {
    lifecycle.add({
      name: 'http',
      async start() {
        registerHealthRoutes(http, ready);
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
    });
  }

  return {
    config,
    logger,
    http,
    tracker,
    get: (ref) => registry.get(ref),
    get server() {
      return server;
    },
    get url() {
      return url();
    },
    async start() {
      checkModuleOrder(modules);
      const report = await lifecycle.start();
      started = true;
      return report;
    },
    async stop() {
      started = false;
      await lifecycle.stop();
    },
    ready,
  };
}
