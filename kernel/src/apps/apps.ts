import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { InputError, NotFoundError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { unix } from '../identity/models.js';
import { App } from './app-row.js';
import { type AppConfig, loadConfig, normalizeConfig } from './config.js';

/** App modes, verbatim from Dify. */
export const APP_MODES = ['completion', 'chat', 'agent-chat', 'advanced-chat', 'workflow'] as const;
export type AppMode = (typeof APP_MODES)[number];
/** The modes this release can run; `advanced-chat` and `workflow` come with the workflow engine. */
export const RUNNABLE_MODES = ['completion', 'chat', 'agent-chat'] as const;

export interface AppDetails {
  name?: string | undefined;
  description?: string | undefined;
  icon?: string | undefined;
  icon_type?: string | undefined;
  icon_background?: string | undefined;
  max_active_requests?: number | undefined;
  api_rpm?: number | undefined;
}

/** An app as its published version runs it: what the Service API needs on every request. */
export interface RunnableApp<C extends AppConfig | null = AppConfig> {
  readonly app: App;
  /** Null until the app is first published. */
  readonly config: C;
  readonly versionId: string | null;
}

export function appView(app: App) {
  return {
    id: app.id,
    name: app.name,
    mode: app.mode,
    description: app.description,
    icon: app.icon,
    icon_type: app.icon_type,
    icon_background: app.icon_background,
    enable_api: app.enable_api,
    status: app.status,
    max_active_requests: app.max_active_requests,
    api_rpm: app.api_rpm,
    published_at: unix(app.published_at),
    created_at: unix(app.created_at),
    updated_at: unix(app.updated_at),
  };
}

const CACHE_MS = 30_000;

/**
 * Apps in a workspace. Every query is scoped by workspace id: tenants never see
 * each other's apps. A config is edited as a draft and published as a numbered
 * version; the Service API runs the published one (cached per process, dropped
 * on `cache.invalidate` from any process).
 */
export class Apps {
  private readonly runnable = new Map<string, { at: number; value: Promise<RunnableApp<AppConfig | null>> }>();

  private readonly rows: typeof App;

  constructor(private readonly knex: Knex, private readonly events: EventBus) {
    this.rows = App.bindKnex(knex);
    events.on('cache.invalidate', ({ scope, key }) => {
      if (scope === 'app') this.runnable.delete(key);
    });
    // Events may have been missed (Redis unreachable): forget all, and ask the database until the bus hears again.
    events.onMissed(() => this.runnable.clear());
  }

  async create(workspaceId: string, input: AppDetails & { name: string; mode: AppMode; model_config?: unknown }, createdBy: string | null) {
    const config = normalizeConfig(input.mode, input.model_config);
    return this.rows.query().insertAndFetch({
      id: randomUUID(),
      workspace_id: workspaceId,
      name: input.name.trim(),
      mode: input.mode,
      description: input.description ?? '',
      icon: input.icon ?? '🤖',
      icon_type: input.icon_type ?? 'emoji',
      icon_background: input.icon_background ?? '#FFEAD5',
      max_active_requests: input.max_active_requests ?? 0,
      api_rpm: input.api_rpm ?? 0,
      enable_api: true,
      status: 'normal',
      draft_config: JSON.stringify(config),
      published_version_id: null,
      published_at: null,
      created_by: createdBy,
    });
  }

  async list(workspaceId: string, page: number, limit: number, filter: { mode?: string | undefined; name?: string | undefined } = {}) {
    const query = this.rows.query().where({ workspace_id: workspaceId });
    if (filter.mode) query.where('mode', filter.mode);
    if (filter.name) query.whereRaw('lower(name) like ?', [`%${filter.name.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`]);
    const result = await query.orderBy('created_at', 'desc').page(page - 1, limit);
    return { page, limit, total: result.total, has_more: page * limit < result.total, data: result.results.map(appView) };
  }

  /** 404 for an app of another workspace, exactly as for a missing one. */
  async get(workspaceId: string, appId: string): Promise<App> {
    const app = await this.rows.query().findOne({ id: appId, workspace_id: workspaceId });
    if (!app) throw new NotFoundError('App not found.', 'app_not_found');
    return app;
  }

  /** The app with its draft and published configs, as the console shows it. */
  async details(workspaceId: string, appId: string) {
    const app = await this.get(workspaceId, appId);
    const draft = loadConfig(app.mode, app.draft_config);
    const published = await this.publishedConfig(app);
    return {
      ...appView(app),
      model_config: draft,
      published_model_config: published?.config ?? null,
      has_unpublished_changes: !published || JSON.stringify(published.config) !== JSON.stringify(draft),
    };
  }

  async update(workspaceId: string, appId: string, details: AppDetails): Promise<App> {
    const app = await this.get(workspaceId, appId);
    const patch: Partial<App> = {};
    for (const key of ['name', 'description', 'icon', 'icon_type', 'icon_background', 'max_active_requests', 'api_rpm'] as const) {
      if (details[key] !== undefined) (patch as Record<string, unknown>)[key] = details[key];
    }
    if (typeof patch.name === 'string') patch.name = patch.name.trim();
    const updated = await app.$query().patchAndFetch(patch);
    await this.invalidate(appId);
    return updated;
  }

  async saveDraft(workspaceId: string, appId: string, patch: unknown): Promise<void> {
    const app = await this.get(workspaceId, appId);
    const config = normalizeConfig(app.mode, patch, loadConfig(app.mode, app.draft_config));
    await app.$query().patch({ draft_config: JSON.stringify(config) });
  }

  /** Publishes the draft as the next version; the Service API runs it from now on. */
  async publish(workspaceId: string, appId: string, by: string | null): Promise<void> {
    const app = await this.get(workspaceId, appId);
    await this.publishConfig(app.id, app.draft_config, by);
  }

  /** Stores `config` (JSON text) as the app's next version and makes it the published one, in every process. */
  async publishConfig(appId: string, config: string, by: string | null): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const last = (await trx('app_versions').where({ app_id: appId }).max({ v: 'version' }).first()) as { v: number | null } | undefined;
      const id = randomUUID();
      await trx('app_versions').insert({ id, app_id: appId, version: (Number(last?.v) || 0) + 1, config, created_by: by });
      await trx('apps').where({ id: appId }).update({ published_version_id: id, published_at: trx.fn.now(), updated_at: trx.fn.now() });
    });
    await this.invalidate(appId);
  }

  async versions(workspaceId: string, appId: string) {
    const app = await this.get(workspaceId, appId);
    const rows = (await this.knex('app_versions').where({ app_id: app.id }).orderBy('version', 'desc').select('id', 'version', 'created_at', 'created_by')) as Array<{ id: string; version: number; created_at: Date; created_by: string | null }>;
    return rows.map((r) => ({ id: r.id, version: r.version, created_at: unix(r.created_at), created_by: r.created_by, current: r.id === app.published_version_id }));
  }

  async copy(workspaceId: string, appId: string, name: string | undefined, by: string) {
    const source = await this.get(workspaceId, appId);
    const published = await this.publishedConfig(source);
    const copy = await this.create(workspaceId, { name: name ?? `${source.name} (copy)`, mode: source.mode as AppMode, description: source.description, icon: source.icon, icon_type: source.icon_type, icon_background: source.icon_background, model_config: loadConfig(source.mode, source.draft_config) }, by);
    if (published) await this.publishConfig(copy.id, JSON.stringify(published.config), by);
    return this.get(workspaceId, copy.id);
  }

  async setApiEnabled(workspaceId: string, appId: string, enabled: boolean): Promise<App> {
    const app = await this.get(workspaceId, appId);
    const updated = await app.$query().patchAndFetch({ enable_api: enabled });
    await this.invalidate(appId);
    return updated;
  }

  async remove(workspaceId: string, appId: string): Promise<void> {
    const deleted = await this.rows.query().delete().where({ id: appId, workspace_id: workspaceId });
    if (deleted === 0) throw new NotFoundError('App not found.', 'app_not_found');
    await this.invalidate(appId);
  }

  /** The published config (undefined before the first publish). */
  async publishedConfig(app: App): Promise<{ config: AppConfig; versionId: string } | undefined> {
    if (!app.published_version_id) return undefined;
    const row = (await this.knex('app_versions').where({ id: app.published_version_id }).first('config')) as { config: string } | undefined;
    return row ? { config: loadConfig(app.mode, row.config), versionId: app.published_version_id } : undefined;
  }

  /** The config in effect: the published one, else (never published) the draft. */
  async effectiveConfig(app: App): Promise<AppConfig> {
    return (await this.publishedConfig(app))?.config ?? loadConfig(app.mode, app.draft_config);
  }

  /** The app as the Service API runs it, cached; undefined if it is gone. */
  async runnableById(appId: string): Promise<RunnableApp<AppConfig | null> | undefined> {
    const hit = this.runnable.get(appId);
    if (hit && Date.now() - hit.at < CACHE_MS && this.events.listening) return hit.value.catch(() => undefined);
    const value = (async () => {
      const app = await this.rows.query().findById(appId);
      if (!app) throw new NotFoundError('App not found.', 'app_not_found');
      const published = await this.publishedConfig(app);
      return { app, config: published?.config ?? null, versionId: published?.versionId ?? null };
    })();
    this.runnable.set(appId, { at: Date.now(), value });
    return value.catch(() => {
      this.runnable.delete(appId);
      return undefined;
    });
  }

  /** The draft, as the console's preview runs it. */
  async draftRunnable(workspaceId: string, appId: string): Promise<RunnableApp> {
    const app = await this.get(workspaceId, appId);
    return { app, config: loadConfig(app.mode, app.draft_config), versionId: null };
  }

  private async invalidate(appId: string): Promise<void> {
    this.runnable.delete(appId);
    // Called after the change is committed: it is reported as done even if Redis cannot take the event now (it is re-sent).
    await this.events.notify('cache.invalidate', { scope: 'app', key: appId });
  }
}

export function assertMode(mode: string): asserts mode is AppMode {
  if (!(APP_MODES as readonly string[]).includes(mode)) throw new InputError(`mode must be one of ${APP_MODES.join(', ')}.`, 'mode');
}
