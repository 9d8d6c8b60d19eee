// The built package in plain Node, as during server-side rendering: importing
// its entry does not throw (nothing reads window, navigator, Worker or
// indexedDB at import time), and `open` and `importArchive` there reject
// `Unsupported`. A child `node` imports it, without vitest's fake-indexeddb.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
// Inside node_modules, so that the built entry's imports of comlink, idb and fflate resolve.
const out = join(root, 'node_modules/.cache/opfs-log-unit');

describe('the built package in Node', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), out, '--no-types'], {
      cwd: root,
      stdio: 'inherit',
    });
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

  it('has the opfs-log/jetstream entry: types first, the NATS client left to the app, bad options refused at once', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports['./jetstream'])).toEqual(['types', 'default']);
    expect(pkg.exports['./jetstream']).toEqual({ types: './dist/jetstream.d.ts', default: './dist/jetstream.js' });
    for (const peer of ['@nats-io/nats-core', '@nats-io/jetstream']) {
      expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
      expect(pkg.peerDependencies[peer]).toMatch(/^\^3\./);
    }
    const built = readFileSync(join(out, 'jetstream.js'), 'utf8');
    expect(built).toMatch(/from "@nats-io\/nats-core"/);
    expect(built).not.toMatch(/class NatsConnectionImpl/);
    const probe = `
      const j = await import(${JSON.stringify(pathToFileURL(join(out, 'jetstream.js')).href)});
      let code = null;
      try { j.push({}, { stream: 'S', subject: 'a' }); } catch (e) { code = e instanceof j.ReplicationError && e.code; }
      console.log(JSON.stringify({ exports: Object.keys(j).sort(), code }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }).trim(),
    );
    expect(result.exports).toEqual(expect.arrayContaining(['ReplicationError', 'pull', 'push']));
    expect(result.code).toBe('InvalidArgument');
  });
});
