import type { Contributions, PluginKind } from '@/api/types';

const GROUP_KINDS: Record<string, PluginKind> = {
  tools: 'tool',
  modelProviders: 'model-provider',
  nodes: 'node',
  vectorStores: 'vector-store',
  documentLoaders: 'document-loader',
};

/** The kinds of what a manifest contributes (`tools` → `tool`, …). */
export function kindsOf(contributes: Contributions): PluginKind[] {
  return Object.entries(GROUP_KINDS)
    .filter(([group]) => Array.isArray(contributes[group]) && (contributes[group] as unknown[]).length > 0)
    .map(([, kind]) => kind);
}
