import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, seg } from '@/api/client';
import type { Grants, MarketplaceDetail, MarketplaceItem, PluginKind } from '@/api/types';

/** The plugin marketplace (docs/operations/marketplace.md): search, detail, install. */
export const useMarketplaceStore = defineStore('marketplace', () => {
  const results = ref<MarketplaceItem[]>([]);

  async function search(q: string, kind: PluginKind | '', signal?: AbortSignal) {
    results.value = (await api.get<{ data: MarketplaceItem[] }>('/marketplace/plugins', { q, kind }, signal)).data;
  }
  const detail = (name: string) => api.get<MarketplaceDetail>(`/marketplace/plugins/${seg(name)}`);
  const install = (name: string, version: string, grants: Grants) =>
    api.post<{ plugin: { name: string; version: string }; enabled: boolean }>(`/marketplace/plugins/${seg(name)}/install`, { version, granted_permissions: grants });

  return { results, search, detail, install };
});
