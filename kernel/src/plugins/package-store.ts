import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual, promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { dirname, join, relative, resolve } from 'node:path';
import type { Knex } from 'knex';
import * as tar from 'tar';
import { parseManifest, type ResolvedManifest } from '@tessera/sdk';
import { ConflictError, InputError, NotFoundError } from '../errors.js';

export interface PluginPackage {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly manifest: ResolvedManifest;
  readonly runtime: 'isolate' | 'node';
  readonly source: string;
  readonly integrity: string | null;
  /** Who vouches for this version: `first-party`, a trusted publisher's key id, or null (unsigned). */
  readonly signer: string | null;
  readonly installedAt: Date;
}

/** Decides who signed a package being installed (after `verify`), or null for unsigned. */
export type SignerOf = (pkg: PluginPackage) => Promise<string | null>;

/** Names in this scope are Tessera's own: only first-party packages may carry them. */
export const FIRST_PARTY_SCOPE = '@tessera/';

interface PackageRow {
  name: string;
  version: string;
  manifest: ResolvedManifest | string;
  description: string;
  runtime: 'isolate' | 'node';
  source: string;
  integrity: string | null;
  signer: string | null;
  installed_at: Date;
}

/** Tarballs and unpacked packages above these sizes are refused (a plugin is one bundled file). */
const MAX_TARBALL_BYTES = 50 * 1024 * 1024;
const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;
const MAX_ENTRIES = 2000;

/** Gunzips (or passes a plain tar through), refusing output past the unpacked limit without producing it. */
async function gunzipBounded(bytes: Buffer): Promise<Buffer> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  // Headers and padding add a little to the files' own sizes.
  const maxOutputLength = MAX_UNPACKED_BYTES + 4 * 1024 * 1024;
  try {
    return await promisify(gunzip)(bytes, { maxOutputLength });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InputError(`The package unpacks to more than ${MAX_UNPACKED_BYTES / 1024 / 1024} MB.`, 'file', 'file_too_large');
    throw new InputError(`The file is not a readable npm tarball (.tgz): ${(error as Error).message}`, 'file', 'invalid_plugin_package');
  }
}

/** Everything but the bundle, which only the runtime needs. */
const COLUMNS = ['name', 'version', 'manifest', 'description', 'runtime', 'source', 'integrity', 'signer', 'installed_at'];

function toPackage(row: PackageRow): PluginPackage {
  const manifest = typeof row.manifest === 'string' ? (JSON.parse(row.manifest) as ResolvedManifest) : row.manifest;
  return { name: row.name, version: row.version, description: row.description, manifest, runtime: row.runtime, source: row.source, integrity: row.integrity, signer: row.signer ?? null, installedAt: row.installed_at };
}

/**
 * Installed plugin packages: unpacked under `DATA_DIR/plugins/<name>/<version>`
 * and listed in `plugin_packages`. Every version stays until removed, so a
 * workspace can roll back. Reading a manifest never runs plugin code.
 */
export class PackageStore {
  private readonly bundles = new Map<string, string>();
  /** Bumped on every install and removal in this process, so readers can keep cheap caches. */
  generation = 0;

  constructor(private readonly knex: Knex, private readonly root: string, private readonly onInstalled: (pkg: PluginPackage) => void = () => undefined) {
    mkdirSync(root, { recursive: true });
  }

  dirOf(name: string, version: string): string {
    return join(this.root, encodeURIComponent(name), version);
  }

