import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { bundledLibrary } from './tests/browser/bundles.ts';
import { classicServiceWorker } from './tests/browser/service-worker/classic-plugin.ts';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Open a browser tab for `npm run demo` only where there is a screen to show it
// on; on a headless Linux box `xdg-open` would just fail noisily.
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

// Set by playwright.config.ts for the browser tier's server: no hot reload, so
// an edit saved while tests run cannot reload a page in the middle of a test.
const testServer = process.env.OPFS_LOG_TEST_SERVER === '1';

// Set by .ci/run: vitest also writes a JSON report there, for scripts/ci-summary.mjs.
const vitestJson = process.env.VITEST_JSON_OUTPUT;

// One config for the demo dev server (`npm run demo`), the browser tier's
// server (playwright.config.ts starts `vite --port 5199`) and vitest.
export default defineConfig({
  // Svelte components for the browser tier's binding pages (tests/browser/bindings/); .tsx needs no plugin.
  // The service-worker tests' classic script for Firefox (tests/browser/service-worker/classic-plugin.ts).
  // The test server's library, bundled (tests/browser/bundles.ts).
  plugins: [svelte(), classicServiceWorker(), ...(testServer ? [bundledLibrary()] : [])],
  // The package's own names, for the README's binding examples that the browser tier renders as written
  // (tests/browser/bindings/readme/): the same modules as the pages' /src/index.ts.
  resolve: {
    alias: [
      { find: /^opfs-log$/, replacement: source('./src/index.ts') },
      { find: /^opfs-log\/react$/, replacement: source('./src/react.ts') },
      { find: /^opfs-log\/vue$/, replacement: source('./src/vue.ts') },
    ],
  },
  server: {
    port: 5173,
    strictPort: true,
    open: hasDisplay && !testServer,
    hmr: !testServer,
    // The browser tier's server transforms the pages' modules as it starts, not while the
    // first tests wait for them (harness, worker, explorer, the specs' page-side tools).
    warmup: testServer
      ? {
          clientFiles: [
            './tests/browser/harness.ts',
            './tests/browser/*-page.ts',
            './tests/browser/bindings/*-page.{ts,tsx}',
            './worker/worker.ts',
            './demo/main.ts',
            './demo/todo/main.tsx',
          ],
        }
      : undefined,
  },
  // Pre-bundle the runtime deps up front: if vite found one late (in the worker)
  // it would re-optimize and reload pages mid-test.
  // The NATS client (CommonJS) is for opfs-log/jetstream's pages (tests/browser/jetstream.spec.ts),
  // React and Vue for the bindings' (tests/browser/bindings.spec.ts; the Svelte plugin adds Svelte).
  // SQLite-WASM (the benchmark's peer) loads its .wasm beside its module: vite must not pre-bundle it.
  optimizeDeps: {
    include: [
      'comlink',
      'idb',
      'fflate',
      '@nats-io/nats-core',
      '@nats-io/jetstream',
      'react',
      'react/jsx-dev-runtime',
      'react-dom/client',
      'vue',
    ],
    exclude: ['@sqlite.org/sqlite-wasm'],
  },
  // `vite build` builds both demo pages: the explorer and the todo list (todo.html, demo/todo/).
  build: {
    rolldownOptions: { input: { explorer: source('./index.html'), todo: source('./todo.html') } },
  },
  // The engine runs in a dedicated *module* worker (`new Worker(url, { type: 'module' })`).
  worker: { format: 'es' },
  test: {
    // Only the Node tier: Playwright's `tests/browser/*.spec.ts` never run here.
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    // .ci/run runs this tier beside the browser tier on two saturated cores, where a test takes ten
    // times as long as alone: 5 s (vitest's default) failed tests that take 0.5 s alone.
    testTimeout: 30_000,
    // IndexedDB for the engine in Node: fake-indexeddb's globals (IDBKeyRange etc.).
    setupFiles: ['fake-indexeddb/auto'],
    reporters: vitestJson ? ['default', 'json'] : ['default'],
    outputFile: vitestJson ? { json: vitestJson } : undefined,
  },
});
