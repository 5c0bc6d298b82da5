import type { Contribution, Contributions } from '../plugins/contributions.js';

/** A model provider as its plugin's manifest describes it (no plugin code runs to list it). */
export type ProviderInfo = Contribution<'model-provider'>;

/**
 * The model providers of the installed plugins: a view of the contributions
 * registry. Dify's ids resolve too — `langgenius/openai/openai` ends in the
 * provider id, and ids such as `openai_api_compatible` are aliases the
 * providing plugin declares in its manifest.
 */
export class ProviderRegistry {
  constructor(private readonly contributions: Contributions) {}

  all(): Promise<ProviderInfo[]> {
    return this.contributions.list('model-provider');
  }

  invalidate(): void {
    this.contributions.invalidate();
  }

  /** Resolves `key` (`openai`, `langgenius/openai/openai`, `@scope/plugin/openai`, an alias) to one provider; 404 otherwise. */
  resolve(key: string): Promise<ProviderInfo> {
    return this.contributions.resolve('model-provider', key, { code: 'provider_not_found', noun: 'model provider' });
  }
}
