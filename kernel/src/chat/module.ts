import { defineModule } from '../boot/module.js';
import { AnnotationsRef, AssistantRef, ChatRunnerRef, ContributionsRef, ConversationsRef, DatabaseRef, FilesRef, ModelRuntimeRef, PluginServiceRef } from '../services.js';
import { runAgent } from './agent.js';
import { Assistant } from './assist.js';
import { Generator } from './generate.js';

/** The runner of chat, completion and agent apps, and conversation naming. */
export const chatModule = defineModule({
  name: 'chat',
  deps: { db: DatabaseRef, runtime: ModelRuntimeRef, contributions: ContributionsRef, plugins: PluginServiceRef, conversations: ConversationsRef, files: FilesRef, annotations: AnnotationsRef },
  provides: { runner: ChatRunnerRef, assistant: AssistantRef },
  start({ db, runtime, contributions, plugins, conversations, files, annotations }, { config, logger }) {
    const log = logger.child({ module: 'apps' });
    const assistant = new Assistant(runtime, db.knex, log);
    const runner = new Generator({
      runtime,
      contributions,
      plugins,
      logger: log,
      moderationDefault: config.moderationDefaultModel,
      conversations,
      files,
      agent: runAgent,
      hooks: { nameConversation: (runnable, id, query) => assistant.nameInBackground(runnable, id, query), annotationReply: (runnable, query) => annotations.reply(runnable, query) },
    });
    return { runner, assistant };
  },
  stop: ({ assistant }) => assistant.drain(),
});
