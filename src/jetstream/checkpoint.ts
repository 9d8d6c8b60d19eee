/**
 * Where a replicator keeps its durable position, so that lag shows while
 * offline and a restart resumes cheaply: one record per replicator in an
 * IndexedDB database of its own (see names.ts), written in a `strict`
 * transaction. It is a hint, never the truth: a push checks it against the
 * stream on every resync, a pull against the log's next offset.
 *
 * Without IndexedDB (or when it cannot be opened) the records live in memory
 * for this page only; replication still works, resuming from the stream.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { CHECKPOINT_DB, CHECKPOINT_STORE } from './names.ts';

/** A push's record. `source` names this log in the stream's message ids. */
export interface PushCheckpoint {
  source: string;
  /** The next local offset to push. */
  position: number;
  /** The stream sequence of the last message pushed (0: none yet). */
  streamSeq: number;
}

/** A pull's record, written after each batch is in the log. */
export interface PullCheckpoint {
  /** The log's next offset right after the batch. */
  localNext: number;
  /** The stream sequence of the batch's last message. */
  streamSeq: number;
}

export interface CheckpointStore {
  load<T>(key: string): Promise<T | undefined>;
  save(key: string, value: PushCheckpoint | PullCheckpoint): Promise<void>;
  remove(key: string): Promise<void>;
}

const memory = new Map<string, unknown>();

const memoryStore: CheckpointStore = {
  load: async <T>(key: string) => memory.get(key) as T | undefined,
  save: async (key, value) => void memory.set(key, structuredClone(value)),
  remove: async (key) => void memory.delete(key),
};

let database: Promise<IDBPDatabase | null> | null = null;

function db(): Promise<IDBPDatabase | null> {
  database ??=
    typeof indexedDB === 'undefined'
      ? Promise.resolve(null)
      : openDB(CHECKPOINT_DB, 1, { upgrade: (d) => void d.createObjectStore(CHECKPOINT_STORE) }).catch(() => null);
  return database;
}

/** The store: IndexedDB where it can be opened, else this page's memory. */
export async function checkpointStore(): Promise<CheckpointStore> {
  const d = await db();
  if (!d) return memoryStore;
  return {
    load: async <T>(key: string) => (await d.get(CHECKPOINT_STORE, key)) as T | undefined,
    save: async (key, value) => {
      const tx = d.transaction(CHECKPOINT_STORE, 'readwrite', { durability: 'strict' });
      await Promise.all([tx.store.put(value, key), tx.done]);
    },
    remove: async (key) => {
      const tx = d.transaction(CHECKPOINT_STORE, 'readwrite', { durability: 'strict' });
      await Promise.all([tx.store.delete(key), tx.done]);
    },
  };
}

/**
 * Writes one replicator's checkpoint in the background: one write at a time,
 * and of the values asked for meanwhile only the latest. A failed write is
 * dropped (a checkpoint is a hint: it only makes the next resume longer).
 */
export class CheckpointWriter {
  private latest: PushCheckpoint | PullCheckpoint | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: CheckpointStore,
    private readonly key: string,
  ) {}

  /** Queues `value`; resolves once it, or a later value, is written. Never rejects. */
  write(value: PushCheckpoint | PullCheckpoint): Promise<void> {
    this.latest = value;
    this.running ??= this.drain();
    return this.running;
  }

  /** Resolves once every value asked for is written. */
  flush(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.latest) {
      const value = this.latest;
      this.latest = null;
      await this.store.save(this.key, value).catch(() => undefined);
    }
    this.running = null;
  }
}
