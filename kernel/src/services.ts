/**
 * The typed references of every kernel service, in the style of `defineJob`:
 * a module names what it needs and what it provides by these, tests and the CLI
 * read a running kernel's services with `kernel.get(ref)`. Type-only imports,
 * so this file is a leaf: modules import it, implementations never do.
 */
import { defineService } from './boot/module.js';
import type { Database } from './db/database.js';
import type { EventBus } from './events/bus.js';
import type { Queue } from './jobs/queue.js';
import type { Accounts } from './identity/accounts.js';
import type { ApiKeys } from './identity/api-keys.js';
import type { InstallSettings } from './identity/install.js';
import type { Mailer } from './identity/mailer.js';
import type { Models } from './identity/models.js';
import type { PasswordResets } from './identity/password-resets.js';
import type { Sessions } from './identity/sessions.js';
import type { Throttle } from './identity/throttle.js';
import type { Workspaces } from './identity/workspaces.js';
import type { Apps } from './apps/apps.js';
import type { PackageStore } from './plugins/package-store.js';
import type { ModelInvoker, PluginHost } from './plugins/plugin-host.js';
import type { Contributions } from './plugins/contributions.js';
import type { PluginService } from './plugins/plugin-service.js';
import type { ModelRuntime } from './models/model-runtime.js';
import type { ModelService } from './models/model-service.js';
import type { Conversations } from './conversations/conversations.js';
import type { AppLogs } from './conversations/logs.js';
import type { Files } from './files/files.js';
import type { Annotations } from './annotations/annotations.js';
import type { Assistant } from './chat/assist.js';
import type { Generator } from './chat/generate.js';
import type { Limiter } from './runs/limits.js';
import type { StartRunDeps } from './runs/start-run.js';
import type { Tasks } from './runs/tasks.js';
import type { Marketplace } from './marketplace/marketplace.js';
import type { Catalog } from './marketplace/catalog.js';
import type { TrustedPublishers } from './marketplace/publishers.js';

// db, events, jobs
export const DatabaseRef = defineService<Database>('database');
/** Cross-process typed events (Redis pub/sub when REDIS_URL is set). */
export const EventBusRef = defineService<EventBus>('events');
/** Background jobs (bee-queue on Redis when REDIS_URL is set, else in-process). */
export const QueueRef = defineService<Queue>('queue');

// identity
export const ModelsRef = defineService<Models>('identity.models');
export const AccountsRef = defineService<Accounts>('accounts');
export const SessionsRef = defineService<Sessions>('sessions');
/** Outgoing mail (SMTP when configured; `configured` false otherwise). */
export const MailerRef = defineService<Mailer>('mailer');
/** Brute-force limits of login, activation and password reset (Redis-backed when REDIS_URL is set). */
export const ThrottleRef = defineService<Throttle>('throttle');
export const PasswordResetsRef = defineService<PasswordResets>('password-resets');
/** The install level: system settings and install admins. */
export const InstallRef = defineService<InstallSettings>('install');
export const WorkspacesRef = defineService<Workspaces>('workspaces');
export const ApiKeysRef = defineService<ApiKeys>('api-keys');

// apps
export const AppsRef = defineService<Apps>('apps');

// plugins
/** Installed plugin packages (files and manifests). */
export const PackagesRef = defineService<PackageStore>('plugins.packages');
/** Plugins per workspace: enable, grants, versions, credentials. */
export const PluginServiceRef = defineService<PluginService>('plugins.service');
/** Runs plugin code (isolates) for core services. */
export const PluginHostRef = defineService<PluginHost>('plugins.host');
/** Every plugin contribution by kind: listed from manifests, resolved once, called through typed proxies. */
export const ContributionsRef = defineService<Contributions>('plugins.contributions');
/** What `ctx.models` of a plugin calls (the model runtime provides it). */
export const ModelInvokerRef = defineService<ModelInvoker>('plugins.model-invoker');

// models
/** The model runtime facade: every chat, embedding and rerank call. */
export const ModelRuntimeRef = defineService<ModelRuntime>('models.runtime');
/** Model providers for the console: credentials, models by type, defaults, usage. */
export const ModelServiceRef = defineService<ModelService>('models.service');

// conversations, files, annotations, chat, runs
/** End users, conversations, messages and feedback. */
export const ConversationsRef = defineService<Conversations>('conversations');
export const AppLogsRef = defineService<AppLogs>('conversations.logs');
/** Uploaded files (`DATA_DIR/files`). */
export const FilesRef = defineService<Files>('files');
/** Annotations of apps and annotation reply. */
export const AnnotationsRef = defineService<Annotations>('annotations');
/** Conversation names and suggested questions. */
export const AssistantRef = defineService<Assistant>('chat.assistant');
/** The runner of chat, completion and agent apps. */
export const ChatRunnerRef = defineService<Generator>('chat.runner');
/** Running tasks, stoppable from any process. */
export const TasksRef = defineService<Tasks>('runs.tasks');
/** Service API concurrency and rate limits. */
export const LimiterRef = defineService<Limiter>('runs.limiter');
/** Runners by mode, tasks and limits: what `startRun` needs. */
export const RunsRef = defineService<StartRunDeps>('runs');

// marketplace
/** The plugin registry (embedded Verdaccio child, external, or off). */
export const MarketplaceRef = defineService<Marketplace>('marketplace');
/** Browse and install from the marketplace. */
export const CatalogRef = defineService<Catalog>('marketplace.catalog');
/** Publisher keys this install trusts. */
export const PublishersRef = defineService<TrustedPublishers>('marketplace.publishers');