  /** Unpacks an npm tarball (`npm pack` output: files under `package/`) and installs it. */
  async installTarball(bytes: Buffer, source: string, installedBy: string | null, verify?: (pkg: PluginPackage, code: string) => Promise<void>, signerOf?: SignerOf): Promise<PluginPackage> {
    if (bytes.length === 0) throw new InputError('The uploaded file is empty.', 'file');
    if (bytes.length > MAX_TARBALL_BYTES) throw new InputError(`The tarball is larger than ${MAX_TARBALL_BYTES / 1024 / 1024} MB.`, 'file', 'file_too_large');
    const work = mkdtempSync(join(tmpdir(), 'tessera-plugin-'));
    try {
      // Decompressed with a bound first (issue #13: a gzip bomb), then read as a
      // plain tar: nothing is thrown from inside tar's callbacks, where an error
      // escaped as an uncaught exception and took the kernel down.
      const file = join(work, 'upload.tar');
      writeFileSync(file, await gunzipBounded(bytes));
      const entries: Array<{ path: string; type: string; size: number }> = [];
      try {
        await tar.t({ file, onReadEntry: (entry) => void entries.push({ path: entry.path, type: entry.type, size: entry.size ?? 0 }) });
      } catch (error) {
        throw new InputError(`The file is not a readable npm tarball (.tgz): ${(error as Error).message}`, 'file', 'invalid_plugin_package');
      }
      if (entries.length > MAX_ENTRIES) throw new InputError(`The package has ${entries.length} entries; at most ${MAX_ENTRIES} are allowed (a plugin is one bundled file).`, 'file', 'too_many_entries');
      const total = entries.reduce((sum, e) => sum + e.size, 0);
      if (total > MAX_UNPACKED_BYTES) throw new InputError(`The package unpacks to more than ${MAX_UNPACKED_BYTES / 1024 / 1024} MB.`, 'file', 'file_too_large');
      const unpacked = join(work, 'unpacked');
      mkdirSync(unpacked);
      try {
        await tar.x({
          file,
          cwd: unpacked,
          strip: 1,
          // Regular files and folders only: links could point outside the plugin's folder.
          filter: (_path, entry) => {
            const type = (entry as { type?: string }).type;
            return type === 'File' || type === 'Directory' || type === 'OldFile';
          },
        });
      } catch (error) {
        throw new InputError(`The file is not a readable npm tarball (.tgz): ${(error as Error).message}`, 'file', 'invalid_plugin_package');
      }
      const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
      return await this.installFolder(unpacked, source, installedBy, integrity, verify, signerOf);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** Installs an unpacked plugin package folder (with `package.json` and its built bundle). */
  async installFolder(dir: string, source: string, installedBy: string | null, integrity: string | null = null, verify?: (pkg: PluginPackage, code: string) => Promise<void>, signerOf?: SignerOf): Promise<PluginPackage> {
    const packageFile = join(dir, 'package.json');
    if (!existsSync(packageFile)) throw new InputError('The package has no package.json.', 'file', 'invalid_plugin_package');
    let packageJson: unknown;
    try {
      packageJson = JSON.parse(readFileSync(packageFile, 'utf8'));
    } catch (error) {
      throw new InputError(`package.json is not valid JSON: ${(error as Error).message}`, 'file', 'invalid_plugin_package');
    }
    const parsed = parseManifest(packageJson);
    if (!parsed.ok) {
      throw new InputError(`Invalid plugin manifest: ${parsed.errors.map((e) => `${e.path || 'package.json'}: ${e.message}`).join('; ')}`, 'file', 'invalid_plugin_manifest');
    }
    const { name, version, manifest } = parsed;
    const bundlePath = resolve(dir, manifest.main);
    if (relative(dir, bundlePath).startsWith('..')) throw new InputError(`tessera.main points outside the package: ${manifest.main}`, 'file', 'invalid_plugin_manifest');
    if (!existsSync(bundlePath) || !statSync(bundlePath).isFile()) {
      throw new InputError(`The package has no bundle at ${manifest.main} (build it with tessera-plugin build before packing).`, 'file', 'invalid_plugin_package');
    }
    const code = readFileSync(bundlePath, 'utf8');
    const description = typeof (packageJson as { description?: unknown }).description === 'string' ? (packageJson as { description: string }).description : '';
    const unsigned: PluginPackage = { name, version, description, manifest, runtime: manifest.runtime, source, integrity, signer: null, installedAt: new Date() };

    const existing = await this.find(name, version);
    if (existing) {
      const same = (await this.readBundle(existing)) === code && isDeepStrictEqual(existing.manifest, JSON.parse(JSON.stringify(manifest)));
      if (same) return existing;
      throw new ConflictError(`${name}@${version} is already installed with different contents; publish a new version.`, 'plugin_version_exists');
    }
    await verify?.(unsigned, code);
    const signer = signerOf ? await signerOf(unsigned) : source === 'bundled' ? 'first-party' : null;
    const pkg: PluginPackage = { ...unsigned, signer };
    await this.checkOwnership(pkg);

    const target = this.dirOf(name, version);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    cpSync(dir, target, { recursive: true, filter: (src) => !src.includes(`${join(dir, 'node_modules')}`) });
    await this.knex('plugin_packages').insert({
      name,
      version,
      manifest: JSON.stringify(manifest),
      bundle: code,
      description,
      runtime: manifest.runtime,
      source,
      integrity,
      signer,
      installed_by: installedBy,
    });
    this.generation++;
    const installed = (await this.find(name, version))!;
    this.onInstalled(installed);
    return installed;
  }

  /**
   * Installs every plugin package folder under `dir` that is built and not yet
   * installed at its version (the first-party plugins shipped with Tessera).
   * A folder that is not a valid plugin is skipped with a warning, never fatal.
   */
  async installBundled(dir: string, verify: (pkg: PluginPackage, code: string) => Promise<void>, warn: (message: string) => void): Promise<string[]> {
    if (!existsSync(dir)) return [];
    const installed: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const folder = join(dir, entry.name);
      if (!entry.isDirectory() || !existsSync(join(folder, 'package.json'))) continue;
      try {
        const parsed = parseManifest(JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')));
        if (!parsed.ok || !existsSync(join(folder, parsed.manifest.main))) continue;
        if (await this.find(parsed.name, parsed.version)) continue;
        await this.installFolder(folder, 'bundled', null, null, verify);
        installed.push(`${parsed.name}@${parsed.version}`);
      } catch (error) {
        warn(`bundled plugin in ${folder} not installed: ${(error as Error).message}`);
      }
    }
    return installed;
  }

  /**
   * A name belongs to whoever signed its versions (issue #13): a version signed
   * by someone else, or not signed at all, is refused — so an upload can never
   * shadow a first-party or trusted publisher's plugin. `@tessera/*` names are
   * first-party from the start. A name with only unsigned versions is the
   * install's own; a signed version may claim it.
   */
  private async checkOwnership(pkg: PluginPackage): Promise<void> {
    const rows = (await this.knex('plugin_packages').distinct('signer').where({ name: pkg.name }).whereNotNull('signer')) as Array<{ signer: string }>;
    const owners = rows.map((r) => r.signer);
    if (owners.length === 0 && !pkg.name.startsWith(FIRST_PARTY_SCOPE)) return;
    const allowed = owners.length > 0 ? owners : ['first-party'];
    if (pkg.signer !== null && allowed.includes(pkg.signer)) return;
    const owner = allowed.includes('first-party') ? 'Tessera (first-party)' : `the publisher with key ${allowed.join(', ')}`;
    const what = pkg.signer === null ? 'an unsigned package' : `a package signed by key ${pkg.signer}`;
    throw new ConflictError(`${pkg.name} belongs to ${owner}; ${what} cannot be installed under that name. Publish it under a name of your own.`, 'plugin_name_owned');
  }

  async find(name: string, version: string): Promise<PluginPackage | undefined> {
    const row = (await this.knex('plugin_packages').select(COLUMNS).where({ name, version }).first()) as PackageRow | undefined;
    return row ? toPackage(row) : undefined;
  }

  async get(name: string, version: string): Promise<PluginPackage> {
    const pkg = await this.find(name, version);
    if (!pkg) throw new NotFoundError(`Plugin ${name}@${version} is not installed.`, 'plugin_package_not_found');
    return pkg;
  }

  /** Every installed version of `name`, newest install first. */
  async versions(name: string): Promise<PluginPackage[]> {
    const rows = (await this.knex('plugin_packages').select(COLUMNS).where({ name }).orderBy('installed_at', 'desc')) as PackageRow[];
    return rows.map(toPackage);
  }

  /** The newest installed version of every plugin. */
  async latest(): Promise<PluginPackage[]> {
    const rows = (await this.knex('plugin_packages').select(COLUMNS).orderBy([{ column: 'name' }, { column: 'installed_at', order: 'desc' }])) as PackageRow[];
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.name) && seen.add(r.name)).map(toPackage);
  }

  /** The bundle's source, from the database (cached: an installed version never changes). */
  async readBundle(pkg: PluginPackage): Promise<string> {
    const key = `${pkg.name}@${pkg.version}`;
    let code = this.bundles.get(key);
    if (code === undefined) {
      const row = (await this.knex('plugin_packages').select('bundle').where({ name: pkg.name, version: pkg.version }).first()) as { bundle: string } | undefined;
      if (!row) throw new NotFoundError(`Plugin ${key} is not installed.`, 'plugin_package_not_found');
      code = row.bundle;
      this.bundles.set(key, code);
    }
    return code;
  }

  /** Removes a version's files and row (only when no workspace uses it: the caller checks). */
  async remove(name: string, version: string): Promise<void> {
    await this.knex('plugin_packages').where({ name, version }).delete();
    this.generation++;
    this.bundles.delete(`${name}@${version}`);
    rmSync(this.dirOf(name, version), { recursive: true, force: true });
  }
}
