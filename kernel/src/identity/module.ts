import { defineModule } from '../boot/module.js';
import { AccountsRef, ApiKeysRef, DatabaseRef, EventBusRef, InstallRef, MailerRef, ModelsRef, PasswordResetsRef, SessionsRef, ThrottleRef, WorkspacesRef } from '../services.js';
import { Accounts } from './accounts.js';
import { ApiKeys } from './api-keys.js';
import { registerInstallRoutes } from './install-routes.js';
import { InstallSettings } from './install.js';
import { createMailer } from './mailer.js';
import { bindModels } from './models.js';
import { registerPasswordResetRoutes } from './password-reset-routes.js';
import { PasswordResets } from './password-resets.js';
import { registerIdentityRoutes } from './routes.js';
import { Sessions } from './sessions.js';
import { createThrottle } from './throttle.js';
import { Workspaces } from './workspaces.js';

/** Accounts, sessions, workspaces and members, invitations, API keys, the install level. */
export const identityModule = defineModule({
  name: 'identity',
  deps: { db: DatabaseRef, events: EventBusRef },
  provides: { models: ModelsRef, accounts: AccountsRef, sessions: SessionsRef, mailer: MailerRef, throttle: ThrottleRef, passwordResets: PasswordResetsRef, install: InstallRef, workspaces: WorkspacesRef, apiKeys: ApiKeysRef },
  async start({ db, events }, { config, logger, url }) {
    const { knex } = db;
    const models = bindModels(knex);
    const mailer = await createMailer(config, logger.child({ module: 'mail' }));
    const throttle = await createThrottle(config.loginThrottle, config.redisUrl ? { url: config.redisUrl, prefix: `${config.redisPrefix}:throttle` } : undefined);
    const sessions = new Sessions(knex, models, throttle);
    const install = new InstallSettings(knex);
    return {
      models,
      accounts: new Accounts(knex, models),
      sessions,
      mailer,
      throttle,
      passwordResets: new PasswordResets({ knex, models, mailer, throttle, sessions, logger: logger.child({ module: 'identity' }), consoleUrl: config.consoleUrl }),
      install,
      // Invitation links go by mail when SMTP is configured; links are absolute on CONSOLE_URL, else this kernel's own URL.
      workspaces: new Workspaces(knex, models, { mailer, consoleUrl: () => config.consoleUrl ?? url(), checkCreation: (auth) => install.checkWorkspaceCreation(auth) }),
      apiKeys: new ApiKeys(knex, models, events),
    };
  },
  async stop({ passwordResets, mailer, throttle }) {
    await passwordResets.drain();
    await mailer.close();
    await throttle.close();
  },
  routes: {
    deps: { accounts: AccountsRef, sessions: SessionsRef, workspaces: WorkspacesRef, apiKeys: ApiKeysRef, throttle: ThrottleRef, passwordResets: PasswordResetsRef, install: InstallRef },
    register(services, { http }) {
      registerIdentityRoutes(http.console, services);
      registerPasswordResetRoutes(http.console, { resets: services.passwordResets });
      registerInstallRoutes(http.console, { install: services.install });
    },
  },
});
