import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { PluginError, type JsonValue, type ResolvedManifest } from '@tessera/sdk';
import { createGuardedFetch, type HostCapabilities } from '@tessera/sdk/runtime';
import type { SecretBox } from '../security/secret-box.js';
import { kvQuota, type Grants } from './grants.js';

export interface CapabilityDeps {
  readonly knex: Knex;
  readonly secrets: SecretBox;
  readonly logger: Logger;
  /** Reverse model invocation, served by the plugin host (the provider's own plugin, the workspace's credentials). */
  readonly models: HostCapabilities['models'];
}

export interface CapabilityTarget {
  readonly workspaceId: string;
  readonly plugin: string;
  readonly manifest: ResolvedManifest;
  readonly grants: Grants;
}

const MAX_KEY_CHARS = 512;

/** The AAD that binds a sealed secret to its workspace, plugin and name: a row copied elsewhere will not open. */
export function secretAad(workspaceId: string, plugin: string, name: string): string {
  return `${workspaceId}\u0000${plugin}\u0000${name}`;
}

/**
 * What one plugin gets in one workspace, built from the admin's grants:
 * fetch only to granted hosts (SSRF-guarded), kv and secrets scoped to
 * (workspace, plugin) — the scope comes from here, never from the plugin —
 * models only when granted, and a log tagged with both.
 */
export function createKernelCapabilities(deps: CapabilityDeps, target: CapabilityTarget): HostCapabilities {
  const { knex } = deps;
  const scope = { workspace_id: target.workspaceId, plugin_name: target.plugin };
  const quota = kvQuota(target.grants, target.manifest);
  const log = deps.logger.child({ plugin: target.plugin, workspace: target.workspaceId });
  const fetch = createGuardedFetch({ grant: { hosts: target.grants.network?.hosts ?? [], allowPrivate: target.grants.allow_private ?? [] } });
  const live = (q: Knex.QueryBuilder) => q.where(scope).andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', knex.fn.now()));
  // A database error (its SQL text, the schema's names) stays on the host: the plugin sees a coded, generic error.
  const guard = <T>(op: string, what: string, run: () => Promise<T>): Promise<T> =>
    run().catch((error: unknown) => {
      if (error instanceof PluginError) throw error;
      log.error({ err: error, op }, `${op} failed`);
      throw new PluginError('plugin_internal_error', `${what} failed (${op})`);
    });
  const checkKey = (key: string) => {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS) throw new PluginError('plugin_invalid_arguments', `kv keys must be 1–${MAX_KEY_CHARS} characters`);
  };

  return {
    async fetch(request) {
      if (!target.grants.network?.hosts.length) throw new PluginError('plugin_permission_denied', `network access was not granted to ${target.plugin} in this workspace`);
      return fetch(request);
    },
    kv: {
      get: (key) => guard('kv.get', 'the plugin store', async () => {
        checkKey(key);
        const row = (await live(knex('plugin_kv').select('value')).andWhere({ key }).first()) as { value: JsonValue } | undefined;
        return row?.value;
      }),
      set: (key, value, ttlSeconds) => guard('kv.set', 'the plugin store', async () => {
        checkKey(key);
        const json = JSON.stringify(value);
        const size = Buffer.byteLength(key) + Buffer.byteLength(json);
        await knex.transaction(async (trx) => {
          // Rows of one (workspace, plugin) are written under a row lock on their installation, so concurrent sets cannot both pass the quota check.
          await trx('plugin_installations').where(scope).forUpdate().first();
          // Expired entries stop counting against the quota here, where the quota is checked.
          await trx('plugin_kv').where(scope).andWhere('expires_at', '<=', trx.fn.now()).delete();
          const used = (await trx('plugin_kv').where(scope).whereNot({ key }).sum({ total: 'size_bytes' }).first()) as { total: number | null } | undefined;
          if ((used?.total ?? 0) + size > quota) throw new PluginError('plugin_quota_exceeded', `kv quota of ${quota} bytes exceeded`);
          const expires = ttlSeconds === undefined ? null : new Date(Date.now() + ttlSeconds * 1000);
          await trx('plugin_kv').insert({ ...scope, key, value: json, size_bytes: size, expires_at: expires }).onConflict(['workspace_id', 'plugin_name', 'key']).merge(['value', 'size_bytes', 'expires_at']);
        });
      }),
      delete: (key) => guard('kv.delete', 'the plugin store', async () => {
        checkKey(key);
        return (await knex('plugin_kv').where({ ...scope, key }).delete()) > 0;
      }),
      list: (options) => guard('kv.list', 'the plugin store', async () => {
        const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
        const query = live(knex('plugin_kv').select('key')).orderBy('key').limit(limit);
        if (options.prefix) query.andWhere('key', 'like', `${options.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        if (options.cursor) query.andWhere('key', '>', options.cursor);
        const keys = ((await query) as Array<{ key: string }>).map((r) => r.key);
        const last = keys[keys.length - 1];
        return keys.length === limit && last !== undefined ? { keys, cursor: last } : { keys };
      }),
      quota: () => guard('kv.quota', 'the plugin store', async () => {
        const used = (await live(knex('plugin_kv')).sum({ total: 'size_bytes' }).first()) as { total: number | null } | undefined;
        return { usedBytes: Number(used?.total ?? 0), quotaBytes: quota };
      }),
    },
    secrets: {
      get: (name) => guard('secrets.get', 'the plugin secret store', async () => {
        const row = (await knex('plugin_secrets').where({ ...scope, name }).first()) as { sealed: string } | undefined;
        return row ? deps.secrets.open(row.sealed, secretAad(target.workspaceId, target.plugin, name)) : undefined;
      }),
      getAll: () => guard('secrets.getAll', 'the plugin secret store', async () => {
        const rows = (await knex('plugin_secrets').where(scope)) as Array<{ name: string; sealed: string }>;
        return Object.fromEntries(rows.map((r) => [r.name, deps.secrets.open(r.sealed, secretAad(target.workspaceId, target.plugin, r.name))]));
      }),
    },
    models: target.grants.models ? limitModelTypes(deps.models, target.manifest, target.plugin) : deniedModels(target.plugin),
    log(level, message, fields) {
      // The plugin's fields go under their own key: they cannot overwrite the host's (plugin, workspace, level, msg).
      log[level](fields === undefined ? {} : { fields }, message);
    },
  };
}

function deniedModels(plugin: string): HostCapabilities['models'] {
  const deny = () => new PluginError('plugin_permission_denied', `model invocation was not granted to ${plugin}`);
  return {
    chat: () => {
      throw deny();
    },
    embed: async () => {
      throw deny();
    },
    rerank: async () => {
      throw deny();
    },
  };
}

/** A manifest that asked for `models: {types: [...]}` gets only those model types. */
function limitModelTypes(models: HostCapabilities['models'], manifest: ResolvedManifest, plugin: string): HostCapabilities['models'] {
  const declared = manifest.permissions?.models;
  const types = typeof declared === 'object' && declared !== null ? declared.types : undefined;
  if (!types) return models;
  const check = (type: 'llm' | 'text-embedding' | 'rerank') => {
    if (!types.includes(type)) throw new PluginError('plugin_permission_denied', `${plugin} declared model invocation for ${types.join(', ')} only, not ${type}`);
  };
  return {
    chat: (request, signal) => {
      check('llm');
      return models.chat(request, signal);
    },
    embed: async (request, signal) => {
      check('text-embedding');
      return models.embed(request, signal);
    },
    rerank: async (request, signal) => {
      check('rerank');
      return models.rerank(request, signal);
    },
  };
}
