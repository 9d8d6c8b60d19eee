/**
 * Known files: how a writer's open learns which segment files its log has
 * without listing the directory, which takes a fifth of a second and more
 * at thousands of segments (BENCHMARKS.md), as long as the open before it
 * ended well.
 *
 * After every change to its set of segment files (its open, a roll, a
 * rewrite or removal of sealed segments) the writer saves their bases in
 * IndexedDB with the change counter's state right after that change (`seq`
 * and `head`, engine/changes.ts). An open that reads the counter in that
 * same state takes those files for the listing:
 * - Every change to the set moves the counter first (a roll its `head`, a
 *   rewrite, a removal, an import and an open its `seq`), so a crash between
 *   the change and the save leaves the saved state behind the counter, and
 *   the open lists. So does a saved state that never reached IndexedDB.
 * - A rewrite, an import or a recovery that a crash cut short leaves `seq`
 *   odd; the saved state is always even, so their leftovers are found by a
 *   listing as before.
 * - An export's side copies (engine/snapshot.ts) outlive the change they
 *   were made for; while one is there the writer saves that it is, and an
 *   open lists (and removes them).
 * - A segment file removed behind the log's back is found missing when it
 *   is opened (segment/file-pool.ts); the writer saves that it was, and the
 *   next open lists and goes on without it, as it did before known files.
 * - The counter needs no durability, and a power cut may lose its latest
 *   writes along with the saved state while the files survive: the state
 *   then matches, and the files do not. A lost roll is caught by looking
 *   for the file after the head; a file missing is caught when it is
 *   opened, by the open or by the first read of it (as above). Either way
 *   the open loads again from a listing.
 */
import { segmentName } from '../segment/segment.ts';
import type { Segment } from '../segment/segment.ts';
import type { Directory } from '../storage/files.ts';
import type { IndexStore, KnownFiles } from '../indexes/store.ts';
import type { FilePool } from '../segment/file-pool.ts';
import type { ChangeState } from './changes.ts';
import { type FirstLook, type LoadedSegments, type LoadOptions, loadSegments } from './load.ts';

/** The file names to take for the directory's listing, or null if `known` does not describe it now. */
export function trustedNames(known: KnownFiles | undefined, now: ChangeState): string[] | null {
  if (known?.listNext !== false || known.seq !== now.seq || known.head !== now.head) return null;
  if (now.seq % 2 !== 0 || known.bases.at(-1) !== now.head) return null;
  return known.bases.map(segmentName);
}

/**
 * Whether a file follows `segments`' head: a roll the counter and the saved
 * state both lost (a power cut). An empty head is named by the next offset
 * already, so nothing can follow it.
 */
async function fileAfterHead(dir: Directory, segments: readonly Segment[]): Promise<boolean> {
  const head = segments.at(-1);
  return head !== undefined && head.count > 0 && dir.exists(segmentName(head.lastOffset + 1));
}

/**
 * Loads the segments of the files `trusted` names (see known-files.ts), or,
 * if there are none or they prove stale (a file of them missing, or one past
 * their head), of the files a listing finds. `listed`: the directory's names
after recovery, if it was listed.
 */
export async function loadKnowing(
  pool: FilePool,
  path: string,
  store: IndexStore,
  options: LoadOptions,
  summaries: FirstLook['summaries'],
  trusted: string[] | null,
): Promise<{ loaded: LoadedSegments; listed?: string[] }> {
  if (trusted) {
    const loaded = await loadSegments(pool, path, store, options, { listed: trusted, summaries }).catch(() => null);
    if (loaded && !(await fileAfterHead(pool.dir, loaded.segments))) return { loaded };
    if (loaded) await Promise.all(loaded.segments.map((s) => s.close()));
  }
  const loaded = await loadSegments(pool, path, store, options, { listed: await pool.dir.names(), summaries });
  return { loaded, listed: loaded.listed }; // as recovery left the directory
}

/** Saves the set of segment files the writer has now, with the counter's state (see the file comment). */
export function saveKnownFiles(
  store: IndexStore,
  dir: string,
  now: ChangeState,
  segments: readonly Segment[],
  listNext: boolean,
): void {
  store.putSoon({ dir, seq: now.seq, head: now.head, bases: segments.map((s) => s.base), listNext });
}
