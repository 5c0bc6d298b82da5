import type { Config } from './boot/config.js';
import { addModules, checkModuleOrder } from './boot/compose.js';
import { readiness, type Readiness } from './boot/health.js';
import { Lifecycle, type BootReport } from './boot/lifecycle.js';
import { type AnyModule, type KernelModuleOptions, type ServiceRef, ServiceRegistry } from './boot/module.js';
import type { Server } from 'node:http';
import { createHttpApp, type HttpApp } from './http/app.js';
import { httpServer } from './http/serve.js';
import { ConnectionTracker } from './http/connections.js';
import { createLogger, type Logger } from './logger.js';
import { KERNEL_MODULES } from './modules.js';

export { KERNEL_MODULES };

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
  let started = false;

  const url = () => serving?.url() ?? '';
  const ready = () => readiness(registry, started, logger);

  addModules(lifecycle, modules, registry, { config, logger, options, url });
  const serving = options.http !== false ? httpServer({ http, tracker, config, logger, modules, registry, ready }) : undefined;
  if (serving) lifecycle.add(serving);

  return {
    config,
    logger,
    http,
    tracker,
    get: (ref) => registry.get(ref),
    get server() {
      return serving?.server;
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
