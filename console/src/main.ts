import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { onUnauthorized } from './api/client';
import { i18n, currentLocale } from './i18n';
import { router } from './router';
import { useAuthStore } from './stores/auth';
import { useWorkspaceStore } from './stores/workspace';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(i18n).use(router);
document.documentElement.lang = currentLocale();

// A session the server refuses to refresh: back to the login page, keeping where we were.
onUnauthorized(() => {
  useAuthStore(pinia).forget();
  useWorkspaceStore(pinia).reset();
  const here = router.currentRoute.value;
  if (!here.meta.public) void router.push({ name: 'login', query: { redirect: here.fullPath } });
});

// Keyboard and screen-reader users land at the top of the new page, not on a control that is gone.
router.afterEach((to, from) => {
  if (!from.matched.length || to.matched[0] === from.matched[0]) return;
  requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }));
});

app.mount('#app');
