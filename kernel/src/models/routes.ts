import type Router from '@koa/router';
import { authOf } from '../http/auth.js';
import type { Context, Middleware } from 'koa';
import { MODEL_TYPES, type ChatMessage, type ChatParams, type ModelDescriptor, type ModelType } from '@tessera/sdk';
import { InputError, NotFoundError } from '../errors.js';
import { openSse } from '../http/sse.js';
import type { ConnectionTracker } from '../http/connections.js';
import type { ApiCaller } from '../identity/api-keys.js';
import type { ModelService } from './model-service.js';

export interface ModelRouteDeps {
  service: ModelService;
  tracker: ConnectionTracker;
  /** Service API auth: an app or dataset key. */
  anyKey: Middleware;
}

const i18n = (text: string) => ({ en_US: text, zh_Hans: text });


function modelType(value: unknown): ModelType {
  if (!MODEL_TYPES.includes(value as ModelType)) throw new InputError(`model_type must be one of ${MODEL_TYPES.join(', ')}.`, 'model_type');
  return value as ModelType;
}

function object(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Dify's model entry shape. */
function modelView(m: ModelDescriptor) {
  return {
    model: m.model,
    label: i18n(m.label),
    model_type: m.model_type,
    features: m.features ?? [],
    fetch_from: 'predefined-model',
    model_properties: { mode: m.model_properties.mode ?? (m.model_type === 'llm' ? 'chat' : undefined), context_size: m.model_properties.context_size, ...(m.model_properties.max_output_tokens ? { max_output_tokens: m.model_properties.max_output_tokens } : {}), ...(m.model_properties.dimensions ? { dimensions: m.model_properties.dimensions } : {}) },
    deprecated: m.deprecated ?? false,
    status: 'active',
    load_balancing_enabled: false,
    ...(m.pricing ? { pricing: m.pricing } : {}),
  };
}

/** Console routes for model providers and models, and the Service API's model-types route. */
export function registerModelRoutes(consoleRouter: Router, serviceRouter: Router, deps: ModelRouteDeps): void {
  const { service } = deps;
  const base = '/workspaces/current';

  consoleRouter.get(`${base}/model-providers`, async (ctx) => {
    ctx.body = { data: await service.providers(authOf(ctx).workspaceId) };
  });
  consoleRouter.get(`${base}/model-providers/:provider/credentials`, async (ctx) => {
    ctx.body = { data: await service.listCredentials(authOf(ctx).workspaceId, ctx.params.provider!) };
  });
  consoleRouter.post(`${base}/model-providers/:provider/credentials`, async (ctx) => {
    const body = object(ctx);
    if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 255)) throw new InputError('name must be a string of at most 255 characters.', 'name');
    ctx.status = 201;
    ctx.body = await service.addCredentials(authOf(ctx).workspaceId, ctx.params.provider!, body.credentials, (body.name as string | undefined) ?? 'Default', authOf(ctx).accountId);
  });
  consoleRouter.post(`${base}/model-providers/:provider/credentials/validate`, async (ctx) => {
    try {
      await service.validateCredentials(authOf(ctx).workspaceId, ctx.params.provider!, object(ctx).credentials);
      ctx.body = { result: 'success' };
    } catch (error) {
      if ((error as { status?: number }).status === 400) ctx.body = { result: 'error', error: (error as Error).message };
      else throw error;
    }
  });
  consoleRouter.delete(`${base}/model-providers/:provider/credentials/:id`, async (ctx) => {
    await service.removeCredentials(authOf(ctx).workspaceId, ctx.params.provider!, ctx.params.id!);
    ctx.status = 204;
  });

  const byType = async (workspaceId: string, type: ModelType) => ({
    data: (await service.modelsByType(workspaceId, type)).map((p) => ({
      provider: p.provider,
      label: i18n(p.label),
      icon_small: null,
      icon_large: null,
      status: 'active',
      models: p.models.map(modelView),
    })),
  });
  consoleRouter.get(`${base}/models/model-types/:type`, async (ctx) => {
    ctx.body = await byType(authOf(ctx).workspaceId, modelType(ctx.params.type));
  });
  serviceRouter.get(`${base}/models/model-types/:type`, deps.anyKey, async (ctx) => {
    ctx.body = await byType((ctx.state.caller as ApiCaller).workspaceId, modelType(ctx.params.type));
  });

  consoleRouter.get(`${base}/default-model`, async (ctx) => {
    const found = await service.defaultModel(authOf(ctx).workspaceId, modelType(ctx.query.model_type));
    ctx.body = { data: found ? { model: found.model, model_type: found.modelType, provider: { provider: found.provider, label: i18n(found.provider) } } : null };
  });
  consoleRouter.post(`${base}/default-model`, async (ctx) => {
    const settings = object(ctx).model_settings;
    if (!Array.isArray(settings)) throw new InputError('model_settings must be a list of {model_type, provider, model}.', 'model_settings');
    for (const [i, s] of settings.entries()) {
      const entry = s as Record<string, unknown>;
      if (typeof entry?.provider !== 'string' || typeof entry.model !== 'string') throw new InputError(`model_settings[${i}] needs provider and model.`, `model_settings[${i}]`);
      await service.setDefaultModel(authOf(ctx).workspaceId, modelType(entry.model_type), entry.provider, entry.model);
    }
    ctx.body = { result: 'success' };
  });

  consoleRouter.get(`${base}/models/usage`, async (ctx) => {
    const to = ctx.query.to ? new Date(`${String(ctx.query.to)}T00:00:00Z`) : new Date(Date.now() + 86_400_000);
    const from = ctx.query.from ? new Date(`${String(ctx.query.from)}T00:00:00Z`) : new Date(to.getTime() - 31 * 86_400_000);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new InputError('from and to must be dates like 2026-11-25.', Number.isNaN(from.getTime()) ? 'from' : 'to');
    ctx.body = { data: await service.usagePerDay(authOf(ctx).workspaceId, from, to) };
  });

  // The console's model playground: one chat through the facade, streamed as SSE or answered as JSON.
  consoleRouter.post(`${base}/models/chat`, async (ctx) => {
    const body = object(ctx);
    if (typeof body.model !== 'string' || !body.model) throw new InputError('model is required.', 'model');
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InputError('messages must be a non-empty list.', 'messages');
    const provider = typeof body.provider === 'string' && body.provider ? body.provider : (await service.defaultModel(authOf(ctx).workspaceId, 'llm'))?.provider;
    if (!provider) throw new NotFoundError('No provider given and no default LLM set.', 'provider_not_configured');
    const { provider: _p, stream, ...rest } = body;
    const params = { ...rest, model: body.model, messages: body.messages as ChatMessage[] } as ChatParams;
    if (stream === false) {
      const controller = new AbortController();
      ctx.res.once('close', () => controller.abort());
      ctx.body = await service.complete(authOf(ctx).workspaceId, provider, params, controller.signal);
      return;
    }
    const sse = openSse(ctx, deps.tracker);
    void (async () => {
      try {
        for await (const chunk of service.runtime.chat(authOf(ctx).workspaceId, provider, params, { signal: sse.signal })) sse.send({ event: 'chunk', ...chunk });
        sse.send({ event: 'done' });
      } catch (error) {
        const e = error as { code?: string; message?: string; status?: number };
        sse.send({ event: 'error', code: e.code ?? 'internal_server_error', message: e.message ?? 'error', status: e.status ?? 500 });
      } finally {
        sse.close();
      }
    })();
  });
}
