import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, seg } from '@/api/client';
import type { CredentialSet, DefaultModel, Provider, ProviderModels } from '@/api/types';

const BASE = '/workspaces/current';
export const MODEL_TYPES = ['llm', 'text-embedding', 'rerank'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Model providers (docs/models/providers.md): credentials, models by type, default models. */
export const useProvidersStore = defineStore('providers', () => {
  const providers = ref<Provider[]>([]);
  const credentials = ref<Record<string, CredentialSet[]>>({});
  const models = ref<Record<string, ProviderModels[]>>({});
  const defaults = ref<Record<string, DefaultModel | null>>({});

  async function load() {
    providers.value = (await api.get<{ data: Provider[] }>(`${BASE}/model-providers`)).data;
  }

  async function loadCredentials(provider: string) {
    credentials.value[provider] = (await api.get<{ data: CredentialSet[] }>(`${BASE}/model-providers/${seg(provider)}/credentials`)).data;
  }

  async function validate(provider: string, values: Record<string, unknown>) {
    return api.post<{ result: 'success' | 'error'; error?: string }>(`${BASE}/model-providers/${seg(provider)}/credentials/validate`, { credentials: values });
  }

  async function addCredentials(provider: string, name: string, values: Record<string, unknown>) {
    await api.post(`${BASE}/model-providers/${seg(provider)}/credentials`, { name, credentials: values });
    await Promise.all([loadCredentials(provider), load()]);
    models.value = {};
  }

  async function removeCredentials(provider: string, id: string) {
    await api.del(`${BASE}/model-providers/${seg(provider)}/credentials/${seg(id)}`);
    await Promise.all([loadCredentials(provider), load()]);
    models.value = {};
  }

  async function loadModels(type: ModelType) {
    models.value[type] = (await api.get<{ data: ProviderModels[] }>(`${BASE}/models/model-types/${type}`)).data;
    return models.value[type]!;
  }

  async function loadDefault(type: ModelType) {
    defaults.value[type] = (await api.get<{ data: DefaultModel | null }>(`${BASE}/default-model`, { model_type: type })).data;
  }

  async function setDefault(type: ModelType, provider: string, model: string) {
    await api.post(`${BASE}/default-model`, { model_settings: [{ model_type: type, provider, model }] });
    await loadDefault(type);
  }

  return { providers, credentials, models, defaults, load, loadCredentials, validate, addCredentials, removeCredentials, loadModels, loadDefault, setDefault };
});
