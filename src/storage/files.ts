/**
 * The small file system the engine is written against. It is shaped like
 * OPFS's FileSystemSyncAccessHandle (read/write at a position, size, truncate,
 * flush, close) plus the few directory operations the log needs, so the same
 * engine runs on OPFS in a worker and on memory in Node tests.
 *
 * Two kinds of writable file sit behind it: one whose writes reach the file
 * as they are made (a sync access handle), and one that stages them and
 * replaces the file whole on `commit` (OPFS's asynchronous API, where a
 * write is seen only once its writable closes: storage/staged-file.ts). The
 * engine commits wherever what it wrote must be seen by another reader or
 * survive a crash of its context, so it is right on both.
 */
import type { OpenChannel } from './channel.ts';

export interface StoredFile {
  /** Reads up to `length` bytes at `position`; fewer at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /**
   * Writes all of `data` at `position`. A short write (OPFS reports quota
   * exhaustion that way) throws LogError('QuotaExceeded'); the caller rolls back.
   */
  write(data: Uint8Array, position: number): Promise<void>;
  size(): Promise<number>;
  truncate(size: number): Promise<void>;
  /**
   * Makes what was written so far the file's content for every other reader,
   * and for a later open after this context dies: nothing to do where writes
   * reach the file as they are made; a staged file replaces the file whole, so
   * a crash leaves the content of one commit or the next, never a mix.
   */
  commit(): Promise<void>;
  /** Commits, then asks the platform to make the content durable (as far as it lets us). */
  flush(): Promise<void>;
  /** Commits what is left, then lets the file go. */
  close(): Promise<void>;
}

export interface FileEntry {
  name: string;
  size: number;
}

export interface Directory {
  /**
   * Opens a file; writable (not `readonly`), it is taken exclusively (as a
   * sync access handle takes it). `unchanging`, with `readonly`, promises
   * that nobody writes the file while it is open (a writer's sealed
   * segment): a platform that reads through snapshots may then keep one.
   */
  openFile(name: string, options: { create: boolean; readonly: boolean; unchanging?: boolean }): Promise<StoredFile>;
  /** The files (not subdirectories) directly inside, with their sizes. */
  list(): Promise<FileEntry[]>;
  /** The names of the files directly inside: `list` without the sizes, which cost a read each in OPFS. */
  names(): Promise<string[]>;
  /** Whether a file called `name` is there: one lookup, where `names` lists every file. */
  exists(name: string): Promise<boolean>;
  /** Removes a file; a missing file is not an error. */
  remove(name: string): Promise<void>;
  /** Removes a subdirectory and everything in it; a missing one is not an error. */
  removeDir(name: string): Promise<void>;
  /** Renames a closed file, replacing any file called `to`. */
  rename(from: string, to: string): Promise<void>;
  /** A subdirectory by path segments; NotFound if missing and `create` is false. */
  subdir(path: string[], create: boolean): Promise<Directory>;
}

/** A lock held until `release()`; see `Locks`. */
export interface HeldLock {
  /**
   * Lets the lock go; resolves once it is free for others (Web Locks frees
   * it some time after it is let go). Calling it again returns the same promise.
   */
  release(): Promise<void>;
}

/** Named locks across an origin's tabs and workers (Web Locks; process-local ones in Node tests). */
export interface Locks {
  /**
   * The lock at once, or null if it cannot be had now: `exclusive` (the
   * default) while anyone holds it, `shared` while someone holds it exclusively.
   */
  tryAcquire(name: string, mode?: 'exclusive' | 'shared'): Promise<HeldLock | null>;
  /** Waits in line for the lock, exclusively; rejects (with the signal's reason) if `signal` aborts first. */
  acquire(name: string, signal?: AbortSignal): Promise<HeldLock>;
}

/** Everything the engine needs from its surroundings. */
export interface Env {
  root: Directory;
  /** Absent where the context has none: the log then works without persisted indexes. */
  idb: IDBFactory | undefined;
  locks: Locks;
  /** Wake-up notices between the logs' readers (storage/channel.ts); BroadcastChannel if absent. */
  channels?: OpenChannel;
}
