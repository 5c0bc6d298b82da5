import { defineModule } from '../boot/module.js';
import { serviceKey } from '../http/auth.js';
import { ApiKeysRef, AppsRef, AssistantRef, ConversationsRef, FilesRef, RunsRef } from '../services.js';
import { registerConversationRoutes } from './conversation-routes.js';
import { registerServiceRoutes } from './routes.js';

/** Dify's Service API (`/v1`): messages, conversations, files, parameters. Routes only. */
export const serviceApiModule = defineModule({
  name: 'service-api',
  deps: {},
  provides: {},
  start: () => ({}),
  routes: {
    deps: { apps: AppsRef, conversations: ConversationsRef, runs: RunsRef, files: FilesRef, assistant: AssistantRef, apiKeys: ApiKeysRef },
    register({ apps, conversations, runs, files, assistant, apiKeys }, { http, tracker, config }) {
      const appKey = serviceKey(apiKeys, 'app');
      registerServiceRoutes(http.service, { apps, conversations, runs, files, tracker, appKey, keyConcurrency: config.apiKeyMaxActiveRequests });
      registerConversationRoutes(http.service, { apps, conversations, files, assistant, appKey });
    },
  },
});
