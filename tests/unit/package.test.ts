// The built package in plain Node, as during server-side rendering: importing
// its entry does not throw (nothing reads window, navigator, Worker or
// indexedDB at import time), and `open` and `importArchive` there reject
// `Unsupported`. A child `node` imports it, without vitest's fake-indexeddb.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
// Inside node_modules, so that the built entry's imports of comlink, idb and fflate resolve.
const out = join(root, 'node_modules/.cache/opfs-log-unit');

describe('the built package in Node', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), out, '--no-types'], { cwd: root, stdio: 'inherit' });
  }, 60_000);

  it('imports without a throw; open and importArchive reject Unsupported', () => {
    const probe = `
      const m = await import(${JSON.stringify(pathToFileURL(join(out, 'index.js')).href)});
      const said = (e) => ({ isLogError: e instanceof m.LogError, code: e?.code });
      const opened = await m.open('logs/events', { createDirs: true }).then(() => null, said);
      const imported = await m.importArchive('logs/restored', new Blob([])).then(() => null, said);
      console.log(JSON.stringify({ exports: Object.keys(m).length, opened, imported }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    const result = JSON.parse(output.trim());
    expect(result.exports).toBeGreaterThan(20);
    expect(result.opened).toEqual({ isLogError: true, code: 'Unsupported' });
    expect(result.imported).toEqual({ isLogError: true, code: 'Unsupported' });
  });
});
