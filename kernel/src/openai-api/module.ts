import { defineModule } from '../boot/module.js';
import { serviceKey } from '../http/auth.js';
import { ApiKeysRef, AppsRef, ConversationsRef, RunsRef } from '../services.js';
import { registerOpenAiRoutes } from './routes.js';

/** The OpenAI-compatible `/v1/chat/completions` and `/v1/models` over the same runs. Routes only. */
export const openAiApiModule = defineModule({
  name: 'openai-api',
  deps: {},
  provides: {},
  start: () => ({}),
  routes: {
    deps: { apps: AppsRef, conversations: ConversationsRef, runs: RunsRef, apiKeys: ApiKeysRef },
    register({ apps, conversations, runs, apiKeys }, { http, tracker, config }) {
      registerOpenAiRoutes(http.service, { apps, conversations, runs, tracker, appKey: serviceKey(apiKeys, 'app'), keyConcurrency: config.apiKeyMaxActiveRequests });
    },
  },
});
