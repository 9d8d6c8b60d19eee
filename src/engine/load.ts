/**
 * Opening the segments of a log: finish interrupted rewrites, read the
 * persisted indexes, verify them against the files, rescan what they do not
 * cover, and cut a torn tail off the head segment.
 */
import { LogError } from '../errors.ts';
import type { IndexStore, KeyFilter, SavedIndex, SegmentRecord, SegmentSummary } from '../indexes/store.ts';
import { type LazyIndex, parseSegmentName, Segment, type OpenedSegment } from '../segment/segment.ts';
import type { FilePool } from '../segment/file-pool.ts';
import type { Directory } from '../storage/files.ts';
import { CHANGES_FILE } from './changes.ts';
import { PRODUCERS_FILE } from './producers.ts';
import { finishReplace } from './replace.ts';
import { removeSideCopies } from './snapshot.ts';

/** Suffix of a rewritten segment before it replaces the original (see engine/rewrite.ts). */
export const REWRITE_SUFFIX = '.tmp';

export interface LoadOptions {
  readonly: boolean;
  check: boolean;
  /** A reader's segments known to be unchanged (by name): taken as they are, not opened again. */
  keep?: ReadonlyMap<string, Segment>;
}

/** What an open reads first, before it changes anything: the directory's file names and the sealed segments' summaries. */
export interface FirstLook {
  listed: string[];
  summaries: Map<number, SegmentSummary>;
}

/** The first look at the log in `dir`; a writer takes it while it opens its change counter (see `loadSegments`). */
export async function firstLook(dir: Directory, store: IndexStore, path: string): Promise<FirstLook> {
  const [listed, summaries] = await Promise.all([dir.names(), store.summaries(path)]);
  return { listed, summaries };
}

/** What `loadSegments` found. */
export interface LoadedSegments {
  segments: Segment[];
  /** What to save again in IndexedDB (see `loadSegments`). */
  stale: SavedIndex[];
  /** The directory's file names once recovery was done (segments created afterwards not among them). */
  listed: string[];
  /** The bases IndexedDB has summaries of, some perhaps of segments that are gone (see `removeLeftovers`). */
  summarized: number[];
}

/** Segment file names of `dir`, in offset order. */
export async function segmentNames(dir: Directory): Promise<string[]> {
  const names = (await dir.names()).filter((n) => parseSegmentName(n) !== null);
  return names.sort();
}

/**
 * A rewrite writes `X.log.tmp`, flushes it, then renames it over `X.log`.
 * If `X.log` is still there the rewrite never committed: drop the copy.
 * If it is gone, the copy is complete: finish the rename.
 */
async function finishRewrites(dir: Directory): Promise<void> {
  const names = new Set(await dir.names());
  for (const name of names) {
    if (!name.endsWith(REWRITE_SUFFIX)) continue;
    const target = name.slice(0, -REWRITE_SUFFIX.length);
    if (parseSegmentName(target) === null) continue;
    if (names.has(target)) await dir.remove(name);
    else await dir.rename(name, target);
  }
}

/**
 * Loads every segment. A sealed segment with a summary (written when it was
 * sealed) is taken from it, neither its file opened nor its index loaded
 * (`Segment.fromSummary` says how a file changed meanwhile is caught); every
 * other one is opened and its record checked against the file now. Returns
 * them in order, plus what to persist again because the file said more than
 * IndexedDB did (a lagging or missing index), or because a sealed segment
 * has no summary yet. What IndexedDB keeps of segments that no longer exist
 * (a leading index) is for the writer to remove after its open
 * (`removeLeftovers`). `first`: the first look, if the caller took it already.
 */
