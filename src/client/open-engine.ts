import type { Env } from '../storage/files.ts';
import type { Log, Options } from '../types.ts';
import { LogEngine } from '../engine/engine.ts';
import { normalizeDir, resolveOptions } from '../engine/options.ts';
import { LogFacade } from './facade.ts';

/**
 * Opens a log with the engine running right here, on the given surroundings:
 * OPFS inside a worker, or memory files and fake-indexeddb in Node tests.
 * `dir` and `options` are checked here, at the edge, as `open` checks them.
 */
export async function openEngine(env: Env, dir: string, options?: Options, onClose?: () => void): Promise<Log> {
  const engine = await LogEngine.open(env, normalizeDir(dir), resolveOptions(options));
  return new LogFacade(engine, engine.options, engine.path, onClose, env);
}
