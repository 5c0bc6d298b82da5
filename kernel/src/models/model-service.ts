import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { collectChat, PluginError, type ChatParams, type ModelDescriptor, type ModelType } from '@tessera/sdk';
import { InputError } from '../errors.js';
import { baseUrlGrant, completeCredentials, maskCredentials, type CredentialStore } from './credentials.js';
import { needsNoCredentials, type ModelRuntime } from './model-runtime.js';
import type { ProviderInfo, ProviderRegistry } from './providers.js';

/**
 * What the console does with model providers: configure credentials
 * (validated by the provider first), list models by type, choose default
 * models, read usage. Calls themselves go through {@link ModelRuntime}.
 */
export class ModelService {
  constructor(
    private readonly knex: Knex,
    private readonly registry: ProviderRegistry,
    private readonly credentials: CredentialStore,
    readonly runtime: ModelRuntime,
    private readonly logger: Logger,
  ) {}

  async providers(workspaceId: string) {
    const [all, configured] = await Promise.all([this.registry.all(), this.credentials.list(workspaceId)]);
    return all.map((p) => {
      const count = configured.filter((c) => c.plugin === p.plugin && c.provider === p.id).length;
      const ready = count > 0 || needsNoCredentials(p);
      return {
        provider: p.id,
        plugin: p.plugin,
        version: p.pkg.version,
        label: { en_US: p.entry.name, zh_Hans: p.entry.name },
        description: { en_US: p.entry.description, zh_Hans: p.entry.description },
        icon: p.entry.icon ?? null,
        supported_model_types: p.entry.modelTypes,
        credentials_schema: p.entry.credentialsSchema,
        status: ready ? 'active' : 'no-configure',
        credentials_count: count,
      };
    });
  }

  async listCredentials(workspaceId: string, key: string) {
    const provider = await this.registry.resolve(key);
    return (await this.credentials.list(workspaceId, provider)).map((c) => ({
      id: c.id,
      name: c.name,
      credentials: maskCredentials(provider.entry.credentialsSchema, c.values),
      cooldown_until: c.cooldownUntil ? Math.floor(c.cooldownUntil.getTime() / 1000) : null,
      last_error: c.lastError,
    }));
  }

  async validateCredentials(workspaceId: string, key: string, raw: unknown): Promise<{ provider: ProviderInfo; values: Record<string, unknown> }> {
    const provider = await this.registry.resolve(key);
    const values = completeCredentials(provider.entry.credentialsSchema, raw);
    baseUrlGrant(values);
    try {
      await this.runtime.validate(workspaceId, provider, values);
    } catch (error) {
      if (error instanceof PluginError && error.status < 500 && error.code !== 'plugin_cancelled') {
        // The provider's own words: "Incorrect API key provided", "model not found", …
        throw new InputError(error.message.replace(/^plugin \S+: /, ''), 'credentials', 'invalid_credentials');
      }
      if (error instanceof PluginError) throw new InputError(`Could not validate the credentials: ${error.message.replace(/^plugin \S+: /, '')}`, 'credentials', 'invalid_credentials');
      throw error;
    }
    return { provider, values };
  }

  async addCredentials(workspaceId: string, key: string, raw: unknown, name: string, by: string) {
    const { provider, values } = await this.validateCredentials(workspaceId, key, raw);
    await this.runtime.ensureEnabled(workspaceId, provider, by);
    const stored = await this.credentials.add(workspaceId, provider.plugin, provider.id, name, values, by);
    const grant = baseUrlGrant(values);
    if (grant.target) {
      // Setting a base URL is the admin's explicit grant of that host and port (private ones included): keep it on record.
      await this.knex('audit_log').insert({
        workspace_id: workspaceId,
        account_id: by,
        action: grant.private ? 'provider.base_url.private_granted' : 'provider.base_url.granted',
        target: `${provider.plugin}/${provider.id}`,
        details: JSON.stringify({ credential_id: stored.id, host: grant.target, private: grant.private }),
      });
      if (grant.private) this.logger.info({ workspace: workspaceId, provider: provider.id, host: grant.target }, 'provider base URL grants a private address');
    }
    return { id: stored.id, name: stored.name, provider: provider.id, plugin: provider.plugin, credentials: maskCredentials(provider.entry.credentialsSchema, stored.values) };
  }

  async removeCredentials(workspaceId: string, key: string, id: string): Promise<void> {
    const provider = await this.registry.resolve(key);
    await this.credentials.remove(workspaceId, provider, id);
    this.runtime.forget(id);
  }

  /** Every configured provider offering models of `type`, with those models (from each provider, cached). */
  async modelsByType(workspaceId: string, type: ModelType): Promise<Array<{ provider: string; plugin: string; label: string; models: ModelDescriptor[] }>> {
    const configured = await this.credentials.list(workspaceId);
    const out = [];
    for (const provider of await this.registry.all()) {
      if (!provider.entry.modelTypes.includes(type)) continue;
      let creds = configured.filter((c) => c.plugin === provider.plugin && c.provider === provider.id);
      if (creds.length === 0 && needsNoCredentials(provider)) {
        await this.runtime.ensureEnabled(workspaceId, provider, null);
        creds = [{ id: `implicit:${provider.plugin}/${provider.id}`, workspaceId, plugin: provider.plugin, provider: provider.id, name: 'implicit', values: {}, cooldownUntil: null, lastError: null }];
      }
      if (creds.length === 0) continue;
      const seen = new Map<string, ModelDescriptor>();
      for (const credential of creds) {
        try {
          for (const model of await this.runtime.listModels(workspaceId, provider, credential)) if (model.model_type === type && !seen.has(model.model)) seen.set(model.model, model);
        } catch (error) {
          this.logger.warn({ err: error, provider: provider.id }, 'could not list models');
        }
      }
      out.push({ provider: provider.id, plugin: provider.plugin, label: provider.entry.name, models: [...seen.values()] });
    }
    return out;
  }

  async defaultModel(workspaceId: string, type: ModelType): Promise<{ provider: string; plugin: string; model: string; modelType: ModelType } | undefined> {
    const row = (await this.knex('default_models').where({ workspace_id: workspaceId, model_type: type }).first()) as { plugin_name: string; provider_id: string; model: string } | undefined;
    return row ? { provider: row.provider_id, plugin: row.plugin_name, model: row.model, modelType: type } : undefined;
  }

  async setDefaultModel(workspaceId: string, type: ModelType, key: string, model: string): Promise<void> {
    const provider = await this.registry.resolve(key);
    if (!provider.entry.modelTypes.includes(type)) throw new InputError(`${provider.id} offers no ${type} models.`, 'model_type');
    const row = { workspace_id: workspaceId, model_type: type, plugin_name: provider.plugin, provider_id: provider.id, model, updated_at: this.knex.fn.now() };
    await this.knex('default_models').insert(row).onConflict(['workspace_id', 'model_type']).merge();
  }

  usagePerDay(workspaceId: string, from: Date, to: Date) {
    return this.runtime.usage.perDay(workspaceId, from, to);
  }

  /** A whole (non-streamed) chat answer, collected from the stream. */
  async complete(workspaceId: string, key: string, params: ChatParams, signal: AbortSignal) {
    return collectChat(this.runtime.chat(workspaceId, key, params, { signal }));
  }
}
