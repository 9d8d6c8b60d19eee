/**
 * What a context that runs the engine itself needs (a dedicated worker of
 * the user's, or a service worker): the engine and OPFS's surroundings. The
 * main thread never does, so `open` loads this module with `import()` there
 * (a chunk of its own), while the `opfs-log/service-worker` entry imports it
 * statically: a service worker may not `import()`. Also the writer of a
 * service worker, which gives the log up to a tab (yielding-writer.ts).
 */
export { openEngine } from './open-engine.ts';
export { LogEngine } from '../engine/engine.ts';
export { opfsEnv } from '../storage/opfs-env.ts';
export { YieldingWriter } from './yielding-writer.ts';
