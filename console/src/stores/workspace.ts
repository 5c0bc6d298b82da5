import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/api/client';
import type { AcceptedInvitation, Authority, InstallPermission, Invitation, InvitationResult, Member, Role, Workspace, WorkspacePermission } from '@/api/types';

/**
 * Workspaces the caller belongs to, the current one, its members and
 * invitations, and what the caller may do — asked of the kernel
 * (`GET /account/authority`), so the console keeps no copy of the role tables.
 */
export const useWorkspaceStore = defineStore('workspace', () => {
  const workspaces = ref<Workspace[]>([]);
  const current = ref<Workspace | null>(null);
  const members = ref<Member[]>([]);
  const invitations = ref<Invitation[]>([]);
  const authority = ref<Authority | null>(null);

  const role = computed<Role | null>(() => current.value?.role ?? null);
  const installRole = computed(() => authority.value?.install_role ?? null);
  const canCreateWorkspace = computed(() => authority.value?.can_create_workspace === true);
  /** A workspace permission of the caller in the current workspace. */
  const can = (permission: WorkspacePermission) => !!authority.value?.permissions.includes(permission);
  /** An install permission (install owner and admins only). */
  const canInstall = (permission: InstallPermission) => !!authority.value?.install_permissions.includes(permission);

  async function loadAuthority() {
    authority.value = await api.get<Authority>('/account/authority');
  }

  async function load() {
    const [list, cur, auth] = await Promise.all([api.get<{ workspaces: Workspace[] }>('/workspaces'), api.get<Workspace>('/workspaces/current'), api.get<Authority>('/account/authority')]);
    workspaces.value = list.workspaces;
    current.value = cur;
    authority.value = auth;
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

  async function loadInvitations() {
    invitations.value = (await api.get<{ data: Invitation[] }>('/workspaces/current/invitations')).data;
  }

  /** Invites by email: nobody joins until they accept, so only the invitations change. */
  async function invite(emails: string[], role: Role) {
    const res = await api.post<{ invitation_results: InvitationResult[] }>('/workspaces/current/members/invite-email', { emails, role });
    await loadInvitations();
    return res.invitation_results;
  }

  async function revokeInvitation(id: string) {
    await api.del(`/workspaces/current/invitations/${id}`);
    await loadInvitations();
  }

  /** A signed-in account accepts an invitation sent to its address; the workspace becomes its current one. */
  async function acceptInvitation(token: string) {
    const res = await api.post<AcceptedInvitation>('/invitations/accept', { token });
    await load();
    return res.workspace;
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
    invitations.value = [];
    authority.value = null;
  }

  return {
    workspaces, current, members, invitations, authority, role, installRole, canCreateWorkspace, can, canInstall,
    load, loadAuthority, switchTo, create, rename, loadMembers, loadInvitations, invite, revokeInvitation, acceptInvitation, updateRole, removeMember, reset,
  };
});
