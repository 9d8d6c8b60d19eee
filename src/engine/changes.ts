/**
 * The change counter: how a readonly log (follower.ts) learns from one small
 * read, instead of a look at every segment file, that its writer changed no
 * sealed segment since it last looked.
 *
 * File `changes` in the log's directory, written only by the log's writer
 * (the engine's, or an import's: both hold the writer lock), little-endian:
 * 0 seq u32 · 4 head base u64.
 *
 * `seq` is a seqlock: the writer makes it odd before it rewrites or removes
 * a sealed segment (a delete, a compaction, a retention trim), replaces the
 * log (an import) or recovers it (an open), and even again once done. A
 * follower that read an even `seq` before listing the files knows, as long
 * as it reads the same `seq` again, that every sealed segment it listed is
 * still as it was: only the head may have grown, and `head` (the base of the
 * newest segment, written right after a roll creates it) tells whether the
 * writer rolled to a new one. A counter starts at a random even number, so a
 * follower that knew a removed log's counter does not take a new log's for it.
 */
import { newIncarnation } from '../codec/segment-header.ts';
import { getU64, setU64 } from '../codec/u64.ts';
import { LogError } from '../errors.ts';
import type { Directory, StoredFile } from '../storage/files.ts';

export const CHANGES_FILE = 'changes';

const SEQ = 0;
const HEAD = 4;
const CHANGES_SIZE = 12;

/** What the counter says: see the file comment. */
export interface ChangeState {
  seq: number;
  head: number;
}

function encode(state: ChangeState): Uint8Array {
  const bytes = new Uint8Array(CHANGES_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(SEQ, state.seq, true);
  setU64(view, HEAD, state.head);
  return bytes;
}

/** What the counter in `file` says, or null if it holds none (not yet written, or cut for want of room). */
export async function readChanges(file: StoredFile): Promise<ChangeState | null> {
  const bytes = await file.read(0, CHANGES_SIZE + 1);
  if (bytes.length !== CHANGES_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return { seq: view.getUint32(SEQ, true), head: getU64(view, HEAD) };
}

/** The writer's side: it holds the file open for as long as it writes the log. */
export class ChangeCounter {
  private constructor(
    private readonly file: StoredFile,
    private readonly state: ChangeState,
  ) {}

  /** Opens (or creates) the counter of the log in `dir`; only the holder of the writer lock may. */
  static async open(dir: Directory): Promise<ChangeCounter> {
    const file = await dir.openFile(CHANGES_FILE, { create: true, readonly: false });
    try {
      const found = await readChanges(file);
      return new ChangeCounter(file, found ?? { seq: (newIncarnation() & ~1) >>> 0, head: 0 });
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** What the counter says now (a copy). */
  get now(): ChangeState {
    return { ...this.state };
  }

  /** Before sealed segments change: `seq` odd (a new odd number if a writer that crashed left it odd). */
  async begin(): Promise<void> {
    this.state.seq = (this.state.seq + (this.state.seq % 2 === 0 ? 1 : 2)) >>> 0;
    await this.write();
  }

  /** After they changed: `seq` even, and `head` the base of the newest segment now. */
  async end(head: number): Promise<void> {
    this.state.seq = (this.state.seq + 1) >>> 0;
    this.state.head = head;
    await this.write();
  }

  /** After a roll created a new head, before anything is appended to it. */
  async rolled(head: number): Promise<void> {
    this.state.head = head;
    await this.write();
  }

  /**
   * A sync access handle's writes are seen by another context's next
   * `getFile()` without a flush (a follower sees a head grow the same way),
   * a staged file's once committed,
   * and the counter needs no durability: every writer's open moves it. With
   * no room for it (only its first write grows the file) the file is cut to
   * nothing, which a follower takes for no counter: it then looks at every file.
   */
  private async write(): Promise<void> {
    try {
      await this.file.write(encode(this.state), 0);
      await this.file.commit();
    } catch (err) {
      if (!(err instanceof LogError && err.code === 'QuotaExceeded')) throw err;
      await this.file.truncate(0);
      await this.file.commit();
    }
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
