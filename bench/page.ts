/**
 * The bench page: bench/run.mjs drives these functions through Playwright; in
 * WebKitGTK's MiniBrowser (`?webkit`) the page runs bench/webkit.mjs's plan itself.
 */
import { DexieSystem } from './systems/dexie.ts';
import { OpfsLogSystem } from './systems/opfs-log.ts';
import { RawOpfsSystem } from './systems/raw-opfs.ts';
import { SqliteSystem } from './systems/sqlite.ts';
import type { System } from './systems/system.ts';
import { publishAndRead, publishLarge, publishSingly, type Measure } from './workloads.ts';
import * as projection from './projection.ts';
import * as reopen from './reopen.ts';
import * as scaling from './scaling.ts';
import * as serviceWorker from './service-worker/page.ts';
import * as tabs from './tabs.ts';

const systems: Record<string, System> = {
  'opfs-log': new OpfsLogSystem(),
  'opfs-log, async backend': new OpfsLogSystem('async'),
  'Dexie 4': new DexieSystem(),
  'SQLite-WASM': new SqliteSystem(),
  'raw OPFS': new RawOpfsSystem(),
};

const workloads: Record<string, (s: System) => Promise<Measure[]>> = {
  publishAndRead: (s) => publishAndRead(s),
  publishSingly: (s) => publishSingly(s),
  publishLarge: (s) => publishLarge(s),
};

async function wipe(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
    await root.removeEntry(name, { recursive: true }).catch(() => undefined);
  }
  for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
}

const bench = {
  systems: () => Object.values(systems).map((s) => ({ name: s.name, settings: s.settings })),
  run: (system: string, workload: string) => {
    const run = workloads[workload];
    const sys = systems[system];
    if (!run || !sys) throw new Error(`no workload ${workload} or no system ${system}`);
    return run(sys);
  },
  wipe,
  projection,
  reopen,
  scaling,
  serviceWorker,
  tabs,
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.body.dataset.ready = 'yes';
if (new URLSearchParams(location.search).has('webkit'))
  void import('./webkit-page.ts').then(({ runWebKitPlan }) => runWebKitPlan(bench));
