import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, seg } from '@/api/client';
import type { InstallAccount, InstallRole, SystemSettings, TrustedPublisher, WorkspaceCreation } from '@/api/types';

/**
 * The install level (install owner and admins only): system settings, the
 * install's accounts and their install roles, and the marketplace's trust —
 * publishers and whether unsigned packages may be installed.
 */
export const useSystemStore = defineStore('system', () => {
  const settings = ref<SystemSettings | null>(null);
  const accounts = ref<InstallAccount[]>([]);
  const accountsTotal = ref(0);
  const publishers = ref<TrustedPublisher[]>([]);
  const allowUnsigned = ref<boolean | null>(null);

  async function loadSettings() {
    settings.value = await api.get<SystemSettings>('/system/settings');
  }
  async function setWorkspaceCreation(mode: WorkspaceCreation) {
    settings.value = await api.put<SystemSettings>('/system/settings', { workspace_creation: mode });
  }

  async function loadAccounts(page: number, limit: number) {
    const res = await api.get<{ data: InstallAccount[]; total: number }>('/system/accounts', { page, limit });
    accounts.value = res.data;
    accountsTotal.value = res.total;
  }
  async function setInstallRole(id: string, role: Exclude<InstallRole, 'owner'> | null) {
    const res = await api.put<{ id: string; install_role: InstallRole | null }>(`/system/accounts/${seg(id)}/install-role`, { install_role: role });
    accounts.value = accounts.value.map((a) => (a.id === id ? { ...a, install_role: res.install_role } : a));
  }

  async function loadMarketplace() {
    const [list, s] = await Promise.all([api.get<{ data: TrustedPublisher[] }>('/marketplace/publishers'), api.get<{ allow_unsigned: boolean }>('/marketplace/settings')]);
    publishers.value = list.data;
    allowUnsigned.value = s.allow_unsigned;
  }
  async function setAllowUnsigned(allow: boolean) {
    allowUnsigned.value = (await api.put<{ allow_unsigned: boolean }>('/marketplace/settings', { allow_unsigned: allow })).allow_unsigned;
  }
  async function addPublisher(name: string, publicKey: string) {
    const res = await api.post<{ keyid: string }>('/marketplace/publishers', { name, public_key: publicKey });
    await loadMarketplace();
    return res.keyid;
  }
  async function removePublisher(keyid: string) {
    await api.del(`/marketplace/publishers/${seg(keyid)}`);
    await loadMarketplace();
  }

  function reset() {
    settings.value = null;
    accounts.value = [];
    accountsTotal.value = 0;
    publishers.value = [];
    allowUnsigned.value = null;
  }

  return { settings, accounts, accountsTotal, publishers, allowUnsigned, loadSettings, setWorkspaceCreation, loadAccounts, setInstallRole, loadMarketplace, setAllowUnsigned, addPublisher, removePublisher, reset };
});
