import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/api/client';
import type { InvitationResult, Member, Role, Workspace } from '@/api/types';

/** What each role may do — the kernel's table (kernel/src/identity/roles.ts), used to hide what a role cannot do. */
const GRANTS: Record<string, Role[]> = {
  'workspace.manage': ['owner', 'admin'],
  'members.manage': ['owner', 'admin'],
  'providers.manage': ['owner', 'admin'],
  'plugins.manage': ['owner', 'admin'],
  'plugins.use': ['owner', 'admin', 'editor'],
  'apps.view': ['owner', 'admin', 'editor', 'normal'],
  'apps.edit': ['owner', 'admin', 'editor'],
};
export type Permission = keyof typeof GRANTS;

/** Workspaces the caller belongs to, the current one, its members and roles. */
export const useWorkspaceStore = defineStore('workspace', () => {
  const workspaces = ref<Workspace[]>([]);
  const current = ref<Workspace | null>(null);
  const members = ref<Member[]>([]);

  const role = computed<Role | null>(() => current.value?.role ?? null);
  const can = (permission: Permission) => !!role.value && (GRANTS[permission] ?? []).includes(role.value);

  async function load() {
    const [list, cur] = await Promise.all([api.get<{ workspaces: Workspace[] }>('/workspaces'), api.get<Workspace>('/workspaces/current')]);
    workspaces.value = list.workspaces;
    current.value = cur;
  }

  async function switchTo(id: string) {
    await api.post('/workspaces/switch', { tenant_id: id });
    await load();
  }

  async function create(name: string) {
    const created = await api.post<Workspace>('/workspaces', { name });
    await switchTo(created.id);
  }

  async function rename(name: string) {
    current.value = await api.patch<Workspace>('/workspaces/current', { name });
    await load();
  }

  async function loadMembers() {
    members.value = (await api.get<{ accounts: Member[] }>('/workspaces/current/members')).accounts;
  }

  async function invite(emails: string[], role: Role) {
    const res = await api.post<{ invitation_results: InvitationResult[] }>('/workspaces/current/members/invite-email', { emails, role });
    await loadMembers();
    return res.invitation_results;
  }

  async function updateRole(id: string, role: Role) {
    await api.put(`/workspaces/current/members/${id}/update-role`, { role });
    await loadMembers();
  }

  async function removeMember(id: string) {
    await api.del(`/workspaces/current/members/${id}`);
    await loadMembers();
  }

  function reset() {
    workspaces.value = [];
    current.value = null;
    members.value = [];
  }

  return { workspaces, current, members, role, can, load, switchTo, create, rename, loadMembers, invite, updateRole, removeMember, reset };
});
