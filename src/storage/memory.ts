/**
 * An in-memory Directory for Node tests. It behaves like OPFS where the engine
 * can tell: exclusive read-write opens, short writes under a quota, and
 * fault injection hooks for crash and failure tests. Created `staged`, its
 * writable files are staged files committed whole, as on OPFS's asynchronous
 * backend (staged-file.ts), so the unit tier checks the engine's commits too.
 */
import { LogError, toLogError } from '../errors.ts';
import type { Directory, FileEntry, StoredFile } from './files.ts';
import { type ReplaceableFile, StagedFile } from './staged-file.ts';

/** Shared by every directory of one memory file system. */
export interface MemoryFaults {
  /** Bytes the whole file system may hold; a write past it is cut short. */
  quota: number;
  /** Called before each write; may throw to fail it, or return how many bytes to really write. */
  beforeWrite?: (file: string, data: Uint8Array, position: number) => number | void;
  /** Called before each open; may throw, e.g. NotFound for a file a writer just renamed away. */
  beforeOpen?: (file: string) => void;
  /** Called on each read, e.g. to count what an open reads. */
  onRead?: (file: string, position: number, length: number) => void;
  /**
   * Called before each change (a write, truncate, flush, remove, rename or
   * writable open); may throw to fail it. Throwing from the Nth call on
   * stops the file system there, as a crash after N operations does.
   */
  beforeChange?: (op: string, file: string) => void;
}

class MemoryFileData {
  bytes = new Uint8Array(0);
  length = 0;
  writers = 0;

  resize(size: number): void {
    if (size > this.bytes.length) {
      const grown = new Uint8Array(Math.max(size, this.bytes.length * 2, 1024));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    } else if (size < this.length) {
      this.bytes.fill(0, size, this.length);
    }
    this.length = size;
  }
}

/**
 * A file opened for writing holds its data, as a sync access handle does. One
 * opened readonly looks its name up on every call, as OPFS's `getFile()` does:
 * after a rename over it, it reads the new file; after a remove, NotFound.
 */
class MemoryFile implements StoredFile {
  private closed = false;

  constructor(
    private readonly fs: MemoryFileSystem,
    private readonly name: string,
    private readonly resolve: () => MemoryFileData,
    private readonly writable: boolean,
  ) {}

  private check(): void {
    if (this.closed) throw new LogError('Closed', `file ${this.name} is closed`);
  }

  private get data(): MemoryFileData {
    return this.resolve();
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    this.check();
    this.fs.faults.onRead?.(this.name, position, length);
    const end = Math.min(this.data.length, position + length);
    return this.data.bytes.slice(Math.min(position, end), end);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.check();
    this.fs.faults.beforeChange?.('write', this.name);
    if (!this.writable) throw new LogError('Readonly', `file ${this.name} is open readonly`);
    let n = data.length;
    let planned: number | void;
    try {
      planned = this.fs.faults.beforeWrite?.(this.name, data, position);
    } catch (err) {
      // A failing write maps as OPFS's does (storage/opfs.ts), so the unit tier checks the mapping too.
      throw toLogError(err, `writing ${this.name}`);
    }
    if (typeof planned === 'number') n = Math.min(n, planned);
    const growth = Math.max(0, position + n - this.data.length);
    if (this.fs.used() + growth > this.fs.faults.quota) {
      n = Math.max(0, Math.min(n, this.fs.faults.quota - this.fs.used() + (this.data.length - position)));
    }
    if (position + n > this.data.length) this.data.resize(position + n);
    this.data.bytes.set(data.subarray(0, n), position);
    if (n < data.length) {
      throw new LogError('QuotaExceeded', `short write to ${this.name}: ${n} of ${data.length} bytes`);
    }
  }

  async size(): Promise<number> {
    this.check();
    return this.data.length;
  }

  async truncate(size: number): Promise<void> {
    this.check();
    this.fs.faults.beforeChange?.('truncate', this.name);
    this.data.resize(size);
  }

  async commit(): Promise<void> {
    this.check();
  }

  async flush(): Promise<void> {
    this.check();
    this.fs.faults.beforeChange?.('flush', this.name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writable) this.resolve().writers--;
  }
}

/**
 * The stored side of a staged memory file: what a commit replaces, the file
 * of that name as it is now (a commit puts a new one in its place, as a move
 * over it does on OPFS). A commit is all or nothing, also under a quota.
 */
class MemoryReplaceable implements ReplaceableFile {
  constructor(
    private readonly fs: MemoryFileSystem,
    private readonly files: () => Map<string, MemoryFileData>,
    private readonly name: string,
    private readonly full: string,
  ) {}

  private current(): MemoryFileData {
    const data = this.files().get(this.name);
    if (!data) throw new LogError('NotFound', `file ${this.full} does not exist`);
    return data;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    this.fs.faults.onRead?.(this.full, position, length);
    const data = this.current();
    const end = Math.min(data.length, position + length);
    return data.bytes.slice(Math.min(position, end), end);
  }

  async size(): Promise<number> {
    return this.current().length;
  }

