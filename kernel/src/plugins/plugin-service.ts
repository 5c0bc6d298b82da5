import type { Knex } from 'knex';
import type { ResolvedManifest } from '@tessera/sdk';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { SecretBox } from '../security/secret-box.js';
import { signerNames } from '../marketplace/publishers.js';
import { secretAad } from './capabilities.js';
import { narrowGrants, validateGrants, type Grants } from './grants.js';
import type { PackageStore, PluginPackage } from './package-store.js';

export interface Installation {
  readonly workspaceId: string;
  readonly plugin: string;
  readonly version: string;
  readonly previousVersion: string | null;
  readonly enabled: boolean;
  readonly grants: Grants;
}

interface InstallationRow {
  workspace_id: string;
  plugin_name: string;
  version: string;
  previous_version: string | null;
  enabled: boolean;
  granted_permissions: Grants | string;
}

function toInstallation(row: InstallationRow): Installation {
  const grants = typeof row.granted_permissions === 'string' ? (JSON.parse(row.granted_permissions) as Grants) : row.granted_permissions;
  return { workspaceId: row.workspace_id, plugin: row.plugin_name, version: row.version, previousVersion: row.previous_version, enabled: row.enabled, grants };
}

/** Who vouches for a version, as the console shows it next to every version and upgrade offer. */
function publisherOf(pkg: PluginPackage, names: Map<string, string>) {
  return { signer: pkg.signer, publisher: pkg.signer === null ? null : (names.get(pkg.signer) ?? `key ${pkg.signer}`), signed: pkg.signer !== null, source: pkg.source };
}

/**
 * The console's view of a plugin: manifest facts (no code runs) plus this
 * workspace's state. `versions` newest first. An upgrade is only offered, with
 * its publisher: the workspace runs the version it enabled until its admin moves.
 */
export function pluginView(pkg: PluginPackage, installation: Installation | undefined, versions: PluginPackage[], names: Map<string, string>) {
  const newest = versions[0];
  return {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    runtime: pkg.runtime,
    contributes: pkg.manifest.contributes,
    permissions: pkg.manifest.permissions ?? {},
    credentials_schema: pkg.manifest.credentialsSchema ?? null,
    ...publisherOf(pkg, names),
    installed_versions: versions.map((v) => v.version),
    versions: versions.map((v) => ({ version: v.version, installed_at: Math.floor(v.installedAt.getTime() / 1000), ...publisherOf(v, names) })),
    upgrade_available: installation && newest && newest.version !== installation.version && newest.installedAt > pkg.installedAt ? { version: newest.version, ...publisherOf(newest, names) } : null,
    installation: installation
      ? { version: installation.version, previous_version: installation.previousVersion, enabled: installation.enabled, granted_permissions: installation.grants }
      : null,
  };
}

/**
 * Plugins per workspace: enable with exactly the granted permissions, disable,
 * upgrade, roll back, uninstall, and the workspace's credentials for a plugin.
 * Every change is announced on the event bus so every process drops the
 * isolates it had for that plugin.
 */
export class PluginService {
  constructor(
    private readonly knex: Knex,
    private readonly packages: PackageStore,
    private readonly secretBox: SecretBox,
    private readonly events: EventBus,
  ) {}

  async installation(workspaceId: string, plugin: string): Promise<Installation | undefined> {
    const row = (await this.knex('plugin_installations').where({ workspace_id: workspaceId, plugin_name: plugin }).first()) as InstallationRow | undefined;
    return row ? toInstallation(row) : undefined;
  }

  /** The enabled installation and the package version it runs; 404/409 with a code otherwise. */
  async active(workspaceId: string, plugin: string): Promise<{ installation: Installation; pkg: PluginPackage }> {
    const installation = await this.installation(workspaceId, plugin);
    if (!installation) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    if (!installation.enabled) throw new ConflictError(`Plugin ${plugin} is disabled in this workspace.`, 'plugin_disabled');
    return { installation, pkg: await this.packages.get(plugin, installation.version) };
  }

