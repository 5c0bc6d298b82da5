import { defineModule } from '../boot/module.js';
import { serviceKey } from '../http/auth.js';
import { AnnotationsRef, ApiKeysRef, AppsRef, DatabaseRef, EventBusRef, ModelRuntimeRef, ModelServiceRef } from '../services.js';
import { Annotations } from './annotations.js';
import { registerAnnotationRoutes } from './routes.js';

/** Annotations of apps (console and Service API) and annotation reply. */
export const annotationsModule = defineModule({
  name: 'annotations',
  deps: { db: DatabaseRef, apps: AppsRef, runtime: ModelRuntimeRef, defaults: ModelServiceRef, events: EventBusRef },
  provides: { annotations: AnnotationsRef },
  start: ({ db, apps, runtime, defaults, events }, { config, logger }) => ({ annotations: new Annotations({ knex: db.knex, apps, runtime, defaults, events, logger: logger.child({ module: 'apps' }), fallbackEmbedding: config.embeddingFallbackModel }) }),
  routes: {
    deps: { apps: AppsRef, annotations: AnnotationsRef, apiKeys: ApiKeysRef },
    register({ apps, annotations, apiKeys }, { http }) {
      registerAnnotationRoutes(http.console, http.service, { apps, annotations, appKey: serviceKey(apiKeys, 'app') });
    },
  },
});
