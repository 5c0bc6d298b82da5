import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Config } from './boot/config.js';
import { Lifecycle, type BootReport } from './boot/lifecycle.js';
import { migrateUp, migrationStatus, openDatabase, type Database } from './db/database.js';
import { createHttpApp, type HttpApp } from './http/app.js';
import { serveConsole } from './http/console-static.js';
import { consoleSession, serviceKey } from './http/auth.js';
import { applyRoutePolicy } from './http/route-policy.js';
import { ConnectionTracker } from './http/connections.js';
import { Accounts } from './identity/accounts.js';
import { ApiKeys } from './identity/api-keys.js';
import { bindModels, type Models } from './identity/models.js';
import { registerIdentityRoutes } from './identity/routes.js';
import { Sessions } from './identity/sessions.js';
import { createMailer, type Mailer } from './identity/mailer.js';
import { createThrottle, type Throttle } from './identity/throttle.js';
import { PasswordResets } from './identity/password-resets.js';
import { registerPasswordResetRoutes } from './identity/password-reset-routes.js';
import { Workspaces } from './identity/workspaces.js';
import { InstallSettings } from './identity/install.js';
import { registerInstallRoutes } from './identity/install-routes.js';
import { Apps } from './apps/apps.js';
import { registerAppRoutes } from './apps/routes.js';
import { registerDslRoutes } from './apps/dsl/routes.js';
import { PendingImports } from './apps/dsl/pending-imports.js';
import { Assistant } from './chat/assist.js';
import { registerConversationRoutes } from './service-api/conversation-routes.js';
import { Annotations } from './annotations/annotations.js';
import { registerAnnotationRoutes } from './annotations/routes.js';
import { AppLogs } from './conversations/logs.js';
import { registerLogRoutes } from './conversations/log-routes.js';
import { registerOpenAiRoutes } from './openai-api/routes.js';
import { Conversations } from './conversations/conversations.js';
import { Files } from './files/files.js';
import { runAgent } from './chat/agent.js';
import { Generator } from './chat/generate.js';
import { MemoryLimiter, RedisLimiter, type Limiter } from './service-api/limits.js';
import { registerServiceRoutes } from './service-api/routes.js';
import { Tasks } from './runs/tasks.js';
import { Runners } from './runs/runner.js';
import { createLogger, type Logger } from './logger.js';
import { PackageStore } from './plugins/package-store.js';
import { PluginHost } from './plugins/plugin-host.js';
import { PluginService } from './plugins/plugin-service.js';
import { registerPluginRoutes } from './plugins/routes.js';
import { SecretBox } from './security/secret-box.js';
import { CredentialStore } from './models/credentials.js';
import { ModelRuntime } from './models/model-runtime.js';
import { ModelService } from './models/model-service.js';
import { ProviderRegistry } from './models/providers.js';
import { registerModelRoutes } from './models/routes.js';
import { startMarketplace, type Marketplace } from './marketplace/marketplace.js';
import { Catalog } from './marketplace/catalog.js';
import { registerMarketplaceRoutes } from './marketplace/routes.js';
import { TrustedPublishers } from './marketplace/publishers.js';
import { MemoryBus, type EventBus } from './events/bus.js';
import { MemoryQueue } from './jobs/memory-queue.js';
import type { Queue } from './jobs/queue.js';

export interface KernelOptions {
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
}

