import type { ModelProviderManifestEntry } from '@tessera/sdk';
import { NotFoundError } from '../errors.js';
import type { PackageStore, PluginPackage } from '../plugins/package-store.js';

/** A model provider as its plugin's manifest describes it (no plugin code runs to list it). */
export interface ProviderInfo {
  readonly plugin: string;
  readonly id: string;
  readonly entry: ModelProviderManifestEntry;
  readonly pkg: PluginPackage;
}

/**
 * Provider ids found in Dify DSL files and clients, mapped to Tessera's:
 * Dify's plugin-qualified ids end in the provider id, and its generic
 * OpenAI-compatible and Ollama providers are served by the `openai` plugin.
 */
const ALIASES: Readonly<Record<string, string>> = {
  openai_api_compatible: 'openai',
  ollama: 'openai',
};

const CACHE_MS = 5000;

/** Splits a provider key into (plugin?, provider id). */
export function parseProviderKey(key: string): { plugin?: string; id: string } {
  const parts = key.split('/');
  if (key.startsWith('@') && parts.length === 3) return { plugin: `${parts[0]}/${parts[1]}`, id: parts[2]! };
  if (parts.length === 3) return { id: parts[2]! }; // langgenius/openai/openai
  if (parts.length === 2) return { plugin: parts[0]!, id: parts[1]! };
  return { id: key };
}

/** Every model provider contributed by an installed plugin (newest version of each). */
export class ProviderRegistry {
  private cache: { at: number; generation: number; providers: Promise<ProviderInfo[]> } | undefined;

  constructor(private readonly packages: PackageStore) {}

  /** Installs in this process show at once; another process's within a few seconds. */
  async all(): Promise<ProviderInfo[]> {
    const cache = this.cache;
    if (cache && cache.generation === this.packages.generation && Date.now() - cache.at < CACHE_MS) return cache.providers;
    const providers = this.packages.latest().then((latest) => latest.flatMap((pkg) => (pkg.manifest.contributes.modelProviders ?? []).map((entry) => ({ plugin: pkg.name, id: entry.id, entry, pkg }))));
    providers.catch(() => (this.cache = undefined));
    this.cache = { at: Date.now(), generation: this.packages.generation, providers };
    return providers;
  }

  invalidate(): void {
    this.cache = undefined;
  }

  /** Resolves `key` (`openai`, `langgenius/openai/openai`, `@scope/plugin/openai`, an alias) to one provider; 404 otherwise. */
  async resolve(key: string): Promise<ProviderInfo> {
    const all = await this.all();
    const { plugin, id } = parseProviderKey(key);
    const find = (providerId: string) => all.filter((p) => p.id === providerId && (plugin === undefined || p.plugin === plugin));
    let matches = find(id);
    if (matches.length === 0 && ALIASES[id]) matches = find(ALIASES[id]!);
    if (matches.length === 0) throw new NotFoundError(`No installed plugin provides the model provider "${key}".`, 'provider_not_found');
    // Two plugins offering the same id: first-party wins, else the first by name; a plugin-qualified key picks one.
    return matches.find((p) => p.plugin.startsWith('@tessera/')) ?? matches[0]!;
  }
}
