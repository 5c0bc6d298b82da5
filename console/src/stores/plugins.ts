import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, seg } from '@/api/client';
import type { Grants, Plugin, Tool } from '@/api/types';

/** Installed plugins in this workspace (docs/api/console-plugins.md) and their tools. */
export const usePluginsStore = defineStore('plugins', () => {
  const plugins = ref<Plugin[]>([]);
  const tools = ref<Tool[]>([]);

  async function load() {
    plugins.value = (await api.get<{ data: Plugin[] }>('/plugins')).data;
  }
  const detail = (name: string) => api.get<Plugin>(`/plugins/${seg(name)}`);
  async function loadTools() {
    tools.value = (await api.get<{ data: Tool[] }>('/tools')).data;
  }
  const enable = (name: string, grants: Grants, version?: string) => api.post(`/plugins/${seg(name)}/enable`, { granted_permissions: grants, ...(version ? { version } : {}) });
  const disable = (name: string) => api.post(`/plugins/${seg(name)}/disable`);
  const upgrade = (name: string, version?: string) => api.post(`/plugins/${seg(name)}/upgrade`, version ? { version } : {});
  const rollback = (name: string) => api.post(`/plugins/${seg(name)}/rollback`);
  const uninstall = (name: string) => api.del(`/plugins/${seg(name)}`);
  const secretNames = async (name: string) => (await api.get<{ names: string[] }>(`/plugins/${seg(name)}/secrets`)).names;
  const setSecrets = async (name: string, secrets: Record<string, string | null>) => (await api.put<{ names: string[] }>(`/plugins/${seg(name)}/secrets`, { secrets })).names;
  const invoke = async (plugin: string, tool: string, args: Record<string, unknown>, signal?: AbortSignal) =>
    (await api.post<{ result: unknown }>(`/tools/${seg(plugin)}/${seg(tool)}/invoke`, { arguments: args }, signal ? { signal } : {})).result;
  async function upload(file: File) {
    const form = new FormData();
    form.append('file', file);
    return api.post<{ plugin: { name: string; version: string } }>('/plugins/upload', form);
  }

  return { plugins, tools, load, detail, loadTools, enable, disable, upgrade, rollback, uninstall, secretNames, setSecrets, invoke, upload };
});
