// A vite plugin that serves a TypeScript entry bundled into one classic
// script (an IIFE): a service worker registered as a classic script must
// carry everything it runs, since it cannot import, and Firefox ESR has no
// module service workers. esbuild bundles it on each request (a registration
// fetches it once, and again when it checks for an update), so it is always
// the current sources. Used by the browser tier's service worker
// (tests/browser/service-worker/classic-plugin.ts) and the bench's
// (bench/service-worker/plugin.mjs).
import { build } from 'esbuild';

/**
 * Serves `entry` (a file path) bundled as a classic script at `path` (a URL
 * path); `plugins` are esbuild's, for a caller that resolves some imports
 * elsewhere.
 */
export function classicScript({ name, entry, path, plugins = [] }) {
  return {
    name,
    configureServer(server) {
      server.middlewares.use(path, (_req, res, next) => {
        build({
          entryPoints: [entry],
          bundle: true,
          format: 'iife',
          target: 'es2022',
          write: false,
          logLevel: 'error',
          plugins,
        })
          .then(({ outputFiles }) => {
            res.setHeader('Content-Type', 'text/javascript');
            res.setHeader('Cache-Control', 'no-cache');
            res.end(outputFiles[0].text);
          })
          .catch(next);
      });
    },
  };
}
