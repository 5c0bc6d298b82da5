import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { hashToken, randomToken } from '../security/tokens.js';
import { type Models, unix } from './models.js';

export type ApiKeyType = 'app' | 'dataset';

/** What a Service API key resolves to. */
export interface ApiCaller {
  readonly keyId: string;
  readonly type: ApiKeyType;
  readonly workspaceId: string;
  /** Set for app keys. */
  readonly appId: string | null;
}

const PREFIX: Record<ApiKeyType, string> = { app: 'app-', dataset: 'dataset-' };
/** Cap per owner, as in Dify, so a leaked console session cannot mint keys without bound. */
const MAX_KEYS = 10;
/**
 * How long a resolved key is trusted without asking the database. A revoke drops it at
 * once in every process that hears the event bus; one that may have missed it (Redis
 * unreachable) drops its cache and asks the database until it hears again (issue #14).
 */
const CACHE_MS = 10_000;
const CACHE_SIZE = 10_000;

function hint(token: string): string {
  return `${token.slice(0, token.indexOf('-') + 5)}…${token.slice(-4)}`;
}

/**
 * App keys (`app-…`) and workspace dataset keys (`dataset-…`): shown once at
 * creation, stored as SHA-256 hashes, revocable.
 */
export class ApiKeys {
  /** Resolved keys by token hash (known keys only: unknown tokens always ask the database). */
  private readonly resolved = new Map<string, { at: number; caller: ApiCaller; lastUsed: number }>();

  constructor(private readonly knex: Knex, private readonly models: Models, private readonly events?: EventBus) {
    events?.on('cache.invalidate', ({ scope, key }) => {
      if (scope === 'api_key') this.forget((c) => c.keyId === key);
      // A deleted app takes its keys with it.
      else if (scope === 'app') this.forget((c) => c.appId === key);
    });
    events?.onMissed(() => this.resolved.clear());
  }

  async create(workspaceId: string, type: ApiKeyType, appId: string | null, createdBy: string | null) {
    const count = await this.models.ApiKey.query().where({ workspace_id: workspaceId, type, app_id: appId }).resultSize();
    if (count >= MAX_KEYS) throw new ForbiddenError(`At most ${MAX_KEYS} API keys are allowed.`, 'max_keys_exceeded');
    const token = PREFIX[type] + randomToken(18);
    const row = await this.models.ApiKey.query().insertAndFetch({
      id: randomUUID(),
      workspace_id: workspaceId,
      type,
      app_id: appId,
      token_hash: hashToken(token),
      token_hint: hint(token),
      created_by: createdBy,
      last_used_at: null,
    });
    return { id: row.id, type, token, created_at: unix(row.created_at) };
  }

  async list(workspaceId: string, type: ApiKeyType, appId: string | null) {
    const rows = await this.models.ApiKey.query().where({ workspace_id: workspaceId, type, app_id: appId }).orderBy('created_at', 'asc');
    return rows.map((r) => ({ id: r.id, type: r.type, token: r.token_hint, last_used_at: unix(r.last_used_at), created_at: unix(r.created_at) }));
  }

  async revoke(workspaceId: string, type: ApiKeyType, appId: string | null, keyId: string): Promise<void> {
    const deleted = await this.models.ApiKey.query().delete().where({ id: keyId, workspace_id: workspaceId, type, app_id: appId });
    if (deleted === 0) throw new NotFoundError('API key not found.', 'api_key_not_found');
    this.forget((c) => c.keyId === keyId);
    // The key is gone from the database: the revoke stands even if Redis cannot tell the others now.
    await this.events?.notify('cache.invalidate', { scope: 'api_key', key: keyId });
  }

  private forget(match: (caller: ApiCaller) => boolean): void {
    for (const [hash, entry] of this.resolved) if (match(entry.caller)) this.resolved.delete(hash);
  }

  /** Resolves a bearer token; 401 for a malformed or unknown key. Known keys are cached briefly (revoking drops them). */
  async resolve(token: string): Promise<ApiCaller> {
    const type: ApiKeyType | undefined = token.startsWith(PREFIX.app) ? 'app' : token.startsWith(PREFIX.dataset) ? 'dataset' : undefined;
    if (!type) throw new UnauthorizedError('Access token is invalid.');
    const hash = hashToken(token);
    const now = Date.now();
    const hit = this.resolved.get(hash);
    if (hit && now - hit.at < CACHE_MS && (this.events?.listening ?? true)) {
      this.touch(hit.caller.keyId, hit, now);
      return hit.caller;
    }
    const row = await this.models.ApiKey.query().findOne({ token_hash: hash });
    if (!row) {
      this.resolved.delete(hash);
      throw new UnauthorizedError('Access token is invalid.');
    }
    const caller: ApiCaller = { keyId: row.id, type: row.type, workspaceId: row.workspace_id, appId: row.app_id };
    const entry = { at: now, caller, lastUsed: row.last_used_at?.getTime() ?? 0 };
    if (!this.resolved.has(hash) && this.resolved.size >= CACHE_SIZE) this.resolved.delete(this.resolved.keys().next().value!);
    this.resolved.set(hash, entry);
    this.touch(row.id, entry, now);
    return caller;
  }

  /** Last-used bookkeeping must not slow the request: fire and forget, at most once a minute. */
  private touch(keyId: string, entry: { lastUsed: number }, now: number): void {
    if (now - entry.lastUsed <= 60_000) return;
    entry.lastUsed = now;
    void this.models.ApiKey.query().patch({ last_used_at: new Date(now) }).where({ id: keyId }).catch(() => undefined);
  }
}
