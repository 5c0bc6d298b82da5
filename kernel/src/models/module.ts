import { defineModule } from '../boot/module.js';
import { serviceKey } from '../http/auth.js';
import { SecretBox } from '../security/secret-box.js';
import { ApiKeysRef, ContributionsRef, DatabaseRef, ModelInvokerRef, ModelRuntimeRef, ModelServiceRef, PluginServiceRef } from '../services.js';
import { CredentialStore } from './credentials.js';
import { ModelRuntime } from './model-runtime.js';
import { ModelService } from './model-service.js';
import { ProviderRegistry } from './providers.js';
import { registerModelRoutes } from './routes.js';

/** The model runtime over provider plugins, and the console's model settings. */
export const modelsModule = defineModule({
  name: 'models',
  deps: { db: DatabaseRef, contributions: ContributionsRef, plugins: PluginServiceRef },
  provides: { modelRuntime: ModelRuntimeRef, modelService: ModelServiceRef, modelInvoker: ModelInvokerRef },
  start({ db, contributions, plugins }, { config, logger }) {
    const registry = new ProviderRegistry(contributions);
    const credentials = new CredentialStore(db.knex, new SecretBox(config.secretKey, 'provider-credentials'));
    const log = logger.child({ module: 'models' });
    const modelRuntime = new ModelRuntime({ knex: db.knex, providers: registry, credentials, plugins, contributions, logger: log });
    return { modelRuntime, modelService: new ModelService(db.knex, registry, credentials, modelRuntime, log), modelInvoker: modelRuntime };
  },
  stop: ({ modelRuntime }) => modelRuntime.usage.flush(),
  routes: {
    deps: { service: ModelServiceRef, apiKeys: ApiKeysRef },
    register({ service, apiKeys }, { http, tracker }) {
      registerModelRoutes(http.console, http.service, { service, tracker, anyKey: serviceKey(apiKeys, 'any') });
    },
  },
});
