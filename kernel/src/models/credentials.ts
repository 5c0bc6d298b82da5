import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JsonSchema } from '@tessera/sdk';
import { classifyAddress, classifyHostname, isLocalhostName, parseStrictAddress } from '@tessera/sdk/runtime';
import { InputError, NotFoundError, TooManyRequestsError } from '../errors.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Grants } from '../plugins/grants.js';

export interface StoredCredential {
  readonly id: string;
  readonly workspaceId: string;
  readonly plugin: string;
  readonly provider: string;
  readonly name: string;
  readonly values: Record<string, unknown>;
  readonly cooldownUntil: Date | null;
  readonly lastError: string | null;
}

interface Row {
  id: string;
  workspace_id: string;
  plugin_name: string;
  provider_id: string;
  name: string;
  sealed: string;
  cooldown_until: Date | null;
  last_error: string | null;
  created_at: Date;
}

const CACHE_MS = 5000;

type Schema = { properties?: Record<string, { default?: unknown; format?: string; 'x-secret'?: boolean; type?: string }>; required?: string[] };

function aad(row: { workspace_id: string; plugin_name: string; provider_id: string; id: string }): string {
  return `${row.workspace_id}\u0000${row.plugin_name}\u0000${row.provider_id}\u0000${row.id}`;
}

/** Applies the schema's defaults and checks required fields and value types; returns the completed values. */
export function completeCredentials(schema: JsonSchema, raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError('credentials must be an object.', 'credentials');
  const { properties = {}, required = [] } = schema as Schema;
  const values: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [name, prop] of Object.entries(properties)) {
    if ((values[name] === undefined || values[name] === '') && prop.default !== undefined) values[name] = prop.default;
  }
  for (const name of required) {
    if (values[name] === undefined || values[name] === null || values[name] === '') throw new InputError(`credentials.${name} is required.`, `credentials.${name}`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (!(name in properties)) throw new InputError(`credentials.${name} is not a field of this provider (${Object.keys(properties).join(', ')}).`, `credentials.${name}`);
    const type = properties[name]!.type;
    if (type && value !== null && !(type === 'integer' ? Number.isInteger(value) : typeof value === (type === 'number' ? 'number' : type))) {
      throw new InputError(`credentials.${name} must be a ${type}.`, `credentials.${name}`);
    }
  }
  return values;
}

/** `sk-…abcd` for secret fields (format password or x-secret), the rest as stored. */
export function maskCredentials(schema: JsonSchema, values: Record<string, unknown>): Record<string, unknown> {
  const { properties = {} } = schema as Schema;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => {
    const prop = properties[name];
    const secret = prop?.format === 'password' || prop?.['x-secret'] === true || /key|secret|token|password/i.test(name);
    if (!secret || typeof value !== 'string' || value.length === 0) return [name, value];
    return [name, value.length <= 8 ? '********' : `${value.slice(0, 3)}…${value.slice(-4)}`];
  }));
}

/**
 * The network access credentials imply: the host and port of their `base_url`.
 * Setting a base URL is the admin's explicit grant for exactly that host and
 * port, loopback and private addresses included (a local Ollama or vLLM).
 */
