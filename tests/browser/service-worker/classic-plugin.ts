// Serves sw.ts bundled into one classic script at sw.classic.js, for the
// browser tier's vite server: Firefox ESR has no module service workers, and
// a classic one must carry everything it runs (it cannot import). Bundled on
// each request, so it is always the current sources (scripts/classic-script.mjs,
// which the bench's service worker uses too).
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { classicScript } from '../../../scripts/classic-script.mjs';

const ENTRY = fileURLToPath(new URL('./sw.ts', import.meta.url));
const URL_PATH = '/tests/browser/service-worker/sw.classic.js';

export function classicServiceWorker(): Plugin {
  return classicScript({ name: 'opfs-log-classic-service-worker', entry: ENTRY, path: URL_PATH });
}
