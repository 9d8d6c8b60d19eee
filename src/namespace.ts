/**
 * The names opfs-log takes in the namespaces an origin shares with every
 * other script on it (Web Locks, BroadcastChannel, IndexedDB, the OPFS root,
 * worker names, the global symbol registry), all under one prefix so that
 * they neither collide with others' nor drift apart.
 */

export const NAMESPACE = 'opfs-log';

/** The IndexedDB database of segment indexes and cursors. */
export const DB_NAME = NAMESPACE;

/** The Web Lock a writer holds on the log at `path` (a normalized dir). */
export function lockName(path: string): string {
  return `${NAMESPACE}:${path}`;
}

/** The Web Lock every writer of the log at `path` holds: shared, or exclusive for an `exclusive` writer. */
export function writersLockName(path: string): string {
  return `${NAMESPACE}-writers:${path}`;
}

/** The Web Lock writers wait in line for: its holder owns the files (its worker runs the engine). */
export function ownerLockName(path: string): string {
  return `${NAMESPACE}-owner:${path}`;
}

/** The BroadcastChannel on which writers forward their calls to the owner of the log at `path`. */
export function callChannelName(path: string): string {
  return `${NAMESPACE}-calls:${path}`;
}

/** Notice channels: `opfs-log:<dir>`, like the writer lock's name (BroadcastChannel names are a namespace of their own). */
export const CHANNEL_PREFIX = `${NAMESPACE}:`;

/** A prefix for the channels of one in-memory file system, which no other may hear (tests). */
export function privateChannelPrefix(id: string): string {
  return `${NAMESPACE}-memory-${id}:`;
}

/** The name of the worker serving the log at `path` (developer tools show it). */
export function workerName(path: string): string {
  return `${NAMESPACE}:${path}`;
}

/** The name of the worker importing an archive into `path`. */
export function importWorkerName(path: string): string {
  return `${NAMESPACE}:import:${path}`;
}

/** The OPFS directory that holds archives being exported or just exported. */
export const EXPORTS_DIR = `.${NAMESPACE}-exports`;

/** Prefix of the Web Lock that keeps an export's directory alive. */
export const EXPORT_LOCK_PREFIX = `${NAMESPACE}-export:`;

/** The global symbol's key that marks a typed log. */
export const TYPED_LOG_KEY = `${NAMESPACE}.TypedLog`;

/** The IndexedDB database of projection snapshots (src/projection/snapshots.ts). */
export const PROJECTIONS_DB = `${NAMESPACE}-projections`;

/** The Web Lock whose holder saves the snapshots of one projection of the log at `path`. */
export function projectionLockName(path: string, name: string, version: number): string {
  return `${NAMESPACE}-projection:${version}:${name}:${path}`;
}
