/**
 * `opfs-log/service-worker`: the package for a service worker. A service
 * worker may not `import()`, which is how `open` from `opfs-log` loads the
 * engine where it runs in place (so that a page's bundle does not carry it);
 * this entry's `open` has the engine imported statically instead. Everything
 * else is `opfs-log`'s own, re-exported: import all of it from here in a
 * service worker, and build the service worker with a bundler (its bare
 * imports, comlink, idb and fflate, need one, as a page's do).
 */
import { openWith, type InPlace } from './client/open.ts';
import * as inPlace from './client/in-place.ts';
import type { Log, Options } from './types.ts';

export * from './index.ts';

const engine = async (): Promise<InPlace> => inPlace;

/**
 * Opens the log at `dir`, as `open` from `opfs-log` does, with the engine in
 * this bundle: see that `open` for every rejection. In a service worker the
 * engine runs here, on OPFS's asynchronous backend, whenever the service
 * worker owns the log: while no tab has the log open for writing, and for a
 * `readonly` or `exclusive` open. A tab that opens the log for writing later
 * takes the files over (its dedicated worker writes them with sync access
 * handles, faster), and this log then forwards its calls to that tab; when
 * the last such tab closes, the service worker owns them again. A service
 * worker the browser stops takes its writer with it: a publish it had not
 * answered may or may not be in the log (never twice), as for a tab that
 * closes. Anywhere else (a page, a dedicated worker) it is the same `open`.
 */
export function open(dir: string, options?: Options): Promise<Log> {
  return openWith(engine, dir, options);
}
