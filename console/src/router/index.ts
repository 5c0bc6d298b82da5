import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { getTokens } from '@/api/client';
import { useAuthStore } from '@/stores/auth';
import { useWorkspaceStore } from '@/stores/workspace';
// The sign-in pages are what a first visit paints: bundled with the entry (≈3 KB) to save a round trip.
import LoginView from '@/views/LoginView.vue';
import SetupView from '@/views/SetupView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (setup, login, activation). */
    public?: boolean;
    /** i18n key of the page title. */
    title?: string;
    /** The install level: only for install owners and admins (GET /account/authority). */
    install?: boolean;
  }
}

// Every other view is its own chunk: the first load carries only the shell and the page asked for.
const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/apps' },
  { path: '/setup', name: 'setup', component: SetupView, meta: { public: true, title: 'setup.title' } },
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: 'login.title' } },
  { path: '/forgot-password', name: 'forgot-password', component: () => import('@/views/ForgotPasswordView.vue'), meta: { public: true, title: 'forgot.title' } },
  { path: '/activate', name: 'activate', component: () => import('@/views/ActivateView.vue'), meta: { public: true, title: 'activate.title' } },
  { path: '/apps', name: 'apps', component: () => import('@/views/AppsView.vue'), meta: { title: 'nav.apps' } },
  {
    path: '/apps/:id',
    component: () => import('@/views/AppLayoutView.vue'),
    props: true,
    children: [
      { path: '', name: 'app-configure', component: () => import('@/views/AppConfigureView.vue'), props: true, meta: { title: 'app.tabs.configure' } },
      { path: 'api', name: 'app-api', component: () => import('@/views/AppApiView.vue'), props: true, meta: { title: 'app.tabs.api' } },
      { path: 'logs', name: 'app-logs', component: () => import('@/views/AppLogsView.vue'), props: true, meta: { title: 'app.tabs.logs' } },
      { path: 'logs/:cid', name: 'app-conversation', component: () => import('@/views/ConversationView.vue'), props: true, meta: { title: 'logs.conversation' } },
      { path: 'usage', name: 'app-usage', component: () => import('@/views/AppUsageView.vue'), props: true, meta: { title: 'app.tabs.usage' } },
    ],
  },
  { path: '/providers', name: 'providers', component: () => import('@/views/ProvidersView.vue'), meta: { title: 'nav.providers' } },
  { path: '/plugins', name: 'plugins', component: () => import('@/views/PluginsView.vue'), meta: { title: 'nav.plugins' } },
  { path: '/plugins/:name', name: 'plugin', component: () => import('@/views/PluginDetailView.vue'), props: true, meta: { title: 'nav.plugins' } },
  { path: '/marketplace', name: 'marketplace', component: () => import('@/views/MarketplaceView.vue'), meta: { title: 'nav.marketplace' } },
  { path: '/marketplace/:name', name: 'marketplace-plugin', component: () => import('@/views/MarketplaceDetailView.vue'), props: true, meta: { title: 'nav.marketplace' } },
  { path: '/workspace', name: 'workspace', component: () => import('@/views/WorkspaceView.vue'), meta: { title: 'nav.workspace' } },
  { path: '/system', name: 'system', component: () => import('@/views/SystemView.vue'), meta: { title: 'nav.system', install: true } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { public: true, title: 'notFound.title' } },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  if (to.name === 'not-found' || to.name === 'activate') return true;
  let setupDone = auth.setupDone;
  if (setupDone !== true) {
    try {
      setupDone = await auth.checkSetup();
    } catch {
      setupDone = true; // the kernel is unreachable: the login page says so
    }
  }
  if (!setupDone) return to.name === 'setup' ? true : { name: 'setup' };
  if (to.name === 'setup') return { name: getTokens() ? 'apps' : 'login' };
  if (to.meta.public) return to.name === 'login' && getTokens() ? { name: 'apps' } : true;
  if (!getTokens()) return { name: 'login', query: to.fullPath !== '/apps' ? { redirect: to.fullPath } : {} };
  const workspace = useWorkspaceStore();
  if (!workspace.current) {
    try {
      await Promise.all([workspace.load(), auth.profile ? Promise.resolve() : auth.loadProfile()]);
    } catch {
      if (!getTokens()) return { name: 'login' };
    }
  }
  if (to.meta.install && !workspace.installRole) return { name: 'apps' };
  return true;
});
