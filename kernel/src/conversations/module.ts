import { defineModule } from '../boot/module.js';
import { AppLogsRef, AppsRef, ConversationsRef, DatabaseRef } from '../services.js';
import { Conversations } from './conversations.js';
import { registerLogRoutes } from './log-routes.js';
import { AppLogs } from './logs.js';

/** End users, conversations, messages and feedback; the console's logs and statistics. */
export const conversationsModule = defineModule({
  name: 'conversations',
  deps: { db: DatabaseRef },
  provides: { conversations: ConversationsRef, logs: AppLogsRef },
  start: ({ db }) => ({ conversations: new Conversations(db.knex), logs: new AppLogs(db.knex) }),
  routes: {
    deps: { apps: AppsRef, logs: AppLogsRef },
    register(services, { http }) {
      registerLogRoutes(http.console, services);
    },
  },
});
