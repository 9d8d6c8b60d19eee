/**
 * The checks `importArchive` makes on its arguments before anything else, in
 * a file of their own: the main thread makes them before it starts a worker,
 * without loading the restore (restore.ts), which runs in the worker.
 */
import { invalidArgument } from '../errors.ts';
import type { ImportOptions } from '../types.ts';

export function checkImportOptions(options: unknown): Required<ImportOptions> {
  if (options === undefined || options === null) return { overwrite: false };
  if (typeof options !== 'object') throw invalidArgument('importArchive options must be an object');
  const overwrite = (options as ImportOptions).overwrite ?? false;
  if (typeof overwrite !== 'boolean')
    throw invalidArgument(`option overwrite must be a boolean, got ${typeof overwrite}`);
  return { overwrite };
}

export function isBlob(v: unknown): v is Blob {
  return typeof Blob !== 'undefined' && v instanceof Blob;
}
