import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, getTokens, setTokens, type Tokens } from '@/api/client';
import type { Profile } from '@/api/types';

/** The session: first-run setup, login/logout, the caller's profile. */
export const useAuthStore = defineStore('auth', () => {
  const profile = ref<Profile | null>(null);
  const setupDone = ref<boolean | null>(null);
  const loggedIn = ref(getTokens() !== null);

  const initials = computed(() => (profile.value?.name ?? '?').trim().slice(0, 1).toUpperCase());

  async function checkSetup(): Promise<boolean> {
    if (setupDone.value === true) return true;
    const status = await api.get<{ step: string }>('/setup');
    setupDone.value = status.step === 'finished';
    return setupDone.value;
  }

  async function setup(input: { email: string; name: string; password: string }) {
    await api.post('/setup', input, { anonymous: true });
    setupDone.value = true;
  }

  async function login(email: string, password: string) {
    const res = await api.post<{ data: Tokens }>('/login', { email, password }, { anonymous: true });
    setTokens(res.data);
    loggedIn.value = true;
    await loadProfile();
  }

  async function activate(input: { token: string; name: string; password: string }) {
    await api.post('/activate', input, { anonymous: true });
  }

  async function loadProfile() {
    profile.value = await api.get<Profile>('/account/profile');
    return profile.value;
  }

  async function logout() {
    try {
      await api.post('/logout');
    } catch {
      /* the session may already be gone: forget it anyway */
    }
    forget();
  }

  /** Drops the session locally (after logout, or when the server refused to refresh it). */
  function forget() {
    setTokens(null);
    loggedIn.value = false;
    profile.value = null;
  }

  return { profile, setupDone, loggedIn, initials, checkSetup, setup, login, activate, loadProfile, logout, forget };
});
