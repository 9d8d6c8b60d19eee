#!/usr/bin/env node
/**
 * Keeps the library's layers one way: reads every import in src/ and worker/
 * and fails if a file imports one in a layer above it, if imports form a
 * cycle, or if anything in src/ imports worker/. Type-only imports count:
 * they tie a file to the other as much as a value does. (The client starts
 * the worker by URL, which is no import.)
 *
 *   node scripts/check-layers.mjs   (run first by `npm test`)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Low to high: a file may import its own layer or a lower one. */
const LAYERS = [
  ['src/types.ts', 'src/errors.ts', 'src/namespace.ts'],
  ['src/codec/'],
  ['src/storage/'],
  ['src/indexes/'],
  ['src/segment/'],
  ['src/engine/'],
  ['src/protocol/'],
  ['src/client/'],
  ['src/typed/', 'src/retention/', 'src/compaction/', 'src/archive/', 'src/projection/'],
  ['src/index.ts', 'src/service-worker.ts'],
  ['src/jetstream/'],
  ['src/jetstream.ts', 'src/react.ts', 'src/vue.ts'],
  ['worker/'],
];

/**
 * Replication (`opfs-log/jetstream`, its own entry) sees the core as a user
 * does: through src/index.ts and the public modules it re-exports
 * (types.ts, errors.ts), never a module behind them. The framework bindings
 * (`opfs-log/react`, `opfs-log/vue`) go through src/index.ts alone.
 */
const PUBLIC_ONLY = [
  { from: 'src/jetstream/', allowed: ['src/jetstream/', 'src/index.ts', 'src/types.ts', 'src/errors.ts'] },
  { from: 'src/react.ts', allowed: ['src/index.ts'] },
  { from: 'src/vue.ts', allowed: ['src/index.ts'] },
];

function layerOf(file) {
  const at = LAYERS.findIndex((prefixes) => prefixes.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
  return at;
}

function sources(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
function importsOf(file) {
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  const found = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const match of text.matchAll(pattern)) found.push(posix.normalize(posix.join(posix.dirname(file), match[1])));
  return found;
}

const files = [...sources('src'), ...sources('worker')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const problems = [];

for (const [file, targets] of graph) {
  const from = layerOf(file);
  if (from < 0) problems.push(`${file}: in no layer (add its folder to LAYERS in scripts/check-layers.mjs)`);
  for (const target of targets) {
    if (file.startsWith('src/') && target.startsWith('worker/')) {
      problems.push(
        `${file} imports ${target}: nothing in src/ imports worker/ (start the worker by URL, src/client/spawn.ts)`,
      );
      continue;
    }
    const to = layerOf(target);
    if (from >= 0 && to > from) problems.push(`${file} imports ${target}, a layer above it`);
    const rule = PUBLIC_ONLY.find((r) => file.startsWith(r.from));
    if (rule && !rule.allowed.some((p) => (p.endsWith('/') ? target.startsWith(p) : target === p))) {
      problems.push(
        `${file} imports ${target}: ${rule.from} uses the core through ${rule.allowed.filter((p) => p !== rule.from).join(', ')} only`,
      );
    }
  }
}

// Cycles: a depth-first walk; a file met again while still on the path closes one.
const state = new Map(); // file → 'open' | 'done'
const path = [];
function visit(file) {
  state.set(file, 'open');
  path.push(file);
  for (const target of graph.get(file) ?? []) {
    if (!graph.has(target)) continue;
    if (state.get(target) === 'open')
      problems.push(`import cycle: ${[...path.slice(path.indexOf(target)), target].join(' → ')}`);
    else if (!state.has(target)) visit(target);
  }
  path.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

const found = [...new Set(problems)];
if (found.length > 0) {
  console.error(
    `check-layers: ${found.length} problem(s) in ${relative(process.cwd(), root) || '.'}${sep}{src,worker}:`,
  );
  for (const p of found) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, imports one way, no cycles`);
