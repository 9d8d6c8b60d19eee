// The built worker (dist/worker.js), served to the bench's pages as a static
// file server would serve it in an app: the file as built, revalidated by its
// ETag. Through vite's dev pipeline it came transformed with an inline source
// map (1 MB for its 0.2 MB) and each fresh tab paid for that transform's
// checks: the cold start then timed vite, not opfs-log (BENCHMARKS.md).
// The main thread's files stay vite's: they import comlink and idb by bare
// name, which only vite resolves here; the worker has them inlined.
import { readFileSync, statSync } from 'node:fs';

const WORKER = '/dist/worker.js';

/** A vite plugin answering requests for dist/worker.js (whatever query vite's rewrite added) from `root`. */
export function staticWorker(root) {
  const file = new URL(`.${WORKER}`, root);
  return {
    name: 'bench-static-worker',
    configureServer(server) {
      // Added here, before vite's own middlewares, so that its transform never sees the request.
      server.middlewares.use((req, res, next) => {
        if (new URL(req.url ?? '/', 'http://bench').pathname !== WORKER) return next();
        const { size, mtimeMs } = statSync(file);
        const etag = `"${size}-${Math.round(mtimeMs)}"`;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache', etag });
        res.end(readFileSync(file));
      });
    },
  };
}
