import type Router from '@koa/router';
import { objectBody, queryInt, queryString } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import type { Context, Middleware } from 'koa';
import { InputError, NotFoundError } from '../errors.js';
import type { Annotations, ReplyAction, ReplySettings } from './annotations.js';
import type { Apps } from '../apps/apps.js';
import { appGate, runnableOf } from '../service-api/gate.js';

export interface AnnotationRouteDeps {
  readonly apps: Apps;
  readonly annotations: Annotations;
  /** Resolves the app key onto `ctx.state.caller`. */
  readonly appKey: Middleware;
}

const QUESTION_MAX = 10_000;
const ANSWER_MAX = 100_000;



function text(input: Record<string, unknown>, name: 'question' | 'answer', required: boolean): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) {
    if (required) throw new InputError(`${name} is required.`, name);
    return undefined;
  }
  const max = name === 'question' ? QUESTION_MAX : ANSWER_MAX;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw new InputError(`${name} must be a non-empty string of at most ${max} characters.`, name);
  return value;
}

function listOptions(ctx: Context) {
  const keyword = queryString(ctx, 'keyword');
  return { page: queryInt(ctx, 'page', 1, 1, 99999), limit: queryInt(ctx, 'limit', 20, 1, 100), keyword: keyword?.slice(0, 255) };
}

function actionOf(ctx: Context): ReplyAction {
  const action = ctx.params.action;
  if (action !== 'enable' && action !== 'disable') throw new NotFoundError('Unknown annotation reply action: use enable or disable.', 'not_found');
  return action;
}

function replySettings(input: Record<string, unknown>, action: ReplyAction): ReplySettings {
  if (action === 'disable') return {};
  const settings: ReplySettings = {};
  if (input.score_threshold !== undefined && input.score_threshold !== null) {
    const threshold = Number(input.score_threshold);
    if (typeof input.score_threshold === 'boolean' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new InputError('score_threshold must be a number from 0 to 1.', 'score_threshold');
    settings.score_threshold = threshold;
  }
  const provider = input.embedding_provider_name;
  const model = input.embedding_model_name;
  if ((provider !== undefined && provider !== null && provider !== '') || (model !== undefined && model !== null && model !== '')) {
    if (typeof provider !== 'string' || provider === '' || provider.length > 255) throw new InputError('embedding_provider_name must name a model provider.', 'embedding_provider_name');
    if (typeof model !== 'string' || model === '' || model.length > 255) throw new InputError('embedding_model_name must name an embedding model.', 'embedding_model_name');
    settings.embedding_provider_name = provider;
    settings.embedding_model_name = model;
  }
  return settings;
}

/**
 * Annotations of an app, in the console (`/console/api/apps/{id}/annotations…`,
 * `…/annotation-reply/{action}`) and in the Service API with the app key
 * (`/v1/apps/annotations…`, `/v1/apps/annotation-reply/{action}`), as Dify has them.
 */
export function registerAnnotationRoutes(console: Router, service: Router, deps: AnnotationRouteDeps): void {
  const { apps, annotations } = deps;
  const appOf = (ctx: Context) => apps.get(authOf(ctx).workspaceId, ctx.params.app_id!);

  console.get('/apps/:app_id/annotations', async (ctx) => {
    const app = await appOf(ctx);
    ctx.body = await annotations.list(app.id, listOptions(ctx));
  });
  console.post('/apps/:app_id/annotations', async (ctx) => {
    const app = await appOf(ctx);
    const input = objectBody(ctx);
    ctx.status = 201;
    ctx.body = await annotations.create(app, { question: text(input, 'question', true)!, answer: text(input, 'answer', true)! }, authOf(ctx).accountId);
  });
  console.put('/apps/:app_id/annotations/:annotation_id', async (ctx) => {
    const app = await appOf(ctx);
    const input = objectBody(ctx);
    ctx.body = await annotations.update(app, ctx.params.annotation_id!, { question: text(input, 'question', false), answer: text(input, 'answer', false) });
  });
  console.delete('/apps/:app_id/annotations/:annotation_id', async (ctx) => {
    const app = await appOf(ctx);
    await annotations.remove(app, ctx.params.annotation_id!);
    ctx.status = 204;
  });
  console.get('/apps/:app_id/annotation-setting', async (ctx) => {
    ctx.body = await annotations.settings(await appOf(ctx));
  });
  console.post('/apps/:app_id/annotation-reply/:action', async (ctx) => {
    const app = await appOf(ctx);
    const action = actionOf(ctx);
    const job = await annotations.setReply(app.workspace_id, app.id, action, replySettings(objectBody(ctx), action), authOf(ctx).accountId);
    ctx.body = { job_id: job.job_id, job_status: job.job_status };
  });
  console.get('/apps/:app_id/annotation-reply/:action/status/:job_id', async (ctx) => {
    const app = await appOf(ctx);
    ctx.body = await annotations.job(app.id, actionOf(ctx), ctx.params.job_id!);
  });

  const gate = [deps.appKey, appGate(apps)];
  service.get('/apps/annotations', ...gate, async (ctx) => {
    ctx.body = await annotations.list(runnableOf(ctx).app.id, listOptions(ctx));
  });
  service.post('/apps/annotations', ...gate, async (ctx) => {
    const input = objectBody(ctx);
    ctx.status = 201;
    ctx.body = await annotations.create(runnableOf(ctx).app, { question: text(input, 'question', true)!, answer: text(input, 'answer', true)! }, null);
  });
  service.put('/apps/annotations/:annotation_id', ...gate, async (ctx) => {
    const input = objectBody(ctx);
    ctx.body = await annotations.update(runnableOf(ctx).app, ctx.params.annotation_id!, { question: text(input, 'question', false), answer: text(input, 'answer', false) });
  });
  service.delete('/apps/annotations/:annotation_id', ...gate, async (ctx) => {
    await annotations.remove(runnableOf(ctx).app, ctx.params.annotation_id!);
    ctx.status = 204;
  });
  service.post('/apps/annotation-reply/:action', ...gate, async (ctx) => {
    const { app } = runnableOf(ctx);
    const action = actionOf(ctx);
    const job = await annotations.setReply(app.workspace_id, app.id, action, replySettings(objectBody(ctx), action), null);
    ctx.body = { job_id: job.job_id, job_status: job.job_status };
  });
  service.get('/apps/annotation-reply/:action/status/:job_id', ...gate, async (ctx) => {
    ctx.body = await annotations.job(runnableOf(ctx).app.id, actionOf(ctx), ctx.params.job_id!);
  });
}
