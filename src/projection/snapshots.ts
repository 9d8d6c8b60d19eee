/**
 * Where projection snapshots live: IndexedDB, in a database of their own
 * (`opfs-log-projections`), beside the log's index records rather than in
 * its OPFS directory, because
 * - the page saves them: the state is the page's, and IndexedDB is open to
 *   it, to a readonly tab and to a worker alike, while the log's files
 *   belong to its worker;
 * - a put commits whole or not at all, so a crash mid-save leaves the
 *   previous record, never half of one (the checksum still guards against
 *   anything else that could spoil the bytes);
 * - a database of its own upgrades on its own, never in the way of the
 *   index database that every open log holds.
 *
 * A projection keeps its two newest snapshots (slots 0 and 1, the older one
 * overwritten): if the newest does not check out, the other is used.
 * Snapshots are derived data: they are not exported with the log, and an
 * import that replaces a log removes those of its dir (archive/import.ts).
 */
import { wrap, type IDBPDatabase } from 'idb';
import { PROJECTIONS_DB } from '../namespace.ts';

const VERSION = 1;
const STORE = 'snapshots';

export interface SnapshotRecord {
  dir: string;
  name: string;
  version: number;
  slot: 0 | 1;
  /** The offset the state was folded to: it includes every message below it that the projection saw. */
  offset: number;
  /** The last message folded (offset and time), to tell that the log is still the one it was folded from. */
  anchor: { offset: number; time: number } | null;
  /** When it was saved, in milliseconds since the Unix epoch. */
  savedAt: number;
  /** The state, encoded (JSON unless the projection has a codec of its own). */
  bytes: Uint8Array;
  /** CRC-32C of `bytes`. */
  crc: number;
}

/** A snapshot to save: the store picks its slot. */
export type NewSnapshot = Omit<SnapshotRecord, 'slot'>;

/**
 * Every key of `dir`, of `dir` and `name`, or of `dir`, `name` and `version`:
 * arrays sort after every string and number, so `[...prefix, []]` ends the range.
 */
function range(...prefix: [dir: string, name?: string, version?: number]): IDBKeyRange {
  const given = prefix.filter((part) => part !== undefined);
  return IDBKeyRange.bound(given, [...given, []]);
}

export class SnapshotStore {
  private constructor(private readonly db: IDBPDatabase) {}

  /** The store, or null where IndexedDB cannot be used (projections then replay on every load). */
  static async open(factory: IDBFactory | undefined): Promise<SnapshotStore | null> {
    if (!factory) return null;
    try {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = factory.open(PROJECTIONS_DB, VERSION);
        req.onupgradeneeded = () =>
          req.result.createObjectStore(STORE, { keyPath: ['dir', 'name', 'version', 'slot'] });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error('blocked by an older connection'));
      });
      db.onversionchange = () => db.close(); // a newer opfs-log wants to upgrade: let it
      if (!db.objectStoreNames.contains(STORE)) {
        db.close();
        return null;
      }
      return new SnapshotStore(wrap(db));
    } catch {
      return null; // a newer version, blocked, or IndexedDB refused (private windows)
    }
  }

  /** The snapshots of one projection version, newest first. */
  async load(dir: string, name: string, version: number): Promise<SnapshotRecord[]> {
    const all = (await this.db.getAll(STORE, range(dir, name, version))) as SnapshotRecord[];
    return all.sort((a, b) => b.offset - a.offset || b.savedAt - a.savedAt);
  }

  /** Saves `snapshot` over the older of the two slots. */
  async save(snapshot: NewSnapshot): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const { dir, name, version } = snapshot;
    const have = (await tx.store.getAll(range(dir, name, version))) as SnapshotRecord[];
    const slot0 = have.find((r) => r.slot === 0);
    const slot1 = have.find((r) => r.slot === 1);
    const slot = !slot0 ? 0 : !slot1 ? 1 : slot0.savedAt <= slot1.savedAt ? 0 : 1;
    await tx.store.put({ ...snapshot, slot });
    await tx.done;
  }

  /** Removes the snapshots of `dir`'s projection `name` of every version but `keep` (older code's). */
  async removeOtherVersions(dir: string, name: string, keep: number): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    for (const key of (await tx.store.getAllKeys(range(dir, name))) as [string, string, number, number][]) {
      if (key[2] !== keep) await tx.store.delete(key);
    }
    await tx.done;
  }

  /** Removes every snapshot of one projection version (a rebuild), or of every projection of `dir` (an import). */
  async remove(dir: string, name?: string, version?: number): Promise<void> {
    await this.db.delete(STORE, range(dir, name, version));
  }

  /** Removes one saved snapshot (one found damaged or of another log). */
  async removeSlot(record: SnapshotRecord): Promise<void> {
    await this.db.delete(STORE, [record.dir, record.name, record.version, record.slot]);
  }

  close(): void {
    this.db.close();
  }
}