  async list(workspaceId: string) {
    const [latest, rows, names] = await Promise.all([this.packages.latest(), this.knex('plugin_installations').where({ workspace_id: workspaceId }) as Promise<InstallationRow[]>, signerNames(this.knex)]);
    const byName = new Map(rows.map((r) => [r.plugin_name, toInstallation(r)]));
    const views = [];
    for (const newest of latest) {
      const installation = byName.get(newest.name);
      const pkg = installation ? await this.packages.get(newest.name, installation.version) : newest;
      views.push(pluginView(pkg, installation, await this.packages.versions(newest.name), names));
    }
    return views;
  }

  async detail(workspaceId: string, plugin: string) {
    const versions = await this.packages.versions(plugin);
    if (versions.length === 0) throw new NotFoundError(`Plugin ${plugin} is not installed.`, 'plugin_package_not_found');
    const installation = await this.installation(workspaceId, plugin);
    const pkg = installation ? await this.packages.get(plugin, installation.version) : versions[0]!;
    return pluginView(pkg, installation, versions, await signerNames(this.knex));
  }

  /** Enables `plugin` (at `version`, default the newest installed) with exactly `rawGrants`. */
  async enable(workspaceId: string, plugin: string, rawGrants: unknown, version: string | undefined, by: string): Promise<Installation> {
    const current = await this.installation(workspaceId, plugin);
    const pkg = version ? await this.packages.get(plugin, version) : current ? await this.packages.get(plugin, current.version) : (await this.newest(plugin));
    const grants = validateGrants(rawGrants, pkg.manifest);
    if (pkg.runtime === 'node' && grants.node_runtime !== true) {
      throw new ForbiddenError(`${plugin} runs in the node runtime (full Node.js, no isolate); enabling it needs granted_permissions.node_runtime = true.`, 'node_runtime_not_granted');
    }
    const row = { workspace_id: workspaceId, plugin_name: plugin, version: pkg.version, enabled: true, granted_permissions: JSON.stringify(grants), updated_by: by, updated_at: this.knex.fn.now() };
    await this.knex('plugin_installations')
      .insert({ ...row, previous_version: null })
      .onConflict(['workspace_id', 'plugin_name'])
      .merge(current && current.version !== pkg.version ? { ...row, previous_version: current.version } : row);
    await this.changed(plugin, pkg.version, current ? 'enabled' : 'installed', workspaceId);
    return (await this.installation(workspaceId, plugin))!;
  }

  async disable(workspaceId: string, plugin: string, by: string): Promise<void> {
    const updated = await this.knex('plugin_installations').where({ workspace_id: workspaceId, plugin_name: plugin }).update({ enabled: false, updated_by: by, updated_at: this.knex.fn.now() });
    if (updated === 0) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    await this.changed(plugin, undefined, 'disabled', workspaceId);
  }

  /** Moves the workspace to another installed version; grants the new version no longer declares are dropped. */
  async upgrade(workspaceId: string, plugin: string, version: string | undefined, by: string): Promise<Installation> {
    const current = await this.installation(workspaceId, plugin);
    if (!current) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    const target = version ? await this.packages.get(plugin, version) : await this.newest(plugin);
    if (target.version === current.version) throw new ConflictError(`${plugin} already runs ${target.version} here.`, 'plugin_same_version');
    await this.switchVersion(current, target, by);
    await this.changed(plugin, target.version, 'upgraded', workspaceId);
    return (await this.installation(workspaceId, plugin))!;
  }

  async rollback(workspaceId: string, plugin: string, by: string): Promise<Installation> {
    const current = await this.installation(workspaceId, plugin);
    if (!current) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    if (!current.previousVersion) throw new ConflictError(`${plugin} has no previous version to roll back to.`, 'plugin_no_previous_version');
    await this.switchVersion(current, await this.packages.get(plugin, current.previousVersion), by);
    await this.changed(plugin, current.previousVersion, 'rolled-back', workspaceId);
    return (await this.installation(workspaceId, plugin))!;
  }

  /** Removes the plugin from the workspace with its kv data and credentials. */
  async uninstall(workspaceId: string, plugin: string): Promise<void> {
    const scope = { workspace_id: workspaceId, plugin_name: plugin };
    const deleted = await this.knex.transaction(async (trx): Promise<number> => {
      await trx('plugin_kv').where(scope).delete();
      await trx('plugin_secrets').where(scope).delete();
      return Number(await trx('plugin_installations').where(scope).delete());
    });
    if (deleted === 0) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    await this.changed(plugin, undefined, 'uninstalled', workspaceId);
  }

