import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pacote from 'pacote';
import { packument, search, type Packument } from '@tessera/marketplace';
import { CONTRIBUTION_GROUP_KINDS, MANIFEST_CONTRIBUTION_GROUPS, parseManifest, type ContributionGroup, type ResolvedManifest } from '@tessera/sdk';
import { ForbiddenError, InputError, NotFoundError, UnavailableError } from '../errors.js';
import type { PackageStore, PluginPackage } from '../plugins/package-store.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import type { PluginService } from '../plugins/plugin-service.js';
import type { Marketplace } from './marketplace.js';
import type { TrustedPublishers } from './publishers.js';

const KINDS = ['tool', 'model-provider', 'node', 'vector-store', 'document-loader'] as const;
export type PluginKind = (typeof KINDS)[number];

interface VersionManifest {
  name: string;
  version: string;
  description?: string;
  author?: unknown;
  tessera?: unknown;
}

/** The contribution kinds a manifest declares (what the catalog filters on). */
function kindsOf(manifest: ResolvedManifest): PluginKind[] {
  return (Object.entries(MANIFEST_CONTRIBUTION_GROUPS) as Array<[ContributionGroup, keyof ResolvedManifest['contributes']]>)
    .filter(([, group]) => (manifest.contributes[group] ?? []).length > 0)
    .map(([group]) => CONTRIBUTION_GROUP_KINDS[group] as PluginKind);
}

function authorName(author: unknown): string {
  if (typeof author === 'string') return author;
  if (author && typeof author === 'object' && typeof (author as { name?: unknown }).name === 'string') return (author as { name: string }).name;
  return '';
}

/**
 * The marketplace as the console sees it: search by text and kind, a plugin's
 * detail (versions, README, permissions, runtime) from the registry's
 * packuments, and installs — fetched with pacote (integrity checked against
 * the registry's record), then checked and stored like any upload.
 */
export class Catalog {
  constructor(
    private readonly marketplace: Marketplace,
    private readonly packages: PackageStore,
    private readonly service: PluginService,
    private readonly host: PluginHost,
    private readonly cacheDir: string,
    private readonly publishers: TrustedPublishers,
  ) {
    mkdirSync(cacheDir, { recursive: true });
  }

  async search(workspaceId: string, text: string, kind: string | undefined, limit: number) {
    if (kind !== undefined && !KINDS.includes(kind as PluginKind)) throw new InputError(`kind must be one of ${KINDS.join(', ')}.`, 'kind');
    const url = await this.url();
    const hits = await search(url, text || 'tessera', { size: 250 });
    const items = [];
    for (const hit of hits.objects) {
      const doc = await packument(url, hit.package.name);
      const latest = doc && this.latest(doc);
      if (!latest) continue;
      if (kind && !latest.kinds.includes(kind as PluginKind)) continue;
      const installed = await this.service.installation(workspaceId, latest.name);
      items.push({ ...this.summary(latest), installed_version: installed?.version ?? null, enabled: installed?.enabled ?? false });
      if (items.length >= limit) break;
    }
    return { data: items, total: items.length };
  }

  async detail(workspaceId: string, name: string) {
    const doc = await packument(await this.url(), name);
    const latest = doc && this.latest(doc);
    if (!doc || !latest) throw new NotFoundError(`The marketplace has no plugin ${name}.`, 'marketplace_plugin_not_found');
    const installed = await this.service.installation(workspaceId, name);
    return {
      ...this.summary(latest),
      readme: typeof doc.readme === 'string' ? doc.readme : '',
      versions: Object.keys(doc.versions ?? {}).filter((v) => parseManifest(doc.versions![v]).ok),
      time: doc.time ?? {},
      contributes: latest.manifest.contributes,
      credentials_schema: latest.manifest.credentialsSchema ?? null,
      installed_version: installed?.version ?? null,
      enabled: installed?.enabled ?? false,
      signed_by: (doc.versions?.[latest.version]?.tesseraSignature as { keyid?: string } | undefined)?.keyid ?? null,
    };
  }

