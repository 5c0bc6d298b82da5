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
  async start({ db }, { logger }) {
    const conversations = new Conversations(db.knex);
    // PGlite's data folder is this process's alone, so whatever it left generating died with it.
    const swept = await conversations.recoverInterrupted({ soleProcess: db.kind === 'pglite', logger });
    if (swept) logger.warn({ messages: swept }, 'messages interrupted by the last stop marked as error');
    return { conversations, logs: new AppLogs(db.knex) };
  },
  stop: ({ conversations }) => conversations.close(),
  routes: {
    deps: { apps: AppsRef, logs: AppLogsRef },
    register(services, { http }) {
      registerLogRoutes(http.console, services);
    },
  },
});
