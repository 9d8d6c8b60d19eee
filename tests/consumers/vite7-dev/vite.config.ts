import { defineConfig } from 'vite';

// The one line the README's "Use it in your app" asks of Vite 6 and 7 users:
// their dev server would otherwise pre-bundle opfs-log into node_modules/.vite/deps/,
// away from its worker.js.
export default defineConfig({
  optimizeDeps: { exclude: ['opfs-log'] },
});
