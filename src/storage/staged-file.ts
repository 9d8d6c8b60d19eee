/**
 * A writable file on storage that cannot write in place: OPFS's asynchronous
 * API, where a writable's data is seen only once it closes (and WebKit's
 * close truncates and refills the target, so a crash mid-close loses it).
 * Writes go to an image of the file in memory; `commit` hands the whole
 * image to `replace`, which swaps it in at once (a new file moved over the
 * old name). Reads see the image once there is one, else the stored file.
 *
 * The image of a file is loaded on its first write, or its first read if
 * it is at most `READ_WHOLE` bytes (a read of the stored file goes through
 * a `Blob`, a few milliseconds each in Chromium, about what reading the whole
 * segment costs), and kept while the file is used. Clean images of files not
 * used for a while are let go once all of them together pass
 * `IMAGE_BUDGET`: a writer that has rolled through many segments keeps the
 * head and the segments read most recently.
 */
import { LogError } from '../errors.ts';
import type { StoredFile } from './files.ts';

/** What a staged file needs of the stored one. */
export interface ReplaceableFile {
  /** Reads up to `length` bytes of the stored (last committed) content at `position`. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** The stored content's size. */
  size(): Promise<number>;
  /** Makes `content` the stored content, whole and at once: a crash leaves the old content or this. */
  replace(content: Uint8Array): Promise<void>;
}

/** Bytes of clean images kept in memory across all staged files of this context. */
export const IMAGE_BUDGET = 16 * 1024 * 1024;
/** The largest file a read loads whole (a segment at the default rollover, with room). */
const READ_WHOLE = 2 * 1024 * 1024;

/** Staged files holding an image, least recently written first. */
const imaged = new Set<StagedFile>();

export class StagedFile implements StoredFile {
  private image: Uint8Array | null = null;
  private length = 0;
  private dirty = false;
  private closed = false;
  /** The commit running, if any: commits run one at a time, so an older image never lands after a newer one. */
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stored: ReplaceableFile,
    private readonly name: string,
  ) {}

  private check(): void {
    if (this.closed) throw new LogError('Closed', `file ${this.name} is closed`);
  }

  /**
   * The image, loaded from the stored file on first use (others' clean
   * images then let go to keep within the budget), and marked most recently
   * used: every read and write of a publish or consume comes here, so only a
   * load looks at the other files.
   */
  private async loaded(storedSize?: number): Promise<Uint8Array> {
    imaged.delete(this);
    imaged.add(this);
    if (this.image) return this.image;
    const size = storedSize ?? (await this.stored.size());
    const bytes = await this.stored.read(0, size);
    // Room to grow for a file that is written, none wasted on one that is only read.
    const image = new Uint8Array(Math.max(bytes.length + 4096, 4096));
    image.set(bytes);
    this.image = image;
    this.length = bytes.length;
    evictImages(this);
    return image;
  }

  /** Lets the image go if it holds nothing uncommitted; the next write loads it again. */
  dropImage(): boolean {
    if (this.dirty || !this.image) return false;
    this.image = null;
    imaged.delete(this);
    return true;
  }

  imageBytes(): number {
    return this.image?.length ?? 0;
  }

  private grow(size: number): Uint8Array {
    let image = this.image!;
    if (size > image.length) {
      const grown = new Uint8Array(Math.max(size, image.length * 2));
      grown.set(image.subarray(0, this.length));
      this.image = image = grown;
    }
    return image;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    this.check();
    const storedSize = this.image ? undefined : await this.stored.size();
    if (storedSize !== undefined && storedSize > READ_WHOLE) return this.stored.read(position, length);
    const image = await this.loaded(storedSize);
    const end = Math.min(this.length, position + length);
    return image.slice(Math.min(position, end), end);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.check();
    await this.loaded();
    const end = position + data.length;
    const image = this.grow(end);
    if (position > this.length) image.fill(0, this.length, position);
    image.set(data, position);
    this.length = Math.max(this.length, end);
    this.dirty = true;
  }

  async size(): Promise<number> {
    this.check();
    return this.image ? this.length : this.stored.size();
  }

  async truncate(size: number): Promise<void> {
    this.check();
    await this.loaded();
    const image = this.grow(size);
    if (size > this.length) image.fill(0, this.length, size);
    this.length = size;
    this.dirty = true;
  }

  commit(): Promise<void> {
    this.check();
    const run = this.committing.then(() => this.replaceStored());
    this.committing = run.catch(() => undefined);
    return run;
  }

  private async replaceStored(): Promise<void> {
    if (!this.dirty) return;
    // What is written while the replace runs is for the next commit.
    this.dirty = false;
    try {
      await this.stored.replace(this.image!.slice(0, this.length));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** A commit: the platform offers no flush beyond it (see the README's storage notes). */
  async flush(): Promise<void> {
    await this.commit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.commit();
    } finally {
      this.closed = true;
      this.image = null;
      imaged.delete(this);
    }
  }
}

/** Lets clean images go, least recently written first, until those kept fit the budget; `keep`'s stays. */
function evictImages(keep: StagedFile): void {
  let total = 0;
  for (const file of imaged) total += file.imageBytes();
  for (const file of imaged) {
    if (total <= IMAGE_BUDGET) return;
    if (file === keep) continue;
    const bytes = file.imageBytes();
    if (file.dropImage()) total -= bytes;
  }
}
