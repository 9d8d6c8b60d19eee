/**
 * The stored side of a staged file (staged-file.ts) on OPFS's asynchronous
 * API, for where sync access handles are missing (service workers, pages)
 * or refused (WebKitGTK). A commit writes the whole content to a new file
 * beside the old one and moves it over the old name: WebKit's writable
 * rewrites its target in place on close, and a crash there mid-close would
 * leave neither content, while a move is one step in every engine.
 */
import { LogError, toLogError } from '../errors.ts';
import type { ReplaceableFile } from './staged-file.ts';

/** The name a commit writes before it moves the file over `name`; listings leave such files out. */
export const STAGING_SUFFIX = '.staged';

export function isStagingName(name: string): boolean {
  return name.endsWith(STAGING_SUFFIX);
}

/** `move(directory, name)`: WebKit refuses the one-argument form. */
interface MovableHandle extends FileSystemFileHandle {
  move?(dir: FileSystemDirectoryHandle, name: string): Promise<void>;
}

export class OpfsReplaceable implements ReplaceableFile {
  /** The stored content as a `File`, until the next replace (Chromium's go stale when the file changes). */
  private file: File | null = null;

  constructor(
    private readonly dir: FileSystemDirectoryHandle,
    private handle: FileSystemFileHandle,
    private readonly name: string,
    private readonly full: string,
  ) {}

  private async stored(): Promise<File> {
    try {
      this.file ??= await this.handle.getFile();
    } catch (err) {
      throw toLogError(err, `reading ${this.full}`);
    }
    return this.file;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const file = await this.stored();
    try {
      return new Uint8Array(await file.slice(position, position + length).arrayBuffer());
    } catch (err) {
      throw toLogError(err, `reading ${this.full}`);
    }
  }

  async size(): Promise<number> {
    return (await this.stored()).size;
  }

  async replace(content: Uint8Array): Promise<void> {
    const staged = await this.write(content);
    if (typeof staged.move !== 'function') {
      throw new LogError('Unsupported', 'this browser cannot move files (FileSystemHandle.move), needed to commit');
    }
    try {
      await staged.move(this.dir, this.name);
    } catch (err) {
      throw toLogError(err, `committing ${this.full}`);
    }
    this.handle = staged;
    this.file = null;
  }

  /** Writes `content` to a new file beside this one: the staging file, emptied first. */
  private async write(content: Uint8Array): Promise<MovableHandle> {
    let writable: FileSystemWritableFileStream | undefined;
    try {
      const staged = (await this.dir.getFileHandle(this.name + STAGING_SUFFIX, { create: true })) as MovableHandle;
      writable = await staged.createWritable({ keepExistingData: false });
      await writable.write(content as Uint8Array<ArrayBuffer>);
      await writable.close();
      return staged;
    } catch (err) {
      await writable?.abort().catch(() => undefined);
      throw toLogError(err, `writing ${this.full}`);
    }
  }
}