  /** Stores the workspace's credentials for the plugin (sealed); only names declared by its credentials schema. */
  async setSecrets(workspaceId: string, plugin: string, values: unknown): Promise<string[]> {
    const installation = await this.installation(workspaceId, plugin);
    if (!installation) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    const pkg = await this.packages.get(plugin, installation.version);
    const entries = checkSecrets(values, pkg.manifest);
    await this.knex.transaction(async (trx) => {
      for (const [name, value] of entries) {
        const scope = { workspace_id: workspaceId, plugin_name: plugin, name };
        if (value === null) await trx('plugin_secrets').where(scope).delete();
        else await trx('plugin_secrets').insert({ ...scope, sealed: this.secretBox.seal(value, secretAad(workspaceId, plugin, name)), updated_at: trx.fn.now() }).onConflict(['workspace_id', 'plugin_name', 'name']).merge(['sealed', 'updated_at']);
      }
    });
    return this.secretNames(workspaceId, plugin);
  }

  async secretNames(workspaceId: string, plugin: string): Promise<string[]> {
    if (!(await this.installation(workspaceId, plugin))) throw new NotFoundError(`Plugin ${plugin} is not installed in this workspace.`, 'plugin_not_installed');
    const rows = (await this.knex('plugin_secrets').where({ workspace_id: workspaceId, plugin_name: plugin }).orderBy('name')) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  /** Enabled installations with their packages, for tool listings (manifests only, no code). */
  async enabled(workspaceId: string): Promise<Array<{ installation: Installation; pkg: PluginPackage }>> {
    const rows = (await this.knex('plugin_installations').where({ workspace_id: workspaceId, enabled: true }).orderBy('plugin_name')) as InstallationRow[];
    return Promise.all(rows.map(async (row) => ({ installation: toInstallation(row), pkg: await this.packages.get(row.plugin_name, row.version) })));
  }

  private async newest(plugin: string): Promise<PluginPackage> {
    const [newest] = await this.packages.versions(plugin);
    if (!newest) throw new NotFoundError(`Plugin ${plugin} is not installed.`, 'plugin_package_not_found');
    return newest;
  }

  private async switchVersion(current: Installation, target: PluginPackage, by: string): Promise<void> {
    if (target.runtime === 'node' && current.grants.node_runtime !== true) {
      throw new ForbiddenError(`${current.plugin}@${target.version} runs in the node runtime; enable it with granted_permissions.node_runtime = true first.`, 'node_runtime_not_granted');
    }
    const grants = narrowGrants(current.grants, target.manifest);
    await this.knex('plugin_installations')
      .where({ workspace_id: current.workspaceId, plugin_name: current.plugin })
      .update({ version: target.version, previous_version: current.version, granted_permissions: JSON.stringify(grants), updated_by: by, updated_at: this.knex.fn.now() });
  }

  private changed(name: string, version: string | undefined, action: 'installed' | 'upgraded' | 'rolled-back' | 'uninstalled' | 'enabled' | 'disabled', workspaceId: string) {
    // After the committed change: reported as done even if Redis cannot take the event now (it is re-sent).
    return this.events.notify('plugins.changed', { name, action, workspaceId, ...(version ? { version } : {}) });
  }
}

function checkSecrets(values: unknown, manifest: ResolvedManifest): Array<[string, string | null]> {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new InputError('secrets must be an object of names to string values (null removes one).', 'secrets');
  const properties = (manifest.credentialsSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const entries = Object.entries(values as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (!properties || !Object.prototype.hasOwnProperty.call(properties, name)) {
      throw new InputError(`secrets.${name} is not a credential the plugin declares (${properties ? Object.keys(properties).join(', ') : 'it declares none'}).`, `secrets.${name}`);
    }
    if (value !== null && (typeof value !== 'string' || value.length > 10_000)) throw new InputError(`secrets.${name} must be a string of at most 10000 characters, or null.`, `secrets.${name}`);
  }
  return entries as Array<[string, string | null]>;
}
