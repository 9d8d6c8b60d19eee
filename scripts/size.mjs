#!/usr/bin/env node
/**
 * What the package costs an app, kept from growing unnoticed: builds the
 * JavaScript (scripts/build.mjs, into node_modules/.cache/opfs-log-size, not
 * dist/), then bundles it as an app's bundler would, with comlink, idb and
 * fflate, minified, and prints two sizes (minified and gzipped):
 *
 * - the main thread: dist/index.js and what it imports up front (not the
 *   engine's chunk, which only `open` inside a worker loads);
 * - the worker: dist/worker.js, self-contained;
 * - replication: dist/jetstream.js and what it imports up front, without the
 *   NATS client (an optional peer dependency the app brings);
 * - the bindings: dist/react.js and dist/vue.js, our code only (React, Vue and
 *   the core they import from ./index.js are the app's already).
 *
 * It fails if either is over its budget (the numbers below, a little above
 * today's: raise one on purpose, in the same change that grows it), if the
 * main thread's bundle holds the engine or a binding (or React, Vue), or if the built entry throws when
 * imported in Node (as during server-side rendering) or its `open()` there
 * does not reject `Unsupported`.
 *
 *   node scripts/size.mjs   (npm run size, run by `npm test`)
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPackage } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'node_modules/.cache/opfs-log-size');

/** Budgets in bytes, gzipped (main: projections, with their snapshot store and encoder, added ~3.4 KiB; latestMessages ~0.45 KiB; service workers ~0.4 KiB: open running the engine in place where no worker can start, and a tab's claim on a service worker's log; worker: the asynchronous backend, staged files committed whole, ~1 KiB, with WebKitGTK's probe, readonly reads that look a moved file up again and the producer table compacted while open, ~0.3 KiB; the pool of open segment files, summaries and key filters read on demand, ~1.8 KiB, and the maxOpenFiles option's check on the main thread, ~0.2 KiB; the worker and the service worker: CRC-32C in WebAssembly, the module and its loader, ~0.9 KiB; the worker and the service worker: fflate's inflater evaluated on demand, its wrapper ~0.3 KiB; key filters from a mixed hash in a store of their own, sealed files read through a kept snapshot where handles are dear, and the key lookups' scan before a sort, ~0.1 KiB; the worker and the service worker: an open that takes the writer's known files for the directory's listing, and loaded indexes kept within a budget, ~0.8 KiB; all three: summaries kept 256 to an IndexedDB record with the upgrade that moves them, a segment file gone missing told apart, and a readonly log's indexes bounded, ~0.6 KiB; the worker and the service worker: saved key filters bit-sliced 32 segments to a block for the key lookups' walk, ~0.6 KiB; the worker and the service worker: a cold open's waits made concurrent, the directory asked for as the worker's script runs, the head's record and the producer table's files looked for while the files open, ~0.1 KiB). The service worker's entry carries the client and the engine. The jetstream, react and vue entries' are for our code only: the NATS client, React and Vue are the app's (peers), and so is the core a binding imports. */
const BUDGET = { main: 30_400, worker: 35_400, serviceWorker: 50_400, jetstream: 9_500, react: 750, vue: 400 };

/** Sources that must stay out of the main thread's bundle: the engine, segment files, the restore. */
const ENGINE =
  /^src\/(engine\/(engine|load|rewrite|snapshot|replace|retention|backup)|segment\/segment|archive\/(restore|verify|zip))\.ts$/;

await buildPackage({ outdir: join(out, 'dist'), types: false, metafile: join(out, 'client-meta.json') });

/** Sources and packages that must stay out of the main thread's bundle: the framework bindings and their frameworks. */
const BINDINGS = /^src\/(react|vue)\.ts$/;
const FRAMEWORKS = /^(react|react-dom|vue)(\/|$)/;

