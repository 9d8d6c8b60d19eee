/**
 * The Directory of a log on the origin private file system (OPFS). Writers use
 * FileSystemSyncAccessHandles (dedicated workers only), which are fast and
 * exclusive, or, where those are missing or refused (or `backend: 'async'`
 * asks for it), staged files committed through the asynchronous API
 * (staged-file.ts, opfs-async.ts); readonly opens read through `getFile()`
 * snapshots so they never block or break the writer.
 */
import { LogError, syncHandleError, toLogError } from '../errors.ts';
import type { StorageBackend } from '../types.ts';
import type { Directory, FileEntry, StoredFile } from './files.ts';
import { isStagingName, OpfsReplaceable, STAGING_SUFFIX } from './opfs-async.ts';
import { StagedFile } from './staged-file.ts';

/** The parts of the sync access handle we use (TypeScript's DOM lib lacks it). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  getSize(): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

interface FileHandleWithSync extends FileSystemFileHandle {
  createSyncAccessHandle?(): Promise<SyncAccessHandle>;
  move?(dir: FileSystemDirectoryHandle, name: string): Promise<void>;
}

/**
 * Which kind of writable file a directory tree opens, shared by its
 * subdirectories: `auto` turns into `async` the first time sync access
 * handles turn out to be missing or refused, and stays so.
 */
interface BackendChoice {
  use: StorageBackend;
}

/** Times a readonly read retries a snapshot that the writer invalidated. */
const SNAPSHOT_RETRIES = 5;

class SyncFile implements StoredFile {
  constructor(
    private readonly handle: SyncAccessHandle,
    private readonly name: string,
  ) {}

  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    const n = this.handle.read(buffer, { at: position });
    return n === length ? buffer : buffer.subarray(0, n);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let n: number;
    try {
      n = this.handle.write(data, { at: position });
    } catch (err) {
      throw toLogError(err, `writing ${this.name}`);
    }
    // Chromium may report an exhausted quota as a short (or bogus) count.
    if (n !== data.length) {
      throw new LogError('QuotaExceeded', `short write to ${this.name}: ${n} of ${data.length} bytes written`);
    }
  }

  async size(): Promise<number> {
    return this.handle.getSize();
  }

  async truncate(size: number): Promise<void> {
    try {
      this.handle.truncate(size);
    } catch (err) {
      throw toLogError(err, `truncating ${this.name}`);
    }
  }

  /** Nothing to do: a sync access handle's writes are in the file as they return. */
  async commit(): Promise<void> {}

  async flush(): Promise<void> {
    this.handle.flush();
  }

  async close(): Promise<void> {
    this.handle.close();
  }
}

class SnapshotFile implements StoredFile {
  /** The snapshot kept for a file nobody writes while it is open (`unchanging`); null: a fresh one each call. */
  private kept: File | null = null;

  constructor(
    private handle: FileSystemFileHandle,
    private readonly dir: FileSystemDirectoryHandle,
    private readonly base: string,
    private readonly name: string,
    private readonly unchanging = false,
  ) {}

  /**
   * A fresh snapshot. One taken while a sync-handle writer writes may be
   * unreadable; and an async-backend writer commits by moving a new file
   * over the old name, which Chromium does in two steps, so the name can be
   * missing for a moment (and Firefox's handle may name the file moved
   * away): a NotFound is looked up again by name, a few milliseconds apart,
   * before it is believed.
   */
  private async withSnapshot<T>(use: (file: File) => Promise<T>): Promise<T> {
    if (this.kept) {
      try {
        return await use(this.kept);
      } catch {
        this.kept = null; // unreadable after all (the site's data cleared?): as any snapshot, below
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const file = await this.handle.getFile();
        const result = await use(file);
        if (this.unchanging) this.kept = file;
        return result;
      } catch (err) {
        const name = (err as { name?: string }).name;
        const again = name === 'NotReadableError' || (name === 'NotFoundError' && (await this.lookUpAgain(attempt)));
        if (!again || attempt >= SNAPSHOT_RETRIES) throw toLogError(err, `reading ${this.name}`);
      }
    }
  }

