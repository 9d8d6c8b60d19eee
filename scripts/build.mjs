#!/usr/bin/env node
/**
 * Builds the package into dist/ (run by `npm pack` and `npm publish` through
 * `prepack`; the demo and the tests run from source through vite instead):
 *
 * - dist/index.js: the client, the main thread's part, one ESM bundle from
 *   src/index.ts with comlink, idb and fflate left as imports (they are our
 *   `dependencies`, so an app's bundler dedupes them with its own copies). The
 *   engine is not in it: `open` inside a worker loads it with `import()`,
 *   from a chunk of its own (dist/chunk-*.js).
 * - dist/jetstream.js: the `opfs-log/jetstream` entry (replication to NATS
 *   JetStream), built with the client so that they share chunks; the NATS
 *   packages (optional peer dependencies) stay imports.
 * - dist/service-worker.js: the `opfs-log/service-worker` entry, `open` with
 *   the engine imported statically (a service worker may not `import()`),
 *   built with the client so that it shares its chunks (one `LogError`).
 * - dist/react.js, dist/vue.js: the `opfs-log/react` and `opfs-log/vue` entries
 *   (hooks and composables over projections). They use the core through
 *   src/index.ts alone, which stays an import of ./index.js (built on their
 *   own, they would pull the client into a chunk shared with index.js); React
 *   and Vue (optional peer dependencies) stay imports.
 * - dist/worker.js: the dedicated module worker, self-contained (comlink, idb
 *   and fflate inlined): a worker file that imported bare specifiers would
 *   load only through a bundler, and this one must also load as it is.
 * - dist/**\/*.d.ts: the types, emitted by tsc from src/ (tsconfig.build.json).
 *
 * esbuild rather than a bundler on top of it (tsup, or rollup via `vite build
 * --lib`): two plain bundles need nothing more, and it leaves
 * `new Worker(new URL('./worker.js', import.meta.url), …)` exactly as written,
 * the shape Vite and webpack 5 find and bundle. In the sources that URL names
 * worker/worker.ts (what vite serves for the demo and tests); the build points
 * it at the built file beside the client and checks that the shape survived.
 *
 *   node scripts/build.mjs                   (npm run build: dist/)
 *   node scripts/build.mjs DIR --no-types    (the JavaScript only, into DIR)
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** The worker's URL in src/client/spawn.ts, and what it becomes in dist/. */
export const SOURCE_WORKER_PATH = '../../worker/worker.ts';
export const BUILT_WORKER_PATH = './worker.js';
/** The constructor call a bundler looks for, as esbuild prints it. */
export const WORKER_CALL = /new Worker\(new URL\("\.\/worker\.js", import\.meta\.url\), \{ type: "module"/;

/** The runtime dependencies; the client imports them, the worker inlines them. */
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dependencies = Object.keys(pkg.dependencies);
/** The NATS client, React and Vue, optional peers of the entries for them: always the app's own copy, never bundled. */
const peerDependencies = Object.keys(pkg.peerDependencies ?? {});

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  charset: 'utf8',
  legalComments: 'inline',
  logLevel: 'warning',
};

/** Points the client's worker URL at the built worker.js beside it. */
const builtWorkerUrl = {
  name: 'built-worker-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]client[\\/]spawn\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const count = text.split(`'${SOURCE_WORKER_PATH}'`).length - 1;
      if (count === 0)
        throw new Error(`src/client/spawn.ts no longer names '${SOURCE_WORKER_PATH}': update scripts/build.mjs`);
      return { contents: text.replaceAll(`'${SOURCE_WORKER_PATH}'`, `'${BUILT_WORKER_PATH}'`), loader: 'ts' };
    });
  },
};

/** The bindings' import of the public entry: ./index.js beside them, never a copy of it. */
const publicEntry = {
  name: 'public-entry',
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.ts$/ }, () => ({ path: './index.js', external: true }));
  },
};

/**
 * Writes the package into `outdir` (dist/ by default); `types: false` skips the
 * .d.ts files (tsc takes seconds), `metafile` keeps esbuild's account of the
 * client's inputs there (scripts/size.mjs reads it).
 */
export async function buildPackage({ outdir = dist, types = true, metafile } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const client = await build({
    ...common,
    // One build for the three entries, so that what they share (the public constants, LogError) is one
    // chunk: a class defined twice would break `instanceof` between them.
    entryPoints: {
      index: join(root, 'src/index.ts'),
      jetstream: join(root, 'src/jetstream.ts'),
      'service-worker': join(root, 'src/service-worker.ts'),
    },
    outdir,
    metafile: Boolean(metafile),
    splitting: true, // the engine's chunk for `open` inside a worker, and the entries' shared chunk
    chunkNames: '[name]-[hash]', // beside index.js, so './worker.js' is right from every file
    external: [...dependencies, ...peerDependencies],
    plugins: [builtWorkerUrl],
  });
  await build({
    ...common,
    entryPoints: { react: join(root, 'src/react.ts'), vue: join(root, 'src/vue.ts') },
    outdir,
    external: [...dependencies, ...peerDependencies],
    plugins: [publicEntry],
  });
  await build({
    ...common,
    entryPoints: { worker: join(root, 'worker/worker.ts') },
    outdir,
  });
  if (metafile) writeFileSync(metafile, JSON.stringify(client.metafile));
  // The client's code is in index.js or a chunk it shares with the other entries (beside it).
  const clientFiles = readdirSync(outdir).filter((name) => name.endsWith('.js') && name !== 'worker.js');
  if (!clientFiles.some((name) => WORKER_CALL.test(readFileSync(join(outdir, name), 'utf8')))) {
    throw new Error('the client lost `new Worker(new URL("./worker.js", import.meta.url), { type: "module" …`');
  }
  if (types) emitTypes(outdir);
}

/** tsc writes the .d.ts files; their relative imports then name .js, as the built files do. */
function emitTypes(outdir) {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outdir], {
    stdio: 'inherit',
  });
  for (const file of declarations(outdir)) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

function declarations(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declarations(path);
    return entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outdir = args.find((a) => !a.startsWith('--'));
  await buildPackage({ outdir: outdir === undefined ? dist : resolve(outdir), types: !args.includes('--no-types') });
}
