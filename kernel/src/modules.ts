import type { AnyModule } from './boot/module.js';
import { databaseModule, migrationsModule } from './db/module.js';
import { eventsModule } from './events/module.js';
import { jobsModule } from './jobs/module.js';
import { identityModule } from './identity/module.js';
import { appsModule } from './apps/module.js';
import { pluginsModule } from './plugins/module.js';
import { modelsModule } from './models/module.js';
import { conversationsModule } from './conversations/module.js';
import { filesModule } from './files/module.js';
import { annotationsModule } from './annotations/module.js';
import { chatModule } from './chat/module.js';
import { runsModule } from './runs/module.js';
import { serviceApiModule } from './service-api/module.js';
import { openAiApiModule } from './openai-api/module.js';
import { marketplaceModule } from './marketplace/module.js';


/** The kernel's modules in boot order (stop runs in reverse); each names what it needs and provides (`services.ts`). */
export const KERNEL_MODULES: readonly AnyModule[] = [
  databaseModule,
  migrationsModule,
  eventsModule,
  jobsModule,
  identityModule,
  appsModule,
  pluginsModule,
  modelsModule,
  conversationsModule,
  filesModule,
  annotationsModule,
  chatModule,
  runsModule,
  serviceApiModule,
  openAiApiModule,
  marketplaceModule,
] as readonly AnyModule[];