  /** After `attempt` pauses of growing length, the handle of the file now called `base`; false if there is none. */
  private async lookUpAgain(attempt: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 2 ** attempt));
    try {
      this.handle = await this.dir.getFileHandle(this.base);
      return true;
    } catch {
      return attempt < SNAPSHOT_RETRIES;
    }
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.withSnapshot(async (f) => new Uint8Array(await f.slice(position, position + length).arrayBuffer()));
  }

  async write(): Promise<void> {
    throw new LogError('Readonly', `${this.name} is open readonly`);
  }

  size(): Promise<number> {
    return this.withSnapshot(async (f) => f.size);
  }

  async truncate(): Promise<void> {
    throw new LogError('Readonly', `${this.name} is open readonly`);
  }

  async commit(): Promise<void> {}

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

export class OpfsDirectory implements Directory {
  constructor(
    private readonly handle: FileSystemDirectoryHandle,
    private readonly path: string,
    private readonly backend: BackendChoice,
  ) {}

  /**
   * `navigator.storage.getDirectory()` asked for now, for `root` to take
   * later (a fresh worker waits milliseconds for it); undefined where there is
   * none. Its failure is `root`'s to report, once taken.
   */
  static askRoot(): Promise<FileSystemDirectoryHandle> | undefined {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage;
    if (typeof storage?.getDirectory !== 'function') return undefined;
    const asked = storage.getDirectory();
    asked.catch(() => undefined); // never taken if no call comes
    return asked;
  }

