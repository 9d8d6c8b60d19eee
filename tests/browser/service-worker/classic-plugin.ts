// Serves sw.ts bundled into one classic script at sw.classic.js, for the
// browser tier's vite server: Firefox ESR has no module service workers, and
// a classic one must carry everything it runs (it cannot import). esbuild
// bundles it on each request (a registration fetches it once, and again
// when it checks for an update), so it is always the current sources.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const ENTRY = fileURLToPath(new URL('./sw.ts', import.meta.url));
const URL_PATH = '/tests/browser/service-worker/sw.classic.js';

export function classicServiceWorker(): Plugin {
  return {
    name: 'opfs-log-classic-service-worker',
    configureServer(server) {
      server.middlewares.use(URL_PATH, (_req, res, next) => {
        build({ entryPoints: [ENTRY], bundle: true, format: 'iife', target: 'es2022', write: false, logLevel: 'error' })
          .then(({ outputFiles }) => {
            res.setHeader('Content-Type', 'text/javascript');
            res.setHeader('Cache-Control', 'no-cache');
            res.end(outputFiles[0]!.text);
          })
          .catch(next);
      });
    },
  };
}
