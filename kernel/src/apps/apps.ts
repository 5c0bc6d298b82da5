import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import { type App, type Models, unix } from '../identity/models.js';

/** App modes, verbatim from Dify. */
export const APP_MODES = ['completion', 'chat', 'agent-chat', 'advanced-chat', 'workflow'] as const;
export type AppMode = (typeof APP_MODES)[number];

export function appView(app: App) {
  return { id: app.id, name: app.name, mode: app.mode, description: app.description, enable_api: app.enable_api, created_at: unix(app.created_at), updated_at: unix(app.updated_at) };
}

/** Apps in a workspace. Every query is scoped by workspace id: tenants never see each other's apps. */
export class Apps {
  constructor(private readonly models: Models) {}

  async create(workspaceId: string, input: { name: string; mode: AppMode; description?: string | undefined }, createdBy: string) {
    return this.models.App.query().insertAndFetch({
      id: randomUUID(),
      workspace_id: workspaceId,
      name: input.name.trim(),
      mode: input.mode,
      description: input.description ?? '',
      enable_api: true,
      created_by: createdBy,
    });
  }

  async list(workspaceId: string, page: number, limit: number) {
    const result = await this.models.App.query().where({ workspace_id: workspaceId }).orderBy('created_at', 'desc').page(page - 1, limit);
    return { page, limit, total: result.total, has_more: page * limit < result.total, data: result.results.map(appView) };
  }

  /** 404 for an app of another workspace, exactly as for a missing one. */
  async get(workspaceId: string, appId: string): Promise<App> {
    const app = await this.models.App.query().findOne({ id: appId, workspace_id: workspaceId });
    if (!app) throw new NotFoundError('App not found.', 'app_not_found');
    return app;
  }

  async remove(workspaceId: string, appId: string): Promise<void> {
    const deleted = await this.models.App.query().delete().where({ id: appId, workspace_id: workspaceId });
    if (deleted === 0) throw new NotFoundError('App not found.', 'app_not_found');
  }
}
