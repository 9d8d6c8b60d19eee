/**
 * Sealed segments' summaries kept many to an IndexedDB record
 * (indexes/summary-pages.ts): a long log's open reads a few pages, not a
 * record a segment; every change to a summary keeps its page right; and the
 * upgrade from one summary a record (version 5) keeps every summary.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { IndexStore, type SegmentSummary } from '../../src/indexes/store.ts';
import { PAGE_SUMMARIES, SUMMARY_PAGES, type SummaryPage } from '../../src/indexes/summary-pages.ts';
import { Segment } from '../../src/segment/segment.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import { DB_NAME } from '../../src/namespace.ts';
import type { Log } from '../../src/types.ts';
import { allOffsets, freshEnv, gen, openLog } from './helpers.ts';

const ROLLOVER = 150;
const range = (n: number) => [...Array(n).keys()];

/** A closed log of about 2.5 pages' worth of sealed segments, a publish (of 2) each. */
async function longLog(env: MemoryEnv): Promise<number> {
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  const n = 2 * (PAGE_SUMMARIES * 2 + PAGE_SUMMARIES / 2);
  for (let i = 0; i < n; i += 2) await log.publish(gen(2, i));
  expect((await log.stat()).segments).toBeGreaterThan(2 * PAGE_SUMMARIES);
  await log.close();
  return n;
}

/** The raw pages of the database in `idb`. */
function pages(idb: IDBFactory): Promise<SummaryPage[]> {
  return new Promise((resolve, reject) => {
    const open = idb.open(DB_NAME);
    open.onsuccess = () => {
      const req = open.result.transaction(SUMMARY_PAGES).objectStore(SUMMARY_PAGES).getAll();
      req.onsuccess = () => {
        open.result.close();
        resolve(req.result as SummaryPage[]);
      };
      req.onerror = () => reject(req.error);
    };
    open.onerror = () => reject(open.error);
  });
}

/** Reopens the log and reads it whole, counting the segments opened from their files (not their summaries). */
async function reopenCounting(env: MemoryEnv): Promise<{ offsets: number[]; fromFiles: number; segments: number }> {
  const openFile = vi.spyOn(Segment, 'openFile');
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  const fromFiles = openFile.mock.calls.length;
  openFile.mockRestore();
  try {
    return { offsets: await allOffsets(log), fromFiles, segments: (await log.stat()).segments };
  } finally {
    await log.close();
  }
}

/** Deletes every one of `offsets` (a delete rewrites one segment a call). */
async function deleteAll(log: Log, offsets: number[]): Promise<void> {
  const left = new Set(offsets);
  while (left.size > 0) {
    const { deletedOffsets } = await log.delete(left);
    if (deletedOffsets.size === 0) throw new Error(`${left.size} offsets not deleted`);
    for (const o of deletedOffsets) left.delete(o);
  }
}

afterEach(() => vi.restoreAllMocks());

describe('summaries kept in pages', () => {
  it('keeps a long log in a few pages, and opens from them with only the head read from its file', async () => {
    const env = freshEnv();
    const n = await longLog(env);
    const kept = await pages(env.idb);
    expect(kept.length).toBe(3);
    for (const page of kept) expect(page.summaries.length / 8).toBeLessThanOrEqual(PAGE_SUMMARIES);
    const { offsets, fromFiles } = await reopenCounting(env);
    expect(fromFiles).toBe(1);
    expect(offsets).toEqual(range(n));
  });

  it("keeps every page right through deletes in the middle and the removal of the first page's segments", async () => {
    const env = freshEnv();
    const n = await longLog(env);
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    const middle = [PAGE_SUMMARIES * 2 + 1, PAGE_SUMMARIES * 3, n - 40]; // in the first page's, the second's and the last's segments
    const firstPageEnd = PAGE_SUMMARIES * 2 + 10; // past the first page's first segments, at least
    await deleteAll(log, [...middle, ...range(firstPageEnd)]);
    await log.close();
    const store = await IndexStore.open(env.idb);
    const summaries = await store.summaries('log');
    const records = await store.load('log');
    store.close();
    // A summary for every sealed segment there is, and each the same file as its record.
    expect([...summaries.keys()]).toEqual([...records.keys()].slice(0, -1));
    for (const [base, s] of summaries as Map<number, SegmentSummary>) {
      expect(s).toMatchObject({ base, incarnation: records.get(base)!.incarnation, count: records.get(base)!.count });
    }
    const gone = new Set([...middle, ...range(firstPageEnd)]);
    const { offsets, fromFiles } = await reopenCounting(env);
    expect(fromFiles).toBe(1);
    expect(offsets).toEqual(range(n).filter((o) => !gone.has(o)));
  });

  it('moves the summaries of a database of version 5 (one a record) into pages as it upgrades', async () => {
    const env = freshEnv();
    const n = await longLog(env);
    const store = await IndexStore.open(env.idb);
    const summaries = [...(await store.summaries('log')).values()];
    store.close();
    // The same database as version 5 kept it: the summaries one a record, no pages.
    const old = new IDBFactory();
    await copyAsVersion5(env.idb, old, summaries);
    const upgraded = { ...env, idb: old };
    const { offsets, fromFiles } = await reopenCounting(upgraded);
    expect(fromFiles).toBe(1);
    expect(offsets).toEqual(range(n));
    expect((await pages(old)).length).toBe(3);
  });
});

/** Writes into `to` a database of version 5 holding `from`'s records and `summaries` in the old store. */
async function copyAsVersion5(from: IDBFactory, to: IDBFactory, summaries: SegmentSummary[]): Promise<void> {
  const records = await new Promise<unknown[]>((resolve, reject) => {
    const open = from.open(DB_NAME);
    open.onsuccess = () => {
      const req = open.result.transaction('segments').objectStore('segments').getAll();
      req.onsuccess = () => {
        open.result.close();
        resolve(req.result);
      };
      req.onerror = () => reject(req.error);
    };
  });
  await new Promise<void>((resolve, reject) => {
    const open = to.open(DB_NAME, 5);
    open.onupgradeneeded = () => {
      const db = open.result;
      for (const name of ['segments', 'summaries', 'filters', 'keyFilters']) {
        db.createObjectStore(name, { keyPath: ['dir', 'base'] });
      }
      db.createObjectStore('cursors', { keyPath: ['dir', 'name'] });
      db.createObjectStore('knownFiles', { keyPath: 'dir' });
      for (const r of records) open.transaction!.objectStore('segments').put(r);
      for (const s of summaries) open.transaction!.objectStore('summaries').put(s);
    };
    open.onsuccess = () => {
      open.result.close();
      resolve();
    };
    open.onerror = () => reject(open.error);
  });
}
