// The browser tier's server (vite.config.ts, the test server only) hands out
// the library bundled, as an app's bundler would, instead of one module per
// source file: the harness page loaded ~90 modules and every `open` started a
// worker that loaded ~50 more, each through the server, 0.5-2 s per tab or
// open in Firefox on a loaded machine. `npm run demo` serves the sources as
// they are.
//
// - The worker (what the client's `new Worker(new URL('../../worker/worker.ts',
//   import.meta.url), …)` asks for): one self-contained file, as
//   dist/worker.js is.
// - The pages' entries (src/index.ts, src/jetstream.ts, src/react.ts,
//   src/vue.ts and the harness, tests/browser/harness.ts): one build whose
//   shared code is in chunks, so a page that imports several of them (the
//   harness and a spec's page tools, which import /src/index.ts) still has one
//   copy of each module. Packages stay imports, which vite resolves to its
//   pre-bundled copies (one React for the bindings' pages and the library).
//
// Any other module (the specs' page tools, the demo's own files, the worker
// at /worker/worker.ts without vite's `worker_file` query) is served as it is.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin, ViteDevServer } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** The request for the worker that the client starts, as vite rewrites its URL. */
const WORKER_REQUEST = /^\/worker\/worker\.ts\?(?:.*&)?worker_file(?:&|$)/;
/** Where the client finds the worker in the sources (src/client/spawn.ts), and in the page bundle. */
const SOURCE_WORKER_PATH = '../../worker/worker.ts';
const BUNDLED_WORKER_PATH = '/worker/worker.ts';
const PAGE_ENTRIES = {
  index: 'src/index.ts',
  jetstream: 'src/jetstream.ts',
  react: 'src/react.ts',
  vue: 'src/vue.ts',
  harness: 'tests/browser/harness.ts',
};
/** The ids the shared chunks are served under (no such directory exists). */
const CHUNKS = `${ROOT}/__bundled__`;

interface Bundle {
  /** Module id (an entry's source path, or a chunk's) to its code. */
  files: Map<string, string>;
  /** Each input file's modification time when it was bundled. */
  inputs: Map<string, number>;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

const common: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  logLevel: 'warning',
};

/** The client's worker URL, absolute: the chunk that holds it is not beside src/client/. */
const workerUrl: EsbuildPlugin = {
  name: 'bundled-worker-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]client[\\/]spawn\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(`'${SOURCE_WORKER_PATH}'`))
        throw new Error(`src/client/spawn.ts no longer names '${SOURCE_WORKER_PATH}': update ${import.meta.url}`);
      return { contents: text.replaceAll(`'${SOURCE_WORKER_PATH}'`, `'${BUNDLED_WORKER_PATH}'`), loader: 'ts' };
    });
  },
};

function inputsOf(metafile: Metafile | undefined): Map<string, number> {
  const files = Object.keys(metafile?.inputs ?? {}).map((p) => `${ROOT}/${p}`);
  return new Map(files.map((f) => [f, mtime(f)]));
}

async function bundleWorker(): Promise<Bundle> {
  const result = await build({ ...common, entryPoints: ['worker/worker.ts'] });
  return { files: new Map([['worker', result.outputFiles![0]!.text]]), inputs: inputsOf(result.metafile) };
}

async function bundlePages(): Promise<Bundle> {
  const result = await build({
    ...common,
    entryPoints: PAGE_ENTRIES,
    splitting: true,
    packages: 'external',
    outdir: CHUNKS,
    chunkNames: 'chunk-[hash]',
    // The package says it has no side effects (true of src/), but the contract cases register themselves on import.
    ignoreAnnotations: true,
    plugins: [workerUrl],
  });
  const sourceOf = new Map(Object.entries(PAGE_ENTRIES).map(([name, path]) => [`${CHUNKS}/${name}.js`, path]));
  const files = new Map<string, string>();
  for (const file of result.outputFiles!) {
    const source = sourceOf.get(file.path);
    files.set(source === undefined ? file.path : `${ROOT}/${source}`, file.text);
  }
  return { files, inputs: inputsOf(result.metafile) };
}

/** A bundle made once and made again when a file it was made of changed (an edit beside a reused server). */
function cached(make: () => Promise<Bundle>): () => Promise<Bundle> {
  let current: Promise<Bundle> | null = null;
  let made: Bundle | null = null;
  return async () => {
    if (made && [...made.inputs].some(([file, at]) => mtime(file) !== at)) current = null;
    current ??= make().then((b) => (made = b));
    return current;
  };
}

/** After an edit, the page modules vite has transformed from an older bundle are transformed again. */
function invalidateOnEdit(server: ViteDevServer, pages: () => Promise<Bundle>): void {
  server.watcher.on('change', async (file) => {
    const bundle = await pages();
    if (!bundle.inputs.has(file)) return;
    for (const id of bundle.files.keys()) {
      const module = server.moduleGraph.getModuleById(id);
      if (module) server.moduleGraph.invalidateModule(module);
    }
  });
}

export function bundledLibrary(): Plugin {
  const worker = cached(bundleWorker);
  const pages = cached(bundlePages);
  return {
    name: 'opfs-log-bundled-library',
    apply: 'serve',
    enforce: 'pre',
    configureServer(server) {
      // Bundled as the server starts, not while the first test waits.
      void worker();
      void pages();
      invalidateOnEdit(server, pages);
      server.middlewares.use((req, res, next) => {
        if (!WORKER_REQUEST.test(req.url ?? '')) return next();
        worker().then(({ files }) => {
          res.setHeader('Content-Type', 'text/javascript');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(files.get('worker'));
        }, next);
      });
    },
    async resolveId(source, importer) {
      if (source.startsWith('/__bundled__/')) return `${ROOT}${source}`; // a chunk's URL, as the page asks for it
      // A bundled module's import of a chunk (`./chunk-….js`): the one id of that chunk, whoever imports it.
      if (!importer || !/^\.\/chunk-[\w-]+\.js$/.test(source)) return null;
      const { files } = await pages();
      return files.has(importer) ? `${CHUNKS}/${source.slice(2)}` : null;
    },
    async load(id) {
      const { files } = await pages();
      return files.get(id.replace(/\?.*$/, '')) ?? null;
    },
  };
}