export async function loadSegments(
  pool: FilePool,
  path: string,
  store: IndexStore,
  options: LoadOptions,
  first?: FirstLook,
): Promise<LoadedSegments> {
  const dir = pool.dir;
  let { listed, summaries } = await (first ?? firstLook(dir, store, path));
  // Only a crash leaves other files than segments and the producer table: list again only if one is there
  // (a listing takes milliseconds: BENCHMARKS.md).
  if (
    !options.readonly &&
    listed.some((n) => parseSegmentName(n) === null && n !== PRODUCERS_FILE && n !== CHANGES_FILE)
  ) {
    await finishReplace(dir); // first: a committed replace also drops old rewrite copies
    await finishRewrites(dir);
    await removeSideCopies(dir); // an export's copies, left by a crash
    listed = await dir.names();
  }
  const names = listed.filter((n) => parseSegmentName(n) !== null).sort();
  // Read on the first key lookup, for every segment at once: one read of many is much cheaper in IndexedDB.
  // Each is taken once, by its segment, and let go of here: its block (indexes/key-filters.ts) copies its
  // words, which this map would otherwise keep as a second copy for as long as the log is open.
  let filters: Promise<Map<number, KeyFilter>> | undefined;
  const filterOf = async (base: number) => {
    filters ??= store.filters(path);
    const all = await filters;
    const filter = all.get(base);
    all.delete(base);
    return filter;
  };
  const lazy = (name: string, isHead: boolean) => {
    const summary = summaries.get(parseSegmentName(name)!);
    if (isHead || !summary) return undefined;
    const { base } = summary;
    return Segment.fromSummary(pool, name, summary, lazyIndex(store, path, base, options.readonly, filterOf));
  };
  const fresh: number[] = []; // the bases of the files opened now, whose records are checked against them
  const opening = names.map((name, i) => {
    const taken = options.keep?.get(name) ?? lazy(name, i === names.length - 1);
    if (taken) return taken;
    fresh.push(parseSegmentName(name)!);
    return Segment.openFile(pool, name);
  });
  // Read while the files open: each costs a millisecond or more, and neither needs the other.
  const recording = recordsOf(store, path, fresh);
  recording.catch(() => undefined); // not awaited if an open fails
  const opened = await Promise.allSettled(opening);
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) {
    await Promise.allSettled(opened.map((o) => o.status === 'fulfilled' && closeOpened(o.value)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const records = await recording;
  const segments: Segment[] = [];
  const stale: SavedIndex[] = [];
  let maxTime = -Infinity;
  try {
    for (let i = 0; i < names.length; i++) {
      const isHead = i === names.length - 1;
      const found = (opened[i] as PromiseFulfilledResult<OpenedSegment | Segment>).value;
      if (found instanceof Segment) {
        segments.push(found);
        if (found.count > 0) maxTime = found.maxTime;
        continue;
      }
      const { segment, buildIndex } = found;
      const record = options.check && isHead ? undefined : records.get(segment.base);
      const { scan, fromRecord } = await buildIndex(record, maxTime);
      // A reader's writer may replace the file meanwhile: the same incarnation after a scan as
      // before it means every byte indexed was of this one file.
      const scanned = !fromRecord || record?.size !== segment.size || scan.damaged;
      if (
        options.readonly &&
        scanned &&
        (await segment.currentIncarnation()) !== (segment.size > 0 ? segment.incarnation : null)
      ) {
        throw new LogError('Internal', `${path}/${names[i]} changed while it was read`);
      }
      segments.push(segment);
      if (segment.size === 0) {
        // A header that never made it to disk: only a just-created head can have one.
        if (!isHead) throw new LogError('Corrupted', `${path}/${names[i]}: invalid segment header`);
        if (!options.readonly) await segment.resetTornHeader();
      } else if (scan.damaged) {
        if (!isHead && !options.readonly) {
          throw new LogError('Corrupted', `${path}/${names[i]}: damaged record at byte ${scan.committedEnd}`);
        }
        // The head's torn tail (a crash mid-publish): keep the intact prefix.
        if (!options.readonly) await segment.cutTornTail();
      }
      // A sealed segment without a summary (a crash before its roll's record was saved) gets one.
      const summaryOff = isHead && summaries.has(segment.base); // the roll's, of a head whose successor never came
      if (!options.readonly && (!fromRecord || record?.size !== segment.size || !isHead || summaryOff)) {
        stale.push(segment.saved(path, !isHead));
      }
      if (segment.count > 0) maxTime = segment.maxTime;
    }
  } catch (err) {
    await Promise.all(opened.map((o) => closeOpened((o as PromiseFulfilledResult<OpenedSegment | Segment>).value)));
    throw err;
  }
  return { segments, stale, listed, summarized: [...summaries.keys()] };
}

/** The records of the segments of `bases`, by base (those IndexedDB has). */
async function recordsOf(store: IndexStore, path: string, bases: number[]): Promise<Map<number, SegmentRecord>> {
  const found = await Promise.all(bases.map((base) => store.record(path, base)));
  return new Map(found.flatMap((r) => (r ? [[r.base, r] as const] : [])));
}

/**
 * Removes the derived data left behind by segments that are gone (it names
 * an incarnation no file will have again): what IndexedDB keeps of a base in
 * `summarized` or among its records that `isSegment` does not know now. A
 * writer runs this after its open rather than in it: finding the records'
 * bases reads every record (a quarter of a second at 10M messages,
 * BENCHMARKS.md), and a leftover misleads no read meanwhile (an open goes by
 * the files' names, a record must name its file's incarnation). A base is
 * checked right before its removal, so one that a roll made a segment's
 * again keeps what the roll saves (queued after the removal).
 */
export async function removeLeftovers(
  store: IndexStore,
  path: string,
  summarized: readonly number[],
  isSegment: (base: number) => boolean,
): Promise<void> {
  const bases = new Set([...summarized, ...(await store.bases(path))]);
  for (const base of bases) {
    if (!isSegment(base)) await store.remove(path, base).catch(() => undefined);
  }
}

/** How the segment at `base`, opened from its summary, loads its index (see `LazyIndex`); a readonly log leaves IndexedDB to its writer. */
function lazyIndex(
  store: IndexStore,
  path: string,
  base: number,
  readonly: boolean,
  filterOf: (base: number) => Promise<KeyFilter | undefined>,
): LazyIndex {
  return {
    record: () => store.record(path, base),
    filter: () => filterOf(base),
    changed: () => void (readonly ? undefined : store.remove(path, base).catch(() => undefined)),
    rebuilt: (segment) => void (readonly ? undefined : store.putSoon(segment.saved(path, true))),
  };
}

/**
 * How a segment this log's writer sealed, or a readonly log saw its writer
 * roll past, loads its index again once it was dropped (a summary's segment
 * has its own: `lazyIndex`): from its record, saved at its roll, or else
 * from the file.
 */
export function sealedIndex(store: IndexStore, path: string, readonly: boolean): (base: number) => LazyIndex {
  // Its filter is never asked: such a segment keeps its own (`Segment.dropIndex`).
  return (base) => lazyIndex(store, path, base, readonly, async () => undefined);
}

/** Closes a segment this load opened; one the caller passed in `keep` stays open, the caller's. */
async function closeOpened(opened: OpenedSegment | Segment): Promise<void> {
  if (!(opened instanceof Segment)) await opened.segment.close();
}