/** The core beside a binding (./index.js): the app has it already. */
const coreExternal = {
  name: 'core-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** Bundles `entry` as an app would, minified; resolves to the bytes the page loads up front. */
async function measure(entry, { splitting, external = [], plugins = [] }) {
  const result = await build({
    entryPoints: [entry],
    external,
    plugins,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    splitting,
    outdir: join(out, 'measure'),
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const byPath = new Map(result.outputFiles.map((f) => [relative(root, f.path), f.contents]));
  const bytes = Buffer.concat([...upFrontOf(result.metafile.outputs)].map((p) => byPath.get(p)));
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The entry's output file (the first, or the one built from `entry`) and those it imports statically: a dynamic import() is a chunk loaded later. */
function upFrontOf(outputs, entry) {
  const upFront = new Set();
  const visit = (p) => {
    if (upFront.has(p) || !outputs[p]) return; // !outputs[p]: an external package
    upFront.add(p);
    for (const imported of outputs[p].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(Object.keys(outputs).find((p) => (entry ? outputs[p].entryPoint === entry : outputs[p].entryPoint)));
  return upFront;
}

const main = await measure(join(out, 'dist/index.js'), { splitting: true });
// `opfs-log/service-worker`: the client and the engine, all up front (a service worker may not import()).
const serviceWorker = await measure(join(out, 'dist/service-worker.js'), { splitting: true });
const worker = await measure(join(out, 'dist/worker.js'), { splitting: false });
// What `opfs-log/jetstream` adds up front, besides the NATS client (~62 KiB gzipped, the app's own dependency).
const jetstream = await measure(join(out, 'dist/jetstream.js'), { splitting: true, external: ['@nats-io/*'] });

// What `opfs-log/react` and `opfs-log/vue` add: their own code, beside the core and the framework.
const bindingOptions = { splitting: true, external: ['react', 'vue'], plugins: [coreExternal] };
const react = await measure(join(out, 'dist/react.js'), bindingOptions);
const vue = await measure(join(out, 'dist/vue.js'), bindingOptions);

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const problems = [];
for (const [name, size] of [
  ['main thread', main],
  ['worker', worker],
  ['service worker', serviceWorker],
  ['jetstream', jetstream],
  ['react', react],
  ['vue', vue],
]) {
  const budget = {
    'main thread': BUDGET.main,
    worker: BUDGET.worker,
    'service worker': BUDGET.serviceWorker,
    jetstream: BUDGET.jetstream,
    react: BUDGET.react,
    vue: BUDGET.vue,
  }[name];
  console.log(
    `${name.padEnd(12)} ${kb(size.min).padStart(10)} min  ${kb(size.gzip).padStart(9)} gzip  (budget ${kb(budget)} gzip)`,
  );
  if (size.gzip > budget)
    problems.push(`the ${name} bundle is ${size.gzip} B gzipped, over its budget of ${budget} B (scripts/size.mjs)`);
}

// The sources in the client's entry and the chunks it imports up front, from the build's metafile.
const meta = JSON.parse(readFileSync(join(out, 'client-meta.json'), 'utf8'));
const engineInMain = [...upFrontOf(meta.outputs, 'src/index.ts')]
  .flatMap((p) => Object.keys(meta.outputs[p].inputs))
  .filter((p) => ENGINE.test(p));
if (engineInMain.length) problems.push(`the main thread's bundle holds the engine: ${engineInMain.join(', ')}`);
const engineInServiceWorker = [...upFrontOf(meta.outputs, 'src/service-worker.ts')].some((p) =>
  Object.keys(meta.outputs[p].inputs).includes('src/engine/engine.ts'),
);
if (!engineInServiceWorker) problems.push('the service worker entry does not import the engine up front');
const bindingsInMain = [...upFrontOf(meta.outputs, 'src/index.ts')].flatMap((p) => [
  ...Object.keys(meta.outputs[p].inputs).filter((input) => BINDINGS.test(input)),
  ...meta.outputs[p].imports.filter((i) => i.external && FRAMEWORKS.test(i.path)).map((i) => i.path),
]);
if (bindingsInMain.length)
  problems.push(`the main thread's bundle holds a framework binding: ${[...new Set(bindingsInMain)].join(', ')}`);

// Imported in plain Node, as during server-side rendering: no throw, and open() rejects Unsupported.
const probe = `
  const m = await import(${JSON.stringify(pathToFileURL(join(out, 'dist/index.js')).href)});
  const err = await m.open('logs/x').then(() => null, (e) => e);
  console.log(JSON.stringify({ code: err?.code, isLogError: err instanceof m.LogError }));`;
try {
  const said = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }).trim(),
  );
  if (said.code !== 'Unsupported' || !said.isLogError)
    problems.push(`in Node, open() should reject LogError Unsupported, got ${JSON.stringify(said)}`);
  else console.log('node import  ok: no throw at import; open() rejects Unsupported');
} catch (err) {
  problems.push(`importing the built entry in Node failed: ${err.stderr || err.message}`);
}

if (problems.length) {
  for (const p of problems) console.error(`size: ${p}`);
  process.exit(1);
}
