import { join } from 'node:path';
import { defineModule } from '../boot/module.js';
import { CatalogRef, DatabaseRef, MarketplaceRef, PackagesRef, PluginHostRef, PluginServiceRef, PublishersRef } from '../services.js';
import { Catalog } from './catalog.js';
import { startMarketplace } from './marketplace.js';
import { TrustedPublishers } from './publishers.js';
import { registerMarketplaceRoutes } from './routes.js';

/** The plugin registry (embedded Verdaccio child, external, or off), trusted publishers, and installs from it. */
export const marketplaceModule = defineModule({
  name: 'marketplace',
  deps: { db: DatabaseRef, packages: PackagesRef, plugins: PluginServiceRef, pluginHost: PluginHostRef },
  provides: { marketplace: MarketplaceRef, catalog: CatalogRef, publishers: PublishersRef },
  // The embedded registry comes up in the background; only API processes run one.
  start({ db, packages, plugins, pluginHost }, { config, options, logger }) {
    const publishers = new TrustedPublishers(db.knex);
    const marketplace = startMarketplace(options.http === false && config.marketplaceMode === 'embedded' ? { ...config, marketplaceMode: 'off' } : config, logger.child({ module: 'marketplace' }), (key, name) => publishers.add(key, name, null, true));
    const catalog = new Catalog(marketplace, packages, plugins, pluginHost, join(config.dataDir, 'plugin-cache'), publishers);
    return { marketplace, catalog, publishers };
  },
  stop: ({ marketplace }) => marketplace.stop(),
  routes: {
    deps: { catalog: CatalogRef, publishers: PublishersRef, marketplace: MarketplaceRef },
    register(services, { http }) {
      registerMarketplaceRoutes(http.console, services);
    },
  },
});
