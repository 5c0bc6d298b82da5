import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, ApiError, seg } from '@/api/client';
import type { ApiKey, App, AppMode, Conversation, DailyStat, Message, ModelConfig, Page } from '@/api/types';

/** Apps of the current workspace (docs/api/console-apps.md). */
export const useAppsStore = defineStore('apps', () => {
  const page = ref<Page<App> | null>(null);
  const current = ref<App | null>(null);
  /** The builder's form differs from the saved draft (set by the Configure tab; Publish serves only what is saved). */
  const draftDirty = ref(false);

  async function list(query: { page?: number; limit?: number; mode?: AppMode | ''; name?: string } = {}) {
    page.value = await api.get<Page<App>>('/apps', { page: query.page ?? 1, limit: query.limit ?? 30, mode: query.mode, name: query.name });
    return page.value;
  }
  const create = (input: { name: string; mode: AppMode; description?: string; icon?: string; icon_background?: string }) => api.post<App>('/apps', { icon_type: 'emoji', ...input });
  async function load(id: string) {
    current.value = await api.get<App>(`/apps/${seg(id)}`);
    return current.value;
  }
  async function update(id: string, fields: Partial<Pick<App, 'name' | 'description' | 'icon' | 'icon_background' | 'max_active_requests' | 'api_rpm'>>) {
    current.value = await api.put<App>(`/apps/${seg(id)}`, fields);
    return current.value;
  }
  async function saveConfig(id: string, config: ModelConfig) {
    current.value = await api.put<App>(`/apps/${seg(id)}/model-config`, config);
    return current.value;
  }
  async function publish(id: string) {
    current.value = await api.post<App>(`/apps/${seg(id)}/publish`);
    return current.value;
  }
  const versions = async (id: string) => (await api.get<{ data: Array<{ id: string; version: string | number; created_at: number }> }>(`/apps/${seg(id)}/versions`)).data;
  const copy = (id: string, name: string) => api.post<App>(`/apps/${seg(id)}/copy`, { name });
  const remove = (id: string) => api.del(`/apps/${seg(id)}`);
  async function setApiEnabled(id: string, enable: boolean) {
    current.value = await api.post<App>(`/apps/${seg(id)}/api-enable`, { enable_api: enable });
  }

  const apiKeys = async (id: string) => (await api.get<{ data: ApiKey[] }>(`/apps/${seg(id)}/api-keys`)).data;
  const createKey = (id: string) => api.post<ApiKey>(`/apps/${seg(id)}/api-keys`);
  const revokeKey = (id: string, keyId: string) => api.del(`/apps/${seg(id)}/api-keys/${seg(keyId)}`);

  const conversations = (id: string, query: { page?: number; limit?: number; keyword?: string; source?: string }) => api.get<Page<Conversation>>(`/apps/${seg(id)}/conversations`, query);
  const messages = (id: string, cid: string, page = 1) => api.get<Page<Message>>(`/apps/${seg(id)}/conversations/${seg(cid)}/messages`, { page, limit: 100 });
  const statistics = async (id: string, start: number, end: number) => (await api.get<{ data: DailyStat[] }>(`/apps/${seg(id)}/statistics`, { start, end })).data;

  /**
   * Imports a DSL. A refused file comes back (400, or 200 for a pending one gone wrong) in Dify's
   * shape `{ status: 'failed', error }`, without a `code`: its message — a YAML error names the
   * line and column — is kept, under the API's code if it sends one (issue #14).
   */
  async function importDsl(yaml: string) {
    type ImportResult = { id: string; status: string; app_id: string | null; error: string; code?: string };
    let res: ImportResult;
    try {
      res = await api.post<ImportResult>('/apps/imports', { mode: 'yaml-content', yaml_content: yaml });
    } catch (error) {
      const body = error instanceof ApiError ? (error.body as Partial<ImportResult> | undefined) : undefined;
      if (body?.status === 'failed' && body.error) throw new ApiError(body.code ?? 'import_failed', body.error, (error as ApiError).status);
      throw error;
    }
    if (res.status === 'failed' || !res.app_id) throw new ApiError(res.code ?? 'import_failed', res.error, 400);
    return res;
  }
  const exportDsl = async (id: string) => (await api.get<{ data: string }>(`/apps/${seg(id)}/export`)).data;

  return { page, current, draftDirty, list, create, load, update, saveConfig, publish, versions, copy, remove, setApiEnabled, apiKeys, createKey, revokeKey, conversations, messages, statistics, importDsl, exportDsl };
});