/** The running kernel: every core service, reachable by name (the composition root). */
export interface Kernel {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly models: Models;
  readonly http: HttpApp;
  readonly tracker: ConnectionTracker;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  /** Outgoing mail (SMTP when configured; `configured` false otherwise). */
  readonly mailer: Mailer;
  /** Brute-force limits of login, activation and password reset (Redis-backed when REDIS_URL is set). */
  readonly throttle: Throttle;
  /** Password reset by email code. */
  readonly passwordResets: PasswordResets;
  readonly workspaces: Workspaces;
  /** The install level: system settings and install admins (issue #13). */
  readonly install: InstallSettings;
  readonly apiKeys: ApiKeys;
  readonly apps: Apps;
  /** End users, conversations, messages and feedback. */
  readonly conversations: Conversations;
  /** Runs chat and completion messages of apps. */
  readonly generator: Generator;
  /** Running generations, stoppable from any process. */
  readonly tasks: Tasks;
  /** Uploaded files (`DATA_DIR/files`). */
  readonly files: Files;
  /** Service API concurrency and rate limits. */
  readonly limiter: Limiter;
  /** Conversation names and suggested questions. */
  readonly assistant: Assistant;
  /** Annotations of apps and annotation reply. */
  readonly annotations: Annotations;
  /** Installed plugin packages (files and manifests). */
  readonly packages: PackageStore;
  /** Plugins per workspace: enable, grants, versions, credentials. */
  readonly plugins: PluginService;
  /** Runs plugin code (isolates) for core services. */
  readonly pluginHost: PluginHost;
  /** Model providers for the console: credentials, models by type, defaults, usage. */
  readonly modelService: ModelService;
  /** The model runtime facade: every chat, embedding and rerank call. */
  readonly modelRuntime: ModelRuntime;
  /** The plugin registry (embedded Verdaccio child, external, or off). */
  readonly marketplace: Marketplace;
  /** Browse and install from the marketplace. */
  readonly catalog: Catalog;
  /** Publisher keys this install trusts. */
  readonly publishers: TrustedPublishers;
  /** Cross-process typed events (Redis pub/sub when REDIS_URL is set). */
  readonly events: EventBus;
  /** Background jobs (bee-queue on Redis when REDIS_URL is set, else in-process). */
  readonly queue: Queue;
  /** Set once listening. */
  readonly server: Server | undefined;
  readonly url: string;
  start(): Promise<BootReport>;
  /** Graceful stop: drain HTTP, then close modules in reverse boot order. */
  stop(): Promise<void>;
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export function createKernel(options: KernelOptions): Kernel {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const lifecycle = new Lifecycle(config.bootTimeoutMs, (name, error) => logger.error({ err: error, module: name }, 'module failed to stop'));
  const tracker = new ConnectionTracker();
  const http = createHttpApp(logger, tracker, { proxyHops: config.trustProxyHops });
  let server: Server | undefined;
  let started = false;

  // Services are created in `start()` once the database is open; the object below exposes them.
  const kernel = {
    config,
    logger,
    http,
    tracker,
    get server() {
      return server;
    },
    get url() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}` : '';
    },
  } as unknown as { -readonly [K in keyof Kernel]: Kernel[K] };

  lifecycle.add({
    name: 'database',
    async start() {
      kernel.db = await openDatabase({
        databaseUrl: config.databaseUrl,
        pgliteDir: join(config.dataDir, 'db'),
        ...(options.pgliteTemplateDir ? { templateDir: options.pgliteTemplateDir } : {}),
        ...((options.databaseSchema ?? config.databaseSchema) ? { schema: options.databaseSchema ?? config.databaseSchema } : {}),
      });
      kernel.models = bindModels(kernel.db.knex);
    },
    stop: () => kernel.db.close(),
  });
  lifecycle.add({
    name: 'migrations',
    async start() {
      if (options.migrate === false) return;
      const applied = await migrateUp(kernel.db.knex);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    },
  });
  lifecycle.add({
    name: 'events',
    async start() {
      // Redis clients cost ~40 MB of RSS: loaded only when REDIS_URL asks for them.
      if (!config.redisUrl) kernel.events = new MemoryBus();
      else {
        const { RedisBus } = await import('./events/redis-bus.js');
        kernel.events = await new RedisBus(config.redisUrl, config.redisPrefix).connect();
      }
    },
    stop: () => kernel.events.close(),
  });
  lifecycle.add({
    name: 'jobs',
    async start() {
      kernel.queue = config.redisUrl
        ? new (await import('./jobs/redis-queue.js')).RedisQueue({ url: config.redisUrl, prefix: `${config.redisPrefix}:jobs`, stallIntervalMs: config.jobStallIntervalMs, onError: (err) => logger.error({ err }, 'job queue error') })
        : new MemoryQueue();
      if (options.runJobs ?? config.runJobs) await kernel.queue.process();
    },
    stop: () => kernel.queue.close(config.shutdownTimeoutMs),
  });
  lifecycle.add({
    name: 'identity',
    async start() {
      const { knex } = kernel.db;
      kernel.accounts = new Accounts(knex, kernel.models);
      kernel.mailer = await createMailer(config, logger.child({ module: 'mail' }));
      kernel.throttle = await createThrottle(config.loginThrottle, config.redisUrl ? { url: config.redisUrl, prefix: `${config.redisPrefix}:throttle` } : undefined);
      kernel.sessions = new Sessions(knex, kernel.models, kernel.throttle);
      kernel.passwordResets = new PasswordResets({ knex, models: kernel.models, mailer: kernel.mailer, throttle: kernel.throttle, sessions: kernel.sessions, logger: logger.child({ module: 'identity' }), consoleUrl: config.consoleUrl });
      kernel.install = new InstallSettings(knex);
      // Invitation links go by mail when SMTP is configured; links are absolute on CONSOLE_URL, else this kernel's own URL.
      kernel.workspaces = new Workspaces(knex, kernel.models, { mailer: kernel.mailer, consoleUrl: () => config.consoleUrl ?? kernel.url, checkCreation: (auth) => kernel.install.checkWorkspaceCreation(auth) });
      kernel.apiKeys = new ApiKeys(knex, kernel.models, kernel.events);
      kernel.apps = new Apps(knex, kernel.events);
    },
    async stop() {
      await kernel.passwordResets?.drain();
      await kernel.mailer?.close();
      await kernel.throttle?.close();
    },
  });
  lifecycle.add({
    name: 'plugins',
    async start() {
      const secrets = new SecretBox(config.secretKey, 'plugin-secrets');
      // Every process hears of a new package (its bundle is in the database), so caches of what is installed refresh.
      kernel.packages = new PackageStore(kernel.db.knex, join(config.dataDir, 'plugins'), (pkg) => void kernel.events.publish('plugins.changed', { name: pkg.name, version: pkg.version, action: 'installed' }).catch(() => undefined));
      kernel.plugins = new PluginService(kernel.db.knex, kernel.packages, secrets, kernel.events);
      kernel.pluginHost = new PluginHost({
        knex: kernel.db.knex,
        packages: kernel.packages,
        service: kernel.plugins,
        secrets,
        events: kernel.events,
        logger: logger.child({ module: 'plugins' }),
        memoryLimitMb: config.pluginMemoryLimitMb,
        cpuLimitMs: config.pluginCpuLimitMs,
        callTimeoutMs: config.pluginCallTimeoutMs,
        streamIdleTimeoutMs: config.pluginStreamIdleTimeoutMs,
        streamTimeoutMs: config.pluginStreamTimeoutMs,
        bridgeLimits: config.pluginBridgeLimits,
        isolateHost: config.pluginHost,
        hostProcessMemoryMb: config.pluginHostMemoryMb,
        cacheDir: join(config.dataDir, 'plugin-cache'),
      });
      if (config.bundledPluginsDir) {
        const installed = await kernel.packages.installBundled(config.bundledPluginsDir, (pkg, code) => kernel.pluginHost.verify(pkg, code), (message) => logger.warn(message));
        if (installed.length) logger.info({ installed }, 'bundled plugins installed');
      }
    },
    stop: () => kernel.pluginHost.close(),
  });
  lifecycle.add({
    name: 'models',
    start() {
      const registry = new ProviderRegistry(kernel.packages);
      const credentials = new CredentialStore(kernel.db.knex, new SecretBox(config.secretKey, 'provider-credentials'));
      const log = logger.child({ module: 'models' });
      kernel.modelRuntime = new ModelRuntime({ knex: kernel.db.knex, providers: registry, credentials, plugins: kernel.plugins, host: kernel.pluginHost, logger: log });
      kernel.modelService = new ModelService(kernel.db.knex, registry, credentials, kernel.modelRuntime, log);
      kernel.events.on('plugins.changed', () => registry.invalidate());
      kernel.pluginHost.setModelInvoker(kernel.modelRuntime);
    },
    stop: () => kernel.modelRuntime.usage.flush(),
  });
  lifecycle.add({
    name: 'apps',
    async start() {
      const { knex } = kernel.db;
      const log = logger.child({ module: 'apps' });
      kernel.conversations = new Conversations(knex);
      kernel.files = new Files(knex, join(config.dataDir, 'files'), { fileSizeMb: config.uploadFileSizeLimitMb, imageSizeMb: config.uploadImageSizeLimitMb });
      kernel.tasks = new Tasks(kernel.events);
      kernel.limiter = config.redisUrl ? await RedisLimiter.connect(config.redisUrl, `${config.redisPrefix}:limits`) : new MemoryLimiter();
      kernel.assistant = new Assistant(kernel.modelRuntime, knex, log);
      kernel.annotations = new Annotations({ knex, apps: kernel.apps, runtime: kernel.modelRuntime, defaults: kernel.modelService, events: kernel.events, logger: log });
      kernel.generator = new Generator({
        runtime: kernel.modelRuntime,
        host: kernel.pluginHost,
        plugins: kernel.plugins,
        logger: log,
        conversations: kernel.conversations,
        files: kernel.files,
        agent: runAgent,
        hooks: { nameConversation: (runnable, id, query) => kernel.assistant.nameInBackground(runnable, id, query), annotationReply: (runnable, query) => kernel.annotations.reply(runnable, query) },
      });
    },
    async stop() {
      await kernel.assistant.drain();
      await kernel.limiter.close();
    },
  });
  lifecycle.add({
    name: 'marketplace',
    // The embedded registry comes up in the background; only API processes run one.
    start() {
      const publishers = new TrustedPublishers(kernel.db.knex);
      kernel.publishers = publishers;
      kernel.marketplace = startMarketplace(options.http === false && config.marketplaceMode === 'embedded' ? { ...config, marketplaceMode: 'off' } : config, logger.child({ module: 'marketplace' }), (key, name) => publishers.add(key, name, null, true));
      kernel.catalog = new Catalog(kernel.marketplace, kernel.packages, kernel.plugins, kernel.pluginHost, join(config.dataDir, 'plugin-cache'), publishers);
    },
    stop: () => kernel.marketplace.stop(),
  });
  if (options.http !== false) {
    lifecycle.add({
      name: 'http',
      async start() {
        registerHealthRoutes(kernel as Kernel);
        registerIdentityRoutes(http.console, { accounts: kernel.accounts, sessions: kernel.sessions, workspaces: kernel.workspaces, apiKeys: kernel.apiKeys, throttle: kernel.throttle });
        registerPasswordResetRoutes(http.console, { resets: kernel.passwordResets });
        registerInstallRoutes(http.console, { install: kernel.install });
        const appKey = serviceKey(kernel.apiKeys, 'app');
        const runs = { runners: new Runners([kernel.generator]), tasks: kernel.tasks, limiter: kernel.limiter };
        registerAppRoutes(http.console, { apps: kernel.apps, apiKeys: kernel.apiKeys, runs, tracker });
        registerDslRoutes(http.console, { apps: kernel.apps, pending: new PendingImports(kernel.db.knex) });
        registerLogRoutes(http.console, { apps: kernel.apps, logs: new AppLogs(kernel.db.knex) });
        registerAnnotationRoutes(http.console, http.service, { apps: kernel.apps, annotations: kernel.annotations, appKey });
        registerServiceRoutes(http.service, { apps: kernel.apps, conversations: kernel.conversations, runs, files: kernel.files, tracker, appKey, keyConcurrency: config.apiKeyMaxActiveRequests });
        registerConversationRoutes(http.service, { apps: kernel.apps, conversations: kernel.conversations, files: kernel.files, assistant: kernel.assistant, appKey });
        registerOpenAiRoutes(http.service, { apps: kernel.apps, conversations: kernel.conversations, runs, tracker, appKey, keyConcurrency: config.apiKeyMaxActiveRequests });
        registerPluginRoutes(http.console, { packages: kernel.packages, service: kernel.plugins, host: kernel.pluginHost, publishers: kernel.publishers });
        registerMarketplaceRoutes(http.console, { catalog: kernel.catalog, publishers: kernel.publishers, marketplace: kernel.marketplace });
        registerModelRoutes(http.console, http.service, { service: kernel.modelService, tracker, anyKey: serviceKey(kernel.apiKeys, 'any') });
        // Every console route's authority comes from the one table (issue #13).
        applyRoutePolicy(http.console, '/console/api', consoleSession(kernel.sessions));
        http.mount();
        http.koa.use(serveConsole()); // the console at `/`, after every API route (issue #7)
        server = createServer({ keepAliveTimeout: 65_000 }, http.koa.callback());
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject);
          server!.listen(config.port, config.host, () => {
            server!.off('error', reject);
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

  kernel.start = async () => {
    const report = await lifecycle.start();
    started = true;
    return report;
  };
  kernel.stop = async () => {
    started = false;
    await lifecycle.stop();
  };
  kernel.ready = async () => {
    const checks: Record<string, string> = {};
    let ok = started;
    checks.boot = started ? 'ok' : 'starting';
    try {
      await kernel.db.knex.raw('select 1');
      checks.database = 'ok';
      const status = await migrationStatus(kernel.db.knex);
      checks.migrations = status.pending.length === 0 ? 'ok' : `pending: ${status.pending.join(', ')}`;
      ok &&= status.pending.length === 0;
    } catch (error) {
      ok = false;
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    for (const [name, service] of [['events', kernel.events], ['jobs', kernel.queue]] as const) {
      if (!service) continue;
      const health = await service.health();
      checks[name] = health.ok ? `ok (${health.detail})` : health.detail;
      ok &&= health.ok;
    }
    if (kernel.marketplace) checks.marketplace = kernel.marketplace.status();
    if (kernel.pluginHost) {
      try {
        const installed = (await kernel.packages.latest()).length;
        checks.plugins = `ok (${installed} installed, ${kernel.pluginHost.activeIsolates} running)`;
      } catch (error) {
        ok = false;
        checks.plugins = `unavailable: ${(error as Error).message}`;
      }
    } else {
      ok = false;
      checks.plugins = 'not loaded';
    }
    return { ok, checks };
  };
  return kernel as Kernel;
}

function registerHealthRoutes(kernel: Kernel): void {
  kernel.http.root.get('/health', (ctx) => {
    ctx.body = { status: 'ok', pid: process.pid, uptime_s: Math.round(process.uptime()) };
  });
  kernel.http.root.get('/ready', async (ctx) => {
    const { ok, checks } = await kernel.ready();
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not_ready', checks };
  });
}
