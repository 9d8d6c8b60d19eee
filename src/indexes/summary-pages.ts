/**
 * Sealed segments' summaries (store.ts `SegmentSummary`) as IndexedDB keeps
 * them: many to a record, a page, because an open reads every one and
 * IndexedDB's cost is per record: 1,667 records of one summary each took an
 * open of 10M messages 23-38 ms in Chromium, a quarter of its time, and a
 * page of 256 costs about what one summary did (BENCHMARKS.md).
 *
 * A page is keyed by the log's directory and a base no greater than any of
 * its summaries' (`base`): a segment's summary is in the page of the
 * greatest such key at most its base. A roll adds the sealed segment's
 * summary to the last page, or, once that holds `PAGE_SUMMARIES`, starts
 * the next one at its base; a change to one summary (a rewrite, a removal)
 * rewrites its page alone. So a save costs the same however long the log.
 */
import type { IDBPObjectStore } from 'idb';

/**
 * What an open needs of a sealed segment, without its index: a few numbers,
 * where the index takes twelve bytes a message. Kept in pages (this file's
 * comment) beside the segment's record, so that an open reads these alone,
 * and with its key filter (store.ts `KeyFilter`), written and removed with
 * them.
 */
export interface SegmentSummary {
  dir: string;
  base: number;
  /** As the record's: the summary describes the same file. */
  incarnation: number;
  size: number;
  count: number;
  firstOffset: number;
  lastOffset: number;
  maxTime: number;
  /** The first message's indexed time: a rescan of the file starts its running maximum there. */
  firstTime: number;
}

/** The IndexedDB store of the pages. */
export const SUMMARY_PAGES = 'summaryPages';
/** Summaries a page holds before the next summary after its last starts a new page: 16 KB a page. */
export const PAGE_SUMMARIES = 256;

/** The numbers of one summary, in this order, in a page's `summaries`. */
const FIELDS = ['base', 'incarnation', 'size', 'count', 'firstOffset', 'lastOffset', 'maxTime', 'firstTime'] as const;
const WIDTH = FIELDS.length;

export interface SummaryPage {
  dir: string;
  /** At most the base of its first summary (a removal can leave it below). */
  base: number;
  /** `FIELDS.length` numbers a summary, in base order. */
  summaries: Float64Array;
}

type PageStore = IDBPObjectStore<unknown, string[], typeof SUMMARY_PAGES, 'readwrite'>;

/** The summaries of `pages`, by base. */
export function unpackPages(pages: readonly SummaryPage[]): Map<number, SegmentSummary> {
  const all = new Map<number, SegmentSummary>();
  for (const page of pages) {
    const numbers = page.summaries;
    for (let at = 0; at + WIDTH <= numbers.length; at += WIDTH) {
      const summary = { dir: page.dir } as Record<string, unknown>;
      for (let f = 0; f < WIDTH; f++) summary[FIELDS[f]!] = numbers[at + f];
      all.set(numbers[at]!, summary as unknown as SegmentSummary);
    }
  }
  return all;
}

function pack(dir: string, base: number, summaries: readonly Omit<SegmentSummary, 'dir'>[]): SummaryPage {
  const numbers = new Float64Array(summaries.length * WIDTH);
  summaries.forEach((s, i) => {
    for (let f = 0; f < WIDTH; f++) numbers[i * WIDTH + f] = s[FIELDS[f]!];
  });
  return { dir, base, summaries: numbers };
}

/**
 * Puts `summary` as the summary of the segment at `base` of log `dir`, or,
 * undefined, drops any it had: reads and rewrites its page inside the
 * caller's transaction.
 */
export async function putSummary(
  store: PageStore,
  dir: string,
  base: number,
  summary: SegmentSummary | undefined,
): Promise<void> {
  const cursor = await store.openCursor(IDBKeyRange.bound([dir, -Infinity], [dir, base]), 'prev');
  const page = cursor?.value as SummaryPage | undefined;
  const all = page ? [...unpackPages([page]).values()] : [];
  const kept = all.filter((s) => s.base !== base);
  if (!summary) {
    if (!page || kept.length === all.length) return;
    await (kept.length > 0 ? store.put(pack(dir, page.base, kept)) : store.delete([dir, page.base]));
    return;
  }
  if (!page || (kept.length >= PAGE_SUMMARIES && kept.every((s) => s.base < base))) {
    await store.put(pack(dir, base, [summary]));
    return;
  }
  kept.push(summary);
  kept.sort((a, b) => a.base - b.base);
  await store.put(pack(dir, page.base, kept));
}

/**
 * The upgrade from one summary a record (IndexedDB version 5 and before):
 * makes the pages' store, writes the old store's summaries into it, and
 * deletes the old store, all in the upgrade's own transaction.
 */
export function migrateSummaries(db: IDBDatabase, upgrade: IDBTransaction, oldStore: string): void {
  const pages = db.createObjectStore(SUMMARY_PAGES, { keyPath: ['dir', 'base'] });
  if (!db.objectStoreNames.contains(oldStore)) return;
  const all = upgrade.objectStore(oldStore).getAll();
  all.onsuccess = () => {
    const byDir = new Map<string, SegmentSummary[]>();
    for (const summary of all.result as SegmentSummary[]) {
      const list = byDir.get(summary.dir) ?? [];
      list.push(summary);
      byDir.set(summary.dir, list);
    }
    for (const [dir, list] of byDir) {
      list.sort((a, b) => a.base - b.base);
      for (let i = 0; i < list.length; i += PAGE_SUMMARIES) {
        const chunk = list.slice(i, i + PAGE_SUMMARIES);
        pages.put(pack(dir, chunk[0]!.base, chunk));
      }
    }
    db.deleteObjectStore(oldStore);
  };
}
