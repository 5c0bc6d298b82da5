import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The console is served by the kernel at `/`, on the same origin as `/console/api`.
// `npm run dev` proxies the API to a kernel on 127.0.0.1:5001 (`npm start`).
const kernel = process.env.TESSERA_URL ?? 'http://127.0.0.1:5001';

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  define: {
    // vue-i18n: composition API only, no devtools in production — smaller bundle.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_DEVTOOLS__: false,
  },
  // bundlerTimings off: its advice about slow plugins is noise in every `npm install` log.
  build: { target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 600, rolldownOptions: { checks: { bundlerTimings: false } } },
  server: {
    proxy: { '/console/api': kernel, '/v1': kernel, '/health': kernel, '/ready': kernel },
  },
});
