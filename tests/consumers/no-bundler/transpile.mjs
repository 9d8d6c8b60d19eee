// The page imports the shared self-test as plain JavaScript: strip its types
// (nothing else: 'opfs-log' stays a bare import for the page's import map).
// esbuild is the opfs-log repository's own devDependency, found up the tree.
import { buildSync } from 'esbuild';

buildSync({
  entryPoints: ['../self-test.ts'],
  outfile: 'dist/self-test.js',
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
});
