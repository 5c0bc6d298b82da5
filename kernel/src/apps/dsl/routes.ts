import { randomUUID } from 'node:crypto';
import { authOf } from '../../http/auth.js';
import { Type, type TSchema } from '@sinclair/typebox';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { InputError, NotFoundError } from '../../errors.js';
import { isUuid, parse } from '../../http/validate.js';
import type { AppMode, Apps } from '../apps.js';
import { loadConfig } from '../config.js';
import { fetchDsl } from './fetch.js';
import { type Overrides, PendingImports } from './pending-imports.js';
import { convertDsl, CURRENT_DSL_VERSION, DslError, exportDsl, importStatus, type ImportStatus, parseDsl, type ParsedDsl, parseYamlMapping, versionOf } from './dsl.js';

/**
 * App DSL routes (Dify's): import from YAML text or a URL, confirm an import
 * whose version needs it, export. An import answers 200 with its outcome in
 * `status` (`failed` with `error` for a file that cannot be imported); only a
 * malformed request is a 400.
 */


const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const ImportBody = Type.Object({
  mode: Type.Union([Type.Literal('yaml-content'), Type.Literal('yaml-url')]),
  yaml_content: Nullable(Type.String()),
  yaml_url: Nullable(Type.String({ maxLength: 2048 })),
  name: Nullable(Type.String({ maxLength: 255 })),
  description: Nullable(Type.String({ maxLength: 2000 })),
  icon_type: Nullable(Type.String({ maxLength: 16 })),
  icon: Nullable(Type.String({ maxLength: 255 })),
  icon_background: Nullable(Type.String({ maxLength: 32 })),
  /** Dify overwrites workflow apps in place; no app here can be. */
  app_id: Nullable(Type.String()),
});

interface ImportResult {
  id: string;
  status: ImportStatus;
  app_id: string | null;
  app_mode: string | null;
  error: string;
  imported_dsl_version: string;
  current_dsl_version: string;
  /** What was dropped or changed (Tessera addition; empty unless `completed-with-warnings`). */
  warnings: string[];
}


/** What a failed import adds to Dify's fields. */
interface FailedImport {
  code: 'import_failed';
  message: string;
}

function blank(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function registerDslRoutes(console: Router, deps: { apps: Apps; pending: PendingImports }): void {
  const { apps } = deps;
  const { pending } = deps;

  // Dify's failed import has no code; ours adds `code` and `message` (issue #14) so it reads like every other error.
  const failed = (id: string, error: string, version = ''): ImportResult & FailedImport => ({ code: 'import_failed', message: error, id, status: 'failed', app_id: null, app_mode: null, error, imported_dsl_version: version, current_dsl_version: CURRENT_DSL_VERSION, warnings: [] });

  /** Creates, publishes and API-enables the app; removes it again if a step fails. */
  async function createApp(ctx: Context, id: string, parsed: ParsedDsl, overrides: Overrides, status: Exclude<ImportStatus, 'failed'>): Promise<ImportResult> {
    const { workspaceId, accountId } = authOf(ctx);
    const app = await apps.create(
      workspaceId,
      {
        name: blank(overrides.name)?.trim() ?? parsed.app.name,
        mode: parsed.app.mode as AppMode,
        description: blank(overrides.description) ?? parsed.app.description,
        icon_type: blank(overrides.icon_type) ?? parsed.app.icon_type,
        icon: blank(overrides.icon) ?? parsed.app.icon,
        icon_background: blank(overrides.icon_background) ?? parsed.app.icon_background,
        model_config: parsed.modelConfig,
      },
      accountId,
    );
    try {
      await apps.publish(workspaceId, app.id, accountId);
      if (!app.enable_api) await apps.setApiEnabled(workspaceId, app.id, true);
    } catch (error) {
      await apps.remove(workspaceId, app.id).catch(() => undefined);
      throw error;
    }
    return { id, status, app_id: app.id, app_mode: app.mode, error: '', imported_dsl_version: parsed.version, current_dsl_version: CURRENT_DSL_VERSION, warnings: parsed.warnings };
  }

  console.post('/apps/imports', async (ctx) => {
    const body = parse(ImportBody, ctx.request.body);
    const id = randomUUID();
    let content: string;
    if (body.mode === 'yaml-content') {
      if (typeof body.yaml_content !== 'string' || body.yaml_content.trim() === '') throw new InputError('yaml_content is required when mode is yaml-content.', 'yaml_content');
      content = body.yaml_content;
    } else {
      const url = body.yaml_url?.trim();
      if (!url) throw new InputError('yaml_url is required when mode is yaml-url.', 'yaml_url');
      if (!/^https?:\/\/\S+$/i.test(url)) throw new InputError('yaml_url must be an http(s) URL.', 'yaml_url');
      try {
        content = await fetchDsl(url);
      } catch (error) {
        if (!(error instanceof DslError)) throw error;
        ctx.status = 400;
        ctx.body = failed(id, error.message);
        return;
      }
    }

    let version = '';
    let parsed: ParsedDsl;
    try {
      const data = parseYamlMapping(content);
      version = versionOf(data);
      if (blank(body.app_id)) {
        if (!isUuid(body.app_id)) throw new DslError('App not found');
        await apps.get(authOf(ctx).workspaceId, body.app_id!).catch(() => {
          throw new DslError('App not found');
        });
        throw new DslError('Only workflow or advanced chat apps can be overwritten');
      }
      parsed = convertDsl(data);
    } catch (error) {
      if (!(error instanceof DslError)) throw error;
      ctx.status = 400;
      ctx.body = failed(id, error.message, version);
      return;
    }

    const overrides: Overrides = { name: body.name ?? undefined, description: body.description ?? undefined, icon_type: body.icon_type ?? undefined, icon: body.icon ?? undefined, icon_background: body.icon_background ?? undefined };
    if (parsed.versionStatus === 'pending') {
      await pending.add(id, authOf(ctx).workspaceId, { content, overrides });
      ctx.status = 202;
      ctx.body = { id, status: 'pending', app_id: null, app_mode: null, error: '', imported_dsl_version: parsed.version, current_dsl_version: CURRENT_DSL_VERSION, warnings: parsed.warnings } satisfies ImportResult;
      return;
    }
    ctx.body = await createApp(ctx, id, parsed, overrides, importStatus(parsed));
  });

  console.post('/apps/imports/:import_id/confirm', async (ctx) => {
    const id = ctx.params.import_id!;
    const entry = await pending.take(id, authOf(ctx).workspaceId);
    if (!entry) {
      ctx.status = 400;
      ctx.body = failed(id, 'Import information expired or does not exist');
      return;
    }
    let parsed: ParsedDsl;
    try {
      parsed = parseDsl(entry.content);
    } catch (error) {
      if (!(error instanceof DslError)) throw error;
      ctx.status = 400;
      ctx.body = failed(id, error.message);
      return;
    }
    // Confirmed: the version gap is accepted; only dropped parts still warn.
    ctx.body = await createApp(ctx, id, parsed, entry.overrides, parsed.warnings.length > 0 ? 'completed-with-warnings' : 'completed');
  });

  console.get('/apps/:app_id/export', async (ctx) => {
    // `include_secret` is accepted for Dify clients; an easy-UI config holds no secrets, and tool credential ids are always removed.
    const appId = ctx.params.app_id!;
    if (!isUuid(appId)) throw new NotFoundError('App not found.', 'app_not_found');
    const app = await apps.get(authOf(ctx).workspaceId, appId);
    ctx.body = { data: exportDsl(app, loadConfig(app.mode, app.draft_config)) };
  });
}
