import type { Knex } from 'knex';
import { isUuid } from '../../http/validate.js';

/** What an import keeps of the caller's overrides until it is confirmed. */
export interface Overrides {
  name?: string | undefined;
  description?: string | undefined;
  icon_type?: string | undefined;
  icon?: string | undefined;
  icon_background?: string | undefined;
}

export interface PendingImport {
  content: string;
  overrides: Overrides;
}

/** Pending imports wait this long for their confirmation (Dify's 10 minutes). */
export const PENDING_IMPORT_TTL_MS = 10 * 60_000;
const MAX_PENDING_PER_WORKSPACE = 20;

/**
 * Imports waiting for `confirm`, expiring after 10 minutes, kept in the
 * database so that a confirmation may reach any API process. Taking one
 * deletes it in the same statement, so it is confirmed once.
 */
export class PendingImports {
  constructor(private readonly knex: Knex) {}

  async add(id: string, workspaceId: string, entry: PendingImport): Promise<void> {
    await this.knex('app_imports').where('expires_at', '<=', this.knex.fn.now()).delete();
    await this.knex('app_imports').insert({ id, workspace_id: workspaceId, content: entry.content, overrides: JSON.stringify(entry.overrides), expires_at: new Date(Date.now() + PENDING_IMPORT_TTL_MS) });
    const older = (await this.knex('app_imports').where({ workspace_id: workspaceId }).orderBy('created_at', 'desc').offset(MAX_PENDING_PER_WORKSPACE).select('id')) as Array<{ id: string }>;
    if (older.length) await this.knex('app_imports').whereIn('id', older.map((r) => r.id)).delete();
  }

  /** Takes (removes) a live entry of this workspace. */
  async take(id: string, workspaceId: string): Promise<PendingImport | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = (await this.knex('app_imports').where({ id, workspace_id: workspaceId }).andWhere('expires_at', '>', this.knex.fn.now()).delete().returning(['content', 'overrides'])) as Array<{ content: string; overrides: string }>;
    const row = rows[0];
    return row ? { content: row.content, overrides: JSON.parse(row.overrides) as Overrides } : undefined;
  }
}