  /** Fetches `name@version` (default: latest) into the install; enables it with `grants` when given. */
  /**
   * `installAdmin`: whether the caller is an install admin. A package signed by a
   * trusted publisher may be fetched by a workspace admin; an unsigned one (when
   * the install allows them) is install-wide code nobody vouches for, so only an
   * install admin may bring it in (issue #13).
   */
  async install(workspaceId: string, name: string, version: string | undefined, grants: unknown, by: string, installAdmin = false): Promise<{ pkg: PluginPackage; enabled: boolean }> {
    const url = await this.url();
    const doc = await packument(url, name);
    if (!doc) throw new NotFoundError(`The marketplace has no plugin ${name}.`, 'marketplace_plugin_not_found');
    const wanted = version ?? doc['dist-tags']?.latest;
    const meta = wanted ? doc.versions?.[wanted] : undefined;
    if (!wanted || !meta) throw new NotFoundError(`The marketplace has no version ${version} of ${name}.`, 'plugin_version_not_found');
    // The signature covers the integrity the registry recorded; pacote then holds the tarball to that integrity.
    const trust = await this.publishers.check(name, wanted, meta.dist?.integrity, meta.tesseraSignature);
    if (trust.signer === null && !installAdmin) throw new ForbiddenError(`${name}@${wanted} is not signed; only an install admin may install unsigned plugins.`, 'install_permission_required');
    const cache = mkdtempSync(join(this.cacheDir, 'pacote-'));
    let bytes: Buffer;
    try {
      // pacote checks the tarball against the integrity the registry recorded at publish time.
      bytes = await pacote.tarball(`${name}@${wanted}`, { registry: `${url}/`, cache, preferOnline: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EINTEGRITY') throw new InputError(`The tarball of ${name}@${wanted} does not match the integrity the marketplace recorded: refusing to install it.`, 'version', 'integrity_mismatch');
      throw new UnavailableError(`Could not fetch ${name}@${wanted} from the marketplace: ${(error as Error).message}`, 'marketplace_unavailable');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
    const pkg = await this.packages.installTarball(bytes, 'marketplace', by, (p, code) => this.host.verify(p, code), async () => trust.signer);
    if (grants === undefined) return { pkg, enabled: false };
    const current = await this.service.installation(workspaceId, name);
    if (current && current.version !== pkg.version) await this.service.upgrade(workspaceId, name, pkg.version, by);
    await this.service.enable(workspaceId, name, grants, pkg.version, by);
    return { pkg, enabled: true };
  }

  private async url(): Promise<string> {
    if (this.marketplace.mode === 'off') throw new UnavailableError('This install runs without a marketplace (MARKETPLACE=off); upload plugin tarballs instead.', 'marketplace_off');
    await this.marketplace.ready().catch((error: Error) => {
      throw new UnavailableError(`The marketplace is not available: ${error.message}`, 'marketplace_unavailable');
    });
    return this.marketplace.url!;
  }

  private latest(doc: Packument) {
    const version = doc['dist-tags']?.latest;
    const raw = version ? (doc.versions?.[version] as unknown as VersionManifest | undefined) : undefined;
    if (!raw) return undefined;
    const parsed = parseManifest(raw);
    if (!parsed.ok) return undefined;
    return { name: parsed.name, version: parsed.version, description: raw.description ?? '', author: authorName(raw.author), manifest: parsed.manifest, kinds: kindsOf(parsed.manifest) };
  }

  private summary(latest: NonNullable<ReturnType<Catalog['latest']>>) {
    const icon = Object.values(latest.manifest.contributes).flat().find((c) => c && typeof (c as { icon?: unknown }).icon === 'string') as { icon?: string } | undefined;
    return {
      name: latest.name,
      version: latest.version,
      description: latest.description,
      author: latest.author,
      kinds: latest.kinds,
      runtime: latest.manifest.runtime,
      permissions: latest.manifest.permissions ?? {},
      icon: icon?.icon ?? null,
    };
  }
}
