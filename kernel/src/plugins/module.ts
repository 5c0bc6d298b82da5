import { join } from 'node:path';
import { defineModule } from '../boot/module.js';
import { SecretBox } from '../security/secret-box.js';
import { ContributionsRef, DatabaseRef, EventBusRef, ModelInvokerRef, PackagesRef, PluginHostRef, PluginServiceRef, PublishersRef } from '../services.js';
import { Contributions } from './contributions.js';
import { PackageStore } from './package-store.js';
import { PluginHost } from './plugin-host.js';
import { PluginService } from './plugin-service.js';
import { registerPluginRoutes } from './routes.js';

/** Installed packages, plugins per workspace, and the host that runs their code. */
export const pluginsModule = defineModule({
  name: 'plugins',
  deps: { db: DatabaseRef, events: EventBusRef },
  later: { modelInvoker: ModelInvokerRef },
  provides: { packages: PackagesRef, plugins: PluginServiceRef, pluginHost: PluginHostRef, contributions: ContributionsRef },
  async start({ db, events }, { config, logger }, later) {
    const secrets = new SecretBox(config.secretKey, 'plugin-secrets');
    // Every process hears of a new package (its bundle is in the database), so caches of what is installed refresh.
    const packages = new PackageStore(db.knex, join(config.dataDir, 'plugins'), (pkg) => void events.notify('plugins.changed', { name: pkg.name, version: pkg.version, action: 'installed' }));
    const plugins = new PluginService(db.knex, packages, secrets, events);
    const pluginHost = new PluginHost({
      modelInvoker: later.modelInvoker,
      knex: db.knex,
      packages,
      service: plugins,
      secrets,
      events,
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
    try {
      if (config.bundledPluginsDir) {
        const installed = await packages.installBundled(config.bundledPluginsDir, (pkg, code) => pluginHost.verify(pkg, code), (message) => logger.warn(message));
        if (installed.length) logger.info({ installed }, 'bundled plugins installed');
      }
    } catch (error) {
      await pluginHost.close();
      throw error;
    }
    const contributions = new Contributions(packages, pluginHost);
    // Another process's install or upgrade changes what is contributed.
    events.on('plugins.changed', () => contributions.invalidate());
    events.onMissed(() => contributions.invalidate()); // such a change may have been missed (Redis unreachable)
    return { packages, plugins, pluginHost, contributions };
  },
  stop: ({ pluginHost }) => pluginHost.close(),
  routes: {
    deps: { packages: PackagesRef, service: PluginServiceRef, host: PluginHostRef, contributions: ContributionsRef, publishers: PublishersRef },
    register(services, { http }) {
      registerPluginRoutes(http.console, services);
    },
  },
});
