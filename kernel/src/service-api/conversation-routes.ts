import type Router from '@koa/router';
import { objectBody, queryInt, queryString } from '../http/validate.js';
import type { Context, Middleware } from 'koa';
import { InputError, NotFoundError, TesseraError } from '../errors.js';
import { unix } from '../identity/models.js';
import type { Apps } from '../apps/apps.js';
import type { Assistant } from '../chat/assist.js';
import { formFields } from '../apps/config.js';
import { type Conversations, conversationView } from '../conversations/conversations.js';
import type { Files } from '../files/files.js';
import { appGate, ownerOf, publishedOf, runnableOf, userOf } from './gate.js';

export interface ConversationRouteDeps {
  readonly apps: Apps;
  readonly conversations: Conversations;
  readonly files: Files;
  readonly assistant: Assistant;
  readonly appKey: Middleware;
}




const SORTS = ['created_at', '-created_at', 'updated_at', '-updated_at'];

/** `/v1` routes over stored conversations, messages, feedback and files. */
export function registerConversationRoutes(service: Router, deps: ConversationRouteDeps): void {
  const { conversations, files, assistant } = deps;
  const gate = [deps.appKey, appGate(deps.apps)];
  const chatOnly = (ctx: Context) => {
    if (!['chat', 'agent-chat', 'advanced-chat'].includes(runnableOf(ctx).app.mode)) throw new TesseraError(400, 'not_chat_app', 'Please check if your app mode matches the right API route.');
  };

  service.get('/messages', ...gate, async (ctx) => {
    chatOnly(ctx);
    const conversationId = queryString(ctx, 'conversation_id');
    if (!conversationId) throw new InputError('conversation_id is required', 'conversation_id');
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'query', true));
    ctx.body = await conversations.messages(runnableOf(ctx).app.id, owner, conversationId, queryString(ctx, 'first_id'), queryInt(ctx, 'limit', 20, 1, 100));
  });

  service.get('/conversations', ...gate, async (ctx) => {
    chatOnly(ctx);
    const sortBy = queryString(ctx, 'sort_by') ?? '-updated_at';
    if (!SORTS.includes(sortBy)) throw new InputError(`sort_by must be one of ${SORTS.join(', ')}.`, 'sort_by');
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'query', true));
    ctx.body = await conversations.list(runnableOf(ctx).app.id, owner, { lastId: queryString(ctx, 'last_id'), limit: queryInt(ctx, 'limit', 20, 1, 100), sortBy });
  });

  service.delete('/conversations/:id', ...gate, async (ctx) => {
    chatOnly(ctx);
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'body'));
    await conversations.remove(runnableOf(ctx).app.id, owner, ctx.params.id!);
    ctx.status = 204;
  });

  const rename = async (ctx: Context) => {
    chatOnly(ctx);
    const input = objectBody(ctx);
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'body'));
    const appId = runnableOf(ctx).app.id;
    const autoGenerate = input.auto_generate === true;
    let name: string;
    if (autoGenerate) {
      const conversation = await conversations.get(appId, owner, ctx.params.id!);
      const first = (await conversations.messages(appId, owner, conversation.id, undefined, 100)).data[0];
      name = first ? await assistant.conversationName(publishedOf(ctx), first.query) : conversation.name;
    } else {
      if (typeof input.name !== 'string' || input.name.trim() === '') throw new InputError('name is required when auto_generate is false', 'name');
      name = input.name.trim();
    }
    ctx.body = conversationView(await conversations.rename(appId, owner, ctx.params.id!, name));
  };
  service.post('/conversations/:id/name', ...gate, rename);
  service.patch('/conversations/:id', ...gate, rename);

  // Chat apps' conversation variables are the form inputs the conversation was started with.
  service.get('/conversations/:id/variables', ...gate, async (ctx) => {
    chatOnly(ctx);
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'query', true));
    const conversation = await conversations.get(runnableOf(ctx).app.id, owner, ctx.params.id!).catch(() => {
      throw new NotFoundError('Conversation Not Exists.', 'conversation_not_exists');
    });
    const inputs = JSON.parse(conversation.inputs) as Record<string, unknown>;
    const fields = new Map(formFields(runnableOf(ctx).config ?? publishedOf(ctx).config).map((f) => [f.field.variable, f]));
    const wanted = queryString(ctx, 'variable_name');
    const all = Object.entries(inputs)
      .filter(([name]) => !wanted || name === wanted)
      .map(([name, value]) => ({ id: name, name, value_type: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : typeof value === 'object' ? 'object' : 'string', value, description: fields.get(name)?.field.label ?? '', created_at: unix(conversation.created_at), updated_at: unix(conversation.updated_at) }));
    const lastId = queryString(ctx, 'last_id');
    const start = lastId ? all.findIndex((v) => v.id === lastId) + 1 : 0;
    const limit = queryInt(ctx, 'limit', 20, 1, 100);
    ctx.body = { limit, has_more: all.length > start + limit, data: all.slice(start, start + limit) };
  });
  service.put('/conversations/:id/variables/:variable_id', ...gate, async (ctx) => {
    chatOnly(ctx);
    const input = objectBody(ctx);
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'body'));
    const conversation = await conversations.get(runnableOf(ctx).app.id, owner, ctx.params.id!).catch(() => {
      throw new NotFoundError('Conversation Not Exists.', 'conversation_not_exists');
    });
    const inputs = JSON.parse(conversation.inputs) as Record<string, unknown>;
    const name = ctx.params.variable_id!;
    if (!(name in inputs)) throw new NotFoundError('Conversation variable not found.', 'conversation_variable_not_exists');
    if (!('value' in input)) throw new InputError('value is required', 'value');
    const before = inputs[name];
    if (before !== null && before !== undefined && typeof before !== typeof input.value) throw new InputError(`value must be of type ${typeof before}.`, 'value', 'conversation_variable_type_mismatch');
    inputs[name] = input.value;
    await conversations.setInputs(conversation.id, inputs);
    ctx.body = { id: name, name, value_type: typeof input.value, value: input.value, description: '', created_at: unix(conversation.created_at), updated_at: unix(new Date()) };
  });

  service.post('/messages/:message_id/feedbacks', ...gate, async (ctx) => {
    const input = objectBody(ctx);
    const rating = input.rating ?? null;
    if (rating !== null && rating !== 'like' && rating !== 'dislike') throw new InputError('rating must be "like", "dislike" or null.', 'rating');
    if (input.content !== undefined && input.content !== null && typeof input.content !== 'string') throw new InputError('content must be a string.', 'content');
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'body'));
    await conversations.feedback(runnableOf(ctx).app.id, owner, ctx.params.message_id!, rating, (input.content as string | undefined) ?? undefined);
    ctx.body = { result: 'success' };
  });

  service.get('/app/feedbacks', ...gate, async (ctx) => {
    ctx.body = await conversations.appFeedbacks(runnableOf(ctx).app.id, queryInt(ctx, 'page', 1, 1, 99999), queryInt(ctx, 'limit', 20, 1, 100));
  });

  service.get('/messages/:message_id/suggested', ...gate, async (ctx) => {
    chatOnly(ctx);
    const runnable = publishedOf(ctx);
    if (!runnable.config.suggested_questions_after_answer.enabled) throw new TesseraError(400, 'bad_request', 'Suggested Questions Is Disabled.');
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'query', true));
    const message = await conversations.message(runnable.app.id, owner, ctx.params.message_id!);
    ctx.body = { result: 'success', data: await assistant.suggestedQuestions(runnable, message) };
  });

  service.post('/files/upload', deps.appKey, appGate(deps.apps), async (ctx) => {
    const { app } = runnableOf(ctx);
    const upload = await files.receive(ctx);
    const user = userOf(ctx, 'form', false, upload.fields);
    const owner = await ownerOf(ctx, conversations, user);
    ctx.status = 201;
    ctx.body = await files.save(app.workspace_id, app.id, upload.name, upload.bytes, { role: 'end_user', id: owner.id });
  });

  // Only for the end user who uploaded the file (`user`, as in Dify: optional, the anonymous end user by default).
  service.get('/files/:file_id/preview', ...gate, async (ctx) => {
    const { app } = runnableOf(ctx);
    const owner = await ownerOf(ctx, conversations, userOf(ctx, 'query', true));
    const file = await files.get(app, owner, ctx.params.file_id!);
    const attachment = ctx.query.as_attachment === 'true';
    ctx.set('Content-Type', file.mime_type);
    ctx.set('Content-Length', String(file.size));
    ctx.set('Cache-Control', 'private, max-age=300');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (attachment || file.extension === 'svg' || file.extension === 'html' || file.extension === 'htm') ctx.attachment(file.name);
    ctx.body = await files.read(file);
  });
}