  /**
   * The origin's OPFS root; Unsupported where the browser has none. Its
   * writable files are sync access handles or staged files as `backend` says
   * (`sync` rejects Unsupported where sync access handles are missing or refused).
   * `asked`: its handle, if `askRoot` asked for it already.
   */
  static async root(
    backend: StorageBackend = 'auto',
    asked?: Promise<FileSystemDirectoryHandle>,
  ): Promise<OpfsDirectory> {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage;
    if (!storage || typeof storage.getDirectory !== 'function') {
      throw new LogError(
        'Unsupported',
        'this browser has no origin private file system (navigator.storage.getDirectory)',
      );
    }
    try {
      return new OpfsDirectory(await (asked ?? storage.getDirectory()), '', { use: backend });
    } catch (err) {
      // Firefox refuses it in private windows (SecurityError); so may a browser whose storage is disabled.
      const hint =
        (err as Error).name === 'SecurityError' ? ' (a private window, or storage disabled for this site?)' : '';
      throw new LogError(
        'Unsupported',
        `the origin private file system is not available${hint}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private full(name: string): string {
    return this.path ? `${this.path}/${name}` : name;
  }

  async openFile(
    name: string,
    options: { create: boolean; readonly: boolean; unchanging?: boolean },
  ): Promise<StoredFile> {
    let handle: FileHandleWithSync;
    try {
      handle = (await this.handle.getFileHandle(name, { create: options.create })) as FileHandleWithSync;
    } catch (err) {
      throw toLogError(err, `opening ${this.full(name)}`);
    }
    if (options.readonly) return new SnapshotFile(handle, this.handle, name, this.full(name), options.unchanging);
    if (this.backend.use !== 'async') {
      const file = await this.syncFile(handle, this.full(name));
      if (file) return file;
    }
    return new StagedFile(new OpfsReplaceable(this.handle, handle, name, this.full(name)), this.full(name));
  }

  /** `name` through a sync access handle; null where `auto` finds them missing or refused (then async from now on). */
  private async syncFile(handle: FileHandleWithSync, name: string): Promise<StoredFile | null> {
    if (typeof handle.createSyncAccessHandle !== 'function') {
      if (this.backend.use === 'auto') return this.chooseAsync();
      throw new LogError('Unsupported', 'sync access handles exist only in dedicated workers');
    }
    try {
      return new SyncFile(await handle.createSyncAccessHandle(), name);
    } catch (err) {
      if (this.backend.use === 'auto' && (await this.refusesSyncHandles(err))) return this.chooseAsync();
      throw syncHandleError(err, name);
    }
  }

  /**
   * Whether `err`, thrown by `createSyncAccessHandle`, says this browser
   * refuses sync access handles. WebKitGTK has the method but refuses every
   * call with NotSupportedError, and after that throws InvalidStateError for
   * the same file for good (across workers and reloads), which elsewhere
   * means another handle holds it: that one is told apart by asking again
   * for a new file of a name no one else uses.
   */
  private async refusesSyncHandles(err: unknown): Promise<boolean> {
    const name = (err as { name?: string }).name;
    if (name === 'NotSupportedError') return true;
    if (name !== 'InvalidStateError') return false;
    const probe = `probe-${Math.random().toString(36).slice(2)}${STAGING_SUFFIX}`;
    try {
      const handle = (await this.handle.getFileHandle(probe, { create: true })) as FileHandleWithSync;
      (await handle.createSyncAccessHandle!()).close();
      return false;
    } catch (probed) {
      return (probed as { name?: string }).name === 'NotSupportedError';
    } finally {
      await this.removeEntry(probe).catch(() => undefined);
    }
  }

  private chooseAsync(): null {
    this.backend.use = 'async';
    return null;
  }

  async names(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const [name, h] of this.entries()) if (h.kind === 'file' && !isStagingName(name)) names.push(name);
    } catch (err) {
      throw toLogError(err, `listing ${this.path}`); // NotFound: the directory itself was removed
    }
    return names;
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.handle.getFileHandle(name);
      return true;
    } catch (err) {
      const kind = (err as { name?: string }).name;
      if (kind === 'NotFoundError' || kind === 'TypeMismatchError') return false; // none, or a directory of that name
      throw toLogError(err, `looking for ${this.full(name)}`);
    }
  }

  private entries(): AsyncIterable<[string, FileSystemHandle]> {
    return (this.handle as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
  }

  async list(): Promise<FileEntry[]> {
    const files: Promise<FileEntry | null>[] = [];
    try {
      for await (const [name, h] of this.entries()) {
        if (h.kind !== 'file' || isStagingName(name)) continue;
        // A file the writer removes (or renames away) between the listing and its size is not there.
        files.push(
          (h as FileSystemFileHandle).getFile().then(
            (f) => ({ name, size: f.size }),
            (err: unknown) => {
              if ((err as { name?: string }).name === 'NotFoundError') return null;
              throw toLogError(err, `listing ${this.path}`);
            },
          ),
        );
      }
    } catch (err) {
      throw toLogError(err, `listing ${this.path}`); // NotFound: the directory itself was removed
    }
    return (await Promise.all(files)).filter((f): f is FileEntry => f !== null);
  }

  async remove(name: string): Promise<void> {
    await this.removeEntry(name);
    // What a commit that died before its move left beside the file.
    if (this.backend.use === 'async') await this.removeEntry(name + STAGING_SUFFIX);
  }

  private async removeEntry(name: string): Promise<void> {
    try {
      await this.handle.removeEntry(name);
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotFoundError') throw toLogError(err, `removing ${this.full(name)}`);
    }
  }

  async removeDir(name: string): Promise<void> {
    try {
      await this.handle.removeEntry(name, { recursive: true });
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotFoundError')
        throw toLogError(err, `removing directory ${this.full(name)}`);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    let handle: FileHandleWithSync;
    try {
      handle = (await this.handle.getFileHandle(from)) as FileHandleWithSync;
    } catch (err) {
      throw toLogError(err, `renaming ${this.full(from)}`);
    }
    if (typeof handle.move === 'function') {
      try {
        // Chromium replaces `to` in one step, so a reader in another tab never finds the name missing.
        await handle.move(this.handle, to);
      } catch {
        // A browser that will not move onto an existing file: make room first (readers retry the gap).
        await this.remove(to);
        await handle.move(this.handle, to).catch((err: unknown) => {
          throw toLogError(err, `renaming ${this.full(from)} to ${to}`);
        });
      }
      return;
    }
    await this.remove(to);
    // No move(): copy into a writable file, then drop the source.
    const target = await this.openFile(to, { create: true, readonly: false });
    try {
      await target.write(new Uint8Array(await (await handle.getFile()).arrayBuffer()), 0);
      await target.flush();
    } finally {
      await target.close();
    }
    await this.remove(from);
  }

  async subdir(path: string[], create: boolean): Promise<Directory> {
    let dir: FileSystemDirectoryHandle = this.handle;
    let full = this.path;
    for (const part of path) {
      full = full ? `${full}/${part}` : part;
      try {
        dir = await dir.getDirectoryHandle(part, { create });
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'NotFoundError')
          throw new LogError('NotFound', `directory ${full} does not exist`, { cause: err });
        if (name === 'TypeMismatchError')
          throw new LogError('InvalidArgument', `${full} is a file, not a directory`, { cause: err });
        throw toLogError(err, `opening directory ${full}`);
      }
    }
    return new OpfsDirectory(dir, full, this.backend);
  }
}
