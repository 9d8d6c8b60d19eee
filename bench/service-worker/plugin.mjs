// Serves the bench's service worker (sw.ts) bundled as one classic script at
// protocol.ts's SCRIPT, for bench/run.mjs's vite server; its import of
// src/service-worker.ts is bundled from the built dist/service-worker.js
// instead (bench/run.mjs builds the package first), so the service worker
// runs opfs-log as an app that installed it would.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classicScript } from '../../scripts/classic-script.mjs';

const ENTRY = fileURLToPath(new URL('./sw.ts', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/service-worker.js', import.meta.url));
// protocol.ts's SCRIPT (a .ts file, which Node 20 cannot import).
const SCRIPT = '/bench/service-worker/sw.js';

const builtPackage = {
  name: 'opfs-log-built-service-worker',
  setup(build) {
    build.onResolve({ filter: /[\\/]src[\\/]service-worker\.ts$/ }, () => {
      if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: build the package first (npm run build)`);
      return { path: BUILT };
    });
  },
};

export const benchServiceWorker = () =>
  classicScript({ name: 'opfs-log-bench-service-worker', entry: ENTRY, path: SCRIPT, plugins: [builtPackage] });
