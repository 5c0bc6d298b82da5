import { defineModule } from '../boot/module.js';
import { AnnotationsRef, AssistantRef, ChatRunnerRef, ConversationsRef, DatabaseRef, FilesRef, ModelRuntimeRef, PluginHostRef, PluginServiceRef } from '../services.js';
import { runAgent } from './agent.js';
import { Assistant } from './assist.js';
import { Generator } from './generate.js';

/** The runner of chat, completion and agent apps, and conversation naming. */
export const chatModule = defineModule({
  name: 'chat',
  deps: { db: DatabaseRef, runtime: ModelRuntimeRef, host: PluginHostRef, plugins: PluginServiceRef, conversations: ConversationsRef, files: FilesRef, annotations: AnnotationsRef },
  provides: { runner: ChatRunnerRef, assistant: AssistantRef },
  start({ db, runtime, host, plugins, conversations, files, annotations }, { logger }) {
    const log = logger.child({ module: 'apps' });
    const assistant = new Assistant(runtime, db.knex, log);
    const runner = new Generator({
      runtime,
      host,
      plugins,
      logger: log,
      conversations,
      files,
      agent: runAgent,
      hooks: { nameConversation: (runnable, id, query) => assistant.nameInBackground(runnable, id, query), annotationReply: (runnable, query) => annotations.reply(runnable, query) },
    });
    return { runner, assistant };
  },
  stop: ({ assistant }) => assistant.drain(),
});
