import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webDir = fileURLToPath(new URL('.', import.meta.url));
// `vite --config web/vite.config.ts` proxies /api to the backend during development.
const apiTarget = process.env.SIMPLEVIDEO_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: webDir,
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: `${webDir}dist`,
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
});