export function baseUrlGrant(values: Record<string, unknown>): { grants: Grants; target: string | null; private: boolean } {
  const raw = values.base_url ?? values.endpoint_url ?? values.server_url;
  if (typeof raw !== 'string' || raw === '') return { grants: {}, target: null, private: false };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError('credentials.base_url is not a valid URL.', 'credentials.base_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('credentials.base_url must be an http or https URL.', 'credentials.base_url');
  if (url.username || url.password) throw new InputError('credentials.base_url must not contain a user name or password.', 'credentials.base_url');
  const bare = url.hostname.replace(/^\[|\]$/g, '');
  // Classified by name here (no DNS at configuration time); the fetch guard checks resolved addresses on every call.
  const blocked = parseStrictAddress(bare) ? classifyAddress(bare) : classifyHostname(bare);
  // Cloud metadata endpoints are never a model server, whatever an admin types.
  if (blocked?.metadata) throw new InputError('credentials.base_url points at a cloud metadata endpoint.', 'credentials.base_url');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const target = `${url.hostname}:${port}`;
  const isPrivate = isLocalhostName(bare) || blocked !== undefined || !bare.includes('.');
  return { grants: { network: { hosts: [target] }, allow_private: [target] }, target, private: isPrivate };
}

/**
 * Provider credentials per workspace, sealed at rest. Several per provider are
 * used in turn (round-robin); one that hits a rate limit or an auth error
 * cools down and is skipped until then.
 */
export class CredentialStore {
  private readonly turn = new Map<string, number>();
  /** Decrypted credentials per workspace, briefly: a model call should not query and decrypt every time. */
  private readonly cache = new Map<string, { at: number; rows: Promise<StoredCredential[]> }>();

  constructor(private readonly knex: Knex, private readonly box: SecretBox) {}

  async add(workspaceId: string, plugin: string, provider: string, name: string, values: Record<string, unknown>, by: string | null): Promise<StoredCredential> {
    const id = randomUUID();
    const row = { id, workspace_id: workspaceId, plugin_name: plugin, provider_id: provider };
    await this.knex('provider_credentials').insert({ ...row, name, sealed: this.box.seal(JSON.stringify(values), aad(row)), created_by: by });
    this.cache.delete(workspaceId);
    return (await this.get(workspaceId, id))!;
  }

  async list(workspaceId: string, provider?: { plugin: string; id: string }): Promise<StoredCredential[]> {
    let hit = this.cache.get(workspaceId);
    if (!hit || Date.now() - hit.at > CACHE_MS) {
      const rows = this.knex('provider_credentials').where({ workspace_id: workspaceId }).orderBy('created_at').then((r: Row[]) => r.map((row) => this.open(row)));
      rows.catch(() => this.cache.delete(workspaceId));
      this.cache.set(workspaceId, (hit = { at: Date.now(), rows }));
    }
    const all = await hit.rows;
    return provider ? all.filter((c) => c.plugin === provider.plugin && c.provider === provider.id) : all;
  }

  async get(workspaceId: string, id: string): Promise<StoredCredential | undefined> {
    const row = (await this.knex('provider_credentials').where({ workspace_id: workspaceId, id }).first()) as Row | undefined;
    return row ? this.open(row) : undefined;
  }

  async remove(workspaceId: string, provider: { plugin: string; id: string }, id: string): Promise<void> {
    const deleted = await this.knex('provider_credentials').where({ workspace_id: workspaceId, plugin_name: provider.plugin, provider_id: provider.id, id }).delete();
    this.cache.delete(workspaceId);
    if (deleted === 0) throw new NotFoundError('No such credentials for this provider.', 'credentials_not_found');
  }

  /** The credentials to use next: in turn, skipping any cooling down; 429 when all are. */
  async pick(workspaceId: string, provider: { plugin: string; id: string }, exclude: ReadonlySet<string> = new Set()): Promise<StoredCredential> {
    const all = await this.list(workspaceId, provider);
    if (all.length === 0) throw new NotFoundError(`The model provider ${provider.id} has no credentials in this workspace.`, 'provider_not_configured');
    const now = Date.now();
    const usable = all.filter((c) => !exclude.has(c.id) && (!c.cooldownUntil || c.cooldownUntil.getTime() <= now));
    if (usable.length === 0) {
      const soonest = Math.min(...all.map((c) => c.cooldownUntil?.getTime() ?? now));
      throw new TooManyRequestsError(`Every credential of ${provider.id} is cooling down after rate-limit or auth errors.`, Math.max(1, Math.ceil((soonest - now) / 1000)), 'provider_cooling_down');
    }
    const key = `${workspaceId}\u0000${provider.plugin}\u0000${provider.id}`;
    const next = (this.turn.get(key) ?? -1) + 1;
    this.turn.set(key, next);
    return usable[next % usable.length]!;
  }

  async coolDown(workspaceId: string, id: string, ms: number, reason: string): Promise<void> {
    await this.knex('provider_credentials').where({ id, workspace_id: workspaceId }).update({ cooldown_until: new Date(Date.now() + ms), last_error: reason.slice(0, 1000) });
    this.cache.delete(workspaceId);
  }

  private open(row: Row): StoredCredential {
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      plugin: row.plugin_name,
      provider: row.provider_id,
      name: row.name,
      values: JSON.parse(this.box.open(row.sealed, aad(row))) as Record<string, unknown>,
      cooldownUntil: row.cooldown_until ? new Date(row.cooldown_until) : null,
      lastError: row.last_error,
    };
  }
}
