import { defineModule } from '../boot/module.js';
import { ApiKeysRef, AppsRef, DatabaseRef, EventBusRef, RunsRef } from '../services.js';
import { Apps } from './apps.js';
import { PendingImports } from './dsl/pending-imports.js';
import { registerDslRoutes } from './dsl/routes.js';
import { registerAppRoutes } from './routes.js';

/** App rows, draft and published configs, the console's app routes, DSL import and export. */
export const appsModule = defineModule({
  name: 'apps',
  deps: { db: DatabaseRef, events: EventBusRef },
  provides: { apps: AppsRef },
  start: ({ db, events }) => ({ apps: new Apps(db.knex, events) }),
  routes: {
    deps: { apps: AppsRef, apiKeys: ApiKeysRef, runs: RunsRef, db: DatabaseRef },
    register({ apps, apiKeys, runs, db }, { http, tracker }) {
      registerAppRoutes(http.console, { apps, apiKeys, runs, tracker });
      registerDslRoutes(http.console, { apps, pending: new PendingImports(db.knex) });
    },
  },
});