  async replace(content: Uint8Array): Promise<void> {
    this.fs.faults.beforeChange?.('commit', this.full);
    let planned: number | void;
    try {
      planned = this.fs.faults.beforeWrite?.(this.full, content, 0);
    } catch (err) {
      throw toLogError(err, `writing ${this.full}`);
    }
    const files = this.files();
    const growth = content.length - (files.get(this.name)?.length ?? 0);
    if ((typeof planned === 'number' && planned < content.length) || this.fs.used() + growth > this.fs.faults.quota) {
      throw new LogError('QuotaExceeded', `no room to commit ${content.length} bytes to ${this.full}`);
    }
    const data = new MemoryFileData();
    data.resize(content.length);
    data.bytes.set(content);
    files.set(this.name, data);
  }
}

class MemoryFileSystem {
  faults: MemoryFaults = { quota: Infinity };
  readonly dirs = new Map<string, Map<string, MemoryFileData>>();

  constructor(readonly staged: boolean) {}

  used(): number {
    let total = 0;
    for (const files of this.dirs.values()) for (const f of files.values()) total += f.length;
    return total;
  }
}

export class MemoryDirectory implements Directory {
  private constructor(
    private readonly fs: MemoryFileSystem,
    private readonly path: string,
  ) {}

  /** A new, empty memory file system; its root directory. `staged`: see the file comment. */
  static create(options: { staged?: boolean } = {}): MemoryDirectory {
    const fs = new MemoryFileSystem(options.staged ?? false);
    fs.dirs.set('', new Map());
    return new MemoryDirectory(fs, '');
  }

  /** Fault injection for tests: shared by the whole file system. */
  get faults(): MemoryFaults {
    return this.fs.faults;
  }

  private files(): Map<string, MemoryFileData> {
    const files = this.fs.dirs.get(this.path);
    if (!files) throw new LogError('NotFound', `directory ${this.path} was removed`);
    return files;
  }

  /** Forgets every open write handle, as a killed worker does (crash tests). */
  crash(): void {
    for (const files of this.fs.dirs.values()) for (const f of files.values()) f.writers = 0;
  }

  /** Names of the files held open for writing now, as sync access handles hold them (tests count them). */
  heldOpen(): string[] {
    return [...this.files()].filter(([, f]) => f.writers > 0).map(([name]) => name);
  }

  /** Raw bytes of a file, for tests that damage or inspect segments. */
  raw(name: string): Uint8Array | undefined {
    const f = this.files().get(name);
    return f?.bytes.subarray(0, f.length);
  }

  /** Overwrites a file's whole content, for tests that damage segments. */
  setRaw(name: string, bytes: Uint8Array): void {
    const f = this.files().get(name) ?? new MemoryFileData();
    f.resize(0);
    f.resize(bytes.length);
    f.bytes.set(bytes);
    this.files().set(name, f);
  }

  async openFile(name: string, options: { create: boolean; readonly: boolean }): Promise<StoredFile> {
    this.fs.faults.beforeOpen?.(`${this.path}/${name}`);
    if (!options.readonly) this.fs.faults.beforeChange?.('open', `${this.path}/${name}`);
    const files = this.files();
    let data = files.get(name);
    if (!data) {
      if (!options.create) throw new LogError('NotFound', `file ${this.path}/${name} does not exist`);
      data = new MemoryFileData();
      files.set(name, data);
    }
    const full = `${this.path}/${name}`;
    // As on OPFS's asynchronous API, nothing keeps a second writer out: the log's locks do.
    if (!options.readonly && this.fs.staged) {
      return new StagedFile(new MemoryReplaceable(this.fs, () => this.files(), name, full), full);
    }
    if (!options.readonly) {
      if (data.writers > 0) throw new LogError('Locked', `file ${this.path}/${name} is open for writing elsewhere`);
      data.writers++;
    }
    if (!options.readonly) return new MemoryFile(this.fs, full, () => data, true);
    return new MemoryFile(
      this.fs,
      full,
      () => {
        const current = this.files().get(name);
        if (!current) throw new LogError('NotFound', `file ${full} does not exist`);
        return current;
      },
      false,
    );
  }

  async names(): Promise<string[]> {
    return [...this.files().keys()];
  }

  async exists(name: string): Promise<boolean> {
    return this.files().has(name);
  }

  async list(): Promise<FileEntry[]> {
    return [...this.files()].map(([name, f]) => ({ name, size: f.length }));
  }

  async remove(name: string): Promise<void> {
    this.fs.faults.beforeChange?.('remove', `${this.path}/${name}`);
    this.files().delete(name);
  }

  async removeDir(name: string): Promise<void> {
    this.fs.faults.beforeChange?.('removeDir', `${this.path}/${name}`);
    const full = this.path === '' ? name : `${this.path}/${name}`;
    for (const path of [...this.fs.dirs.keys()]) {
      if (path === full || path.startsWith(`${full}/`)) this.fs.dirs.delete(path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.fs.faults.beforeChange?.('rename', `${this.path}/${from}`);
    const files = this.files();
    const data = files.get(from);
    if (!data) throw new LogError('NotFound', `file ${this.path}/${from} does not exist`);
    files.delete(from);
    files.set(to, data);
  }

  async subdir(path: string[], create: boolean): Promise<Directory> {
    let full = this.path;
    for (const part of path) {
      full = full === '' ? part : `${full}/${part}`;
      if (!this.fs.dirs.has(full)) {
        if (!create) throw new LogError('NotFound', `directory ${full} does not exist`);
        this.fs.dirs.set(full, new Map());
      }
    }
    return new MemoryDirectory(this.fs, full);
  }
}
