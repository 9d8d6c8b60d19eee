/**
 * The names replication takes in the origin's shared namespaces, under the
 * core's `opfs-log` prefix (src/namespace.ts lists the core's own): the
 * checkpoint database and the standby lock. One replicator is one tuple
 * (log dir, direction, stream, subject, name); both names are made from it.
 */

/** The IndexedDB database of replication checkpoints (the core's own database is `opfs-log`). */
export const CHECKPOINT_DB = 'opfs-log-jetstream';
export const CHECKPOINT_STORE = 'checkpoints';

export type Direction = 'push' | 'pull';

export interface ReplicatorId {
  dir: string;
  direction: Direction;
  stream: string;
  /** The push subject, or the pull filter (`''` for the whole stream). */
  subject: string;
  name: string;
}

/** The checkpoint's key: the tuple, unambiguous whatever characters its parts hold. */
export function checkpointKey(id: ReplicatorId): string {
  return JSON.stringify([id.dir, id.direction, id.stream, id.subject, id.name]);
}

/** The Web Lock that makes one tab the replicator and the others stand by. */
export function standbyLockName(id: ReplicatorId): string {
  return `opfs-log-jetstream:${checkpointKey(id)}`;
}
