/**
 * The spare segment file: an empty file the writer makes ahead of need under
 * a name that is never a segment's (`SPARE_FILE`), so that a roll renames it
 * to the new segment's name instead of creating that file inside the
 * publish that rolls. Firefox takes tens of milliseconds to create a file
 * and open its sync access handle once writes are under way, several times
 * what a rename and the open of an existing file take (BENCHMARKS.md).
 *
 * A sync access handle cannot be renamed while it is open (both Chromium
 * and Firefox refuse with NoModificationAllowedError), so the spare is
 * opened once, which makes it in full, and closed again; the roll opens it
 * under its new name.
 *
 * Crash safety: the spare holds no data, and it becomes a segment only by a
 * rename made after the old head was flushed, exactly where a new segment
 * file would have been created; a crash before its header is written leaves
 * an empty newest segment, which opening a log starts afresh as before. A
 * spare a crash left is removed when a writer opens the log; readers, the
 * follower and exports look only at segment names, so they never see it.
 *
 * Only where it helps: on the asynchronous backend (staged files) a new
 * segment costs its first commit, which a renamed spare pays all the same,
 * so there the writer stops making spares after the first look.
 */
import { segmentName } from '../segment/names.ts';
import type { Directory } from '../storage/files.ts';
import { StagedFile } from '../storage/staged-file.ts';

/** The spare's file name: not a segment name, nor a copy of one (`.tmp`, `.import`, side copies). */
export const SPARE_FILE = 'next-segment.spare';

export class SpareSegment {
  /** The spare being made or made: resolves true once it is there, false if making it failed. Never rejects. */
  private making: Promise<boolean> | null = null;
  /** Closed, or on a backend where spares do not help: no more spares. */
  private off = false;

  private constructor(private readonly dir: Directory) {}

  /** The writer's spare for the log in `dir`, removing one a crash left (one that cannot be removed now is harmless). */
  static async open(dir: Directory): Promise<SpareSegment> {
    await dir.remove(SPARE_FILE).catch(() => undefined);
    return new SpareSegment(dir);
  }

  /** Starts making the spare in the background, unless it is made, being made, or off. */
  prepare(): void {
    if (this.off || this.making) return;
    this.making = this.make();
  }

  private async make(): Promise<boolean> {
    try {
      const file = await this.dir.openFile(SPARE_FILE, { create: true, readonly: false });
      const staged = file instanceof StagedFile;
      await file.close();
      if (!staged) return true;
      this.off = true;
      await this.dir.remove(SPARE_FILE);
      return false;
    } catch {
      return false; // the roll creates the file as it would without a spare
    }
  }

  /**
   * Renames the spare to the name of the segment at `base`, waiting for it if
   * it is being made; false if there is none (then the caller creates the
   * file). Call only once what came before is flushed: after it, the file is
   * the newest segment.
   */
  async take(base: number): Promise<boolean> {
    const making = this.making;
    this.making = null;
    if (!making || !(await making)) return false;
    try {
      await this.dir.rename(SPARE_FILE, segmentName(base));
      return true;
    } catch {
      return false;
    }
  }

  /** No more spares: waits for one being made (nothing stays open), then removes it. Never rejects. */
  async close(): Promise<void> {
    this.off = true;
    const making = this.making;
    this.making = null;
    if (!making) return;
    await making;
    await this.dir.remove(SPARE_FILE).catch(() => undefined);
  }
}
