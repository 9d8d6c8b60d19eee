/**
 * The bound on loaded indexes (segment/loaded-indexes.ts): reads over many
 * sealed segments keep at most `LOADED_INDEX_BYTES` of their indexes loaded
 * between calls, every read still answers right from an index dropped and
 * loaded again, and a file changed meanwhile is still caught.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compactUpdates } from '../../src/compaction/updates.ts';
import { exportArchive } from '../../src/index.ts';
import { restoreArchive } from '../../src/archive/restore.ts';
import { IndexStore } from '../../src/indexes/store.ts';
import { SegmentIndex } from '../../src/indexes/segment-index.ts';
import {
  type DroppableIndex,
  LOADED_INDEX_BYTES,
  LoadedIndexes,
  MIN_LOADED_INDEXES,
} from '../../src/segment/loaded-indexes.ts';
import { Segment } from '../../src/segment/segment.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import type { Log } from '../../src/types.ts';
import { allOffsets, enc, freshEnv, gen, headFile, openLog, rejection } from './helpers.ts';

const ROLLOVER = 400;
/** 600 messages of unique keys `k<i>`, times 1000 + i ms: ~60 segments. */
const MESSAGES = 600;
const FIRST = '00000000000000000000.log';

/** Publishes MESSAGES messages with unique keys into `log`, in batches of 10. */
async function publishAll(log: Log): Promise<void> {
  for (let b = 0; b < MESSAGES / 10; b++) await log.publish(gen(10, b * 10, Infinity));
}

async function closedLog(): Promise<MemoryEnv> {
  const env = freshEnv();
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  await publishAll(log);
  await log.close();
  return env;
}

/**
 * Every segment whose index was asked for or that was sealed while this
 * runs, to count the sealed ones whose index is loaded (`sealedLoaded`).
 */
function watchSegments() {
  const seen = new Set<Segment>();
  const { loadIndex, keepOpen, close } = Segment.prototype;
  vi.spyOn(Segment.prototype, 'loadIndex').mockImplementation(function (this: Segment) {
    seen.add(this);
    return loadIndex.call(this);
  });
  vi.spyOn(Segment.prototype, 'keepOpen').mockImplementation(function (this: Segment, on: boolean) {
    seen.add(this);
    keepOpen.call(this, on);
  });
  // A closed segment (rewritten by a delete) is no longer the log's, whatever it holds.
  vi.spyOn(Segment.prototype, 'close').mockImplementation(function (this: Segment) {
    seen.delete(this);
    return close.call(this);
  });
  return {
    /** Sealed segments of the log at `env` with their index loaded now (the head's is always). */
    async sealedLoaded(env: MemoryEnv): Promise<number> {
      const { name: head } = await headFile(env);
      return [...seen].filter((s) => s.indexLoaded && s.name !== head).length;
    },
  };
}

/** Deterministic pseudo-random offsets below `n`. */
function randomOffsets(count: number, n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  });
}

const key = (i: number) => enc.encode(`k${i}`);

/** Waits until IndexedDB holds the sealed record of the segment at `base` (the writer saves it in the background). */
async function recordSaved(env: MemoryEnv, base: number): Promise<void> {
  const store = await IndexStore.open(env.idb);
  try {
    while ((await store.summaries('log')).get(base) === undefined) await new Promise((r) => setTimeout(r, 5));
  } finally {
    store.close();
  }
}

/** Random reads of every kind, each checked, with the loaded sealed indexes counted after each. */
async function randomReads(log: Log, env: MemoryEnv, watch: ReturnType<typeof watchSegments>): Promise<number> {
  let most = 0;
  const reads: [string, (o: number) => Promise<number>][] = [
    ['get', async (o) => (await log.get(o)).offset],
    ['getByKey', async (o) => (await log.getByKey(key(o))).offset],
    ['getByTime', async (o) => (await log.getByTime(1000 + o)).offset],
    ['offsetByTime', async (o) => (await log.offsetByTime(1000 + o)).offset],
    ['consume', async (o) => (await log.consume(o, 3)).messages[0]!.offset],
    ['consumeByKey', async (o) => (await log.consumeByKey(key(o), 0, 5)).messages[0]!.offset],
  ];
  for (const [n, o] of randomOffsets(120, MESSAGES, 7).entries()) {
    const [name, read] = reads[n % reads.length]!;
    expect(await read(o), `${name}(${o})`).toBe(o);
    most = Math.max(most, await watch.sealedLoaded(env));
  }
  return most;
}

/** Sealed indexes that fit the budget in the tests below, where each weighs a quarter of it. */
const LOADED_INDEXES = 4;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('LoadedIndexes', () => {
  /** An index of `bytes` that drops when asked unless `held`. */
  const fake = (bytes: number, held = false) => {
    const index = {
      loaded: true,
      get indexBytes() {
        return index.loaded ? bytes : 0;
      },
      dropIndex: () => {
        if (held) return false;
        index.loaded = false;
        return true;
      },
    };
    return index satisfies DroppableIndex;
  };

  it('drops the least recently used of earlier calls until the rest fit the budget', () => {
    const loaded = new LoadedIndexes(100);
    const [a, b, c, d] = [fake(40), fake(40), fake(40), fake(40)];
    for (const x of [a, b, c]) loaded.touched(x); // one call: none dropped under it
    expect(loaded.bytes).toBe(120);
    loaded.nextOperation();
    expect([a.loaded, b.loaded, c.loaded]).toEqual([false, true, true]);
    loaded.touched(b); // b most recent now
    loaded.touched(d);
    expect([b.loaded, c.loaded, d.loaded]).toEqual([true, false, true]);
    expect(loaded).toMatchObject({ count: 2, bytes: 80 });
  });

  it(`keeps the ${MIN_LOADED_INDEXES} most recently used whatever their size`, () => {
    const loaded = new LoadedIndexes(10);
    const [a, b, c] = [fake(50), fake(50), fake(50)];
    for (const x of [a, b, c]) {
      loaded.nextOperation();
      loaded.touched(x);
    }
    loaded.nextOperation();
    expect([a.loaded, b.loaded, c.loaded]).toEqual([false, true, true]);
  });

  it('drops what the running call released, and never what something holds', () => {
    const loaded = new LoadedIndexes(100);
    const [held, a, b, c] = [fake(60, true), fake(60), fake(60), fake(60)];
    loaded.touched(held);
    loaded.nextOperation();
    loaded.touched(a);
    loaded.release(a);
    loaded.touched(b);
    loaded.touched(c);
    expect([held.loaded, a.loaded, b.loaded, c.loaded]).toEqual([true, false, true, true]);
    expect(loaded.count).toBe(3);
  });
});

describe('the bytes of a loaded index', () => {
  it('are 12 a message unpacked from its record (dense offsets, narrow times), more once sorted by key', () => {
    const index = new SegmentIndex(0);
    for (let i = 0; i < 1000; i++) index.append(i, 24 + i * 50, 1000 + i, i % 97);
    const unpacked = SegmentIndex.unpack(0, index.pack());
    expect(unpacked.bytes).toBe(12 * 1000);
    for (let i = 0; i < 40; i++) unpacked.withHash(i); // past the scans before a sort
    expect(unpacked.bytes).toBeGreaterThan(16 * 1000);
    expect(unpacked.bytes).toBeLessThanOrEqual(18 * 1000);
  });
});

describe('the bound on loaded indexes', () => {
  beforeEach(() => {
    // Each loaded index weighs a quarter of the budget here: the log's small segments then need no more messages.
    vi.spyOn(Segment.prototype, 'indexBytes', 'get').mockImplementation(function (this: Segment) {
      return this.indexLoaded ? LOADED_INDEX_BYTES / LOADED_INDEXES : 0;
    });
  });

  it('keeps at most the bound of sealed indexes loaded under random reads of every kind, each answered right', async () => {
    const env = await closedLog();
    const watch = watchSegments();
    const records = vi.spyOn(IndexStore.prototype, 'record');
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    expect((await log.stat()).segments).toBeGreaterThan(40);
    expect(await randomReads(log, env, watch)).toBeLessThanOrEqual(LOADED_INDEXES);
    // Indexes were dropped and loaded again from IndexedDB: more loads than segments.
    expect(records.mock.calls.length).toBeGreaterThan((await log.stat()).segments);
    expect(await allOffsets(log)).toEqual([...Array(MESSAGES).keys()]); // a whole consume, too
    expect(await watch.sealedLoaded(env)).toBeLessThanOrEqual(LOADED_INDEXES);
    await log.close();
  });

  it('bounds the indexes of segments the writer sealed itself, and loads them again from IndexedDB', async () => {
    const env = freshEnv();
    const watch = watchSegments();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await publishAll(log);
    await log.nextOffset(); // the call after the last roll may drop what the publishes left
    expect(await watch.sealedLoaded(env)).toBeLessThanOrEqual(LOADED_INDEXES);
    const records = vi.spyOn(IndexStore.prototype, 'record');
    expect(await randomReads(log, env, watch)).toBeLessThanOrEqual(LOADED_INDEXES);
    expect(records.mock.calls.length).toBeGreaterThan(0);
    // A key lookup still skips a dropped segment by its filter, kept in memory: one lookup loads one index.
    await log.get(0);
    await log.get(300); // two recent sealed segments loaded; the one holding k555 not among them
    records.mockClear();
    expect((await log.getByKey(key(555))).offset).toBe(555);
    expect(records.mock.calls.length).toBeLessThanOrEqual(2); // its own, and rarely a filter's false yes
    await log.close();
  });

  it("bounds a readonly log's indexes of the segments it saw its writer roll past, and loads them again", async () => {
    const env = freshEnv();
    const watch = watchSegments();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    const reader = await openLog(env, 'log', { readonly: true });
    for (let b = 0; b < MESSAGES / 10; b++) {
      await log.publish(gen(10, b * 10, Infinity));
      expect((await reader.get(b * 10)).offset).toBe(b * 10); // catches up with every roll, head after head
    }
    await log.close(); // its segments closed: the ones counted from here on are the reader's
    await reader.nextOffset();
    expect(await watch.sealedLoaded(env)).toBeLessThanOrEqual(LOADED_INDEXES);
    expect(await randomReads(reader, env, watch)).toBeLessThanOrEqual(LOADED_INDEXES);
    expect(await allOffsets(reader)).toEqual([...Array(MESSAGES).keys()]);
    await reader.close();
  });

  it('deletes and compacts in segments whose indexes were dropped, and the log reopens the same', async () => {
    const env = await closedLog();
    const watch = watchSegments();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await randomReads(log, env, watch);
    const deleted = [3, 4, 251, 252, 598];
    for (const o of deleted) expect((await log.delete([o])).deletedOffsets).toEqual(new Set([o]));
    // Newer messages of keys k0-k9 make the older ones updates a compaction deletes.
    await log.publish(Array.from({ length: 10 }, (_, i) => ({ key: key(i), value: enc.encode('new'), time: 5000 })));
    const compacted = await compactUpdates(log, Date.now() + 1000);
    expect(compacted.deletedOffsets).toEqual(new Set([0, 1, 2, 5, 6, 7, 8, 9]));
    const expected = [...Array(MESSAGES + 10).keys()].filter((o) => o > 9 && !deleted.includes(o));
    expect(await allOffsets(log)).toEqual(expected);
    for (const o of randomOffsets(40, MESSAGES, 3).filter((o) => o > 9 && !deleted.includes(o))) {
      expect((await log.getByKey(key(o))).offset).toBe(o);
    }
    expect(await watch.sealedLoaded(env)).toBeLessThanOrEqual(LOADED_INDEXES);
    await log.close();
    const reopened = await openLog(env, 'log', { rollover: ROLLOVER });
    expect(await allOffsets(reopened)).toEqual(expected);
    await reopened.close();
  });

  it('trims by retention through dropped indexes', async () => {
    const env = await closedLog();
    const log = await openLog(env, 'log', { rollover: ROLLOVER, retention: { maxCount: 500 } });
    const offsets = await allOffsets(log); // trimmed on open, from indexes dropped and loaded again
    expect(offsets.length).toBeLessThanOrEqual(500);
    expect(offsets.at(-1)).toBe(MESSAGES - 1);
    for (const o of randomOffsets(30, MESSAGES, 5)) {
      if (o >= offsets[0]!) expect((await log.get(o)).offset).toBe(o);
      else expect((await rejection(log.get(o))).code).toBe('NotFound');
    }
    await log.close();
  });

  it('keeps the indexes an export reads while reads drop others around it', async () => {
    const env = await closedLog();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    const exporting = exportArchive(log);
    // Queued between the export's reads of index rows, which run outside the queue.
    for (const o of randomOffsets(60, MESSAGES, 11)) expect((await log.get(o)).offset).toBe(o);
    const file = await exporting;
    await log.close();
    const target = freshEnv();
    await restoreArchive(target, 'copy', file);
    const copy = await openLog(target, 'copy', { rollover: ROLLOVER });
    expect(await allOffsets(copy)).toEqual([...Array(MESSAGES).keys()]);
    expect((await copy.getByKey(key(123))).offset).toBe(123);
    await copy.close();
  });

  describe('a segment changed while its index was dropped', () => {
    /** A log of `env` whose first segment was read, then had its index dropped and its file closed. */
    async function droppedFirst(env: MemoryEnv): Promise<Log> {
      const log = await openLog(env, 'log', { rollover: ROLLOVER, maxOpenFiles: 2 });
      expect((await log.get(0)).offset).toBe(0);
      for (const o of [100, 200, 300, 400, 500]) expect((await log.get(o)).offset).toBe(o);
      return log;
    }

    it('rejects Corrupted for a file of another incarnation, opened from its summary', async () => {
      const env = await closedLog();
      const watch = watchSegments();
      const log = await droppedFirst(env);
      expect(await watch.sealedLoaded(env)).toBeLessThanOrEqual(LOADED_INDEXES);
      const { d } = await headFile(env);
      const bytes = d.raw(FIRST)!.slice();
      bytes[9]! ^= 0xff; // the header's incarnation: another file now
      d.setRaw(FIRST, bytes);
      const err = await rejection(log.get(1));
      expect(err.code).toBe('Corrupted');
      expect(err.message).toContain(FIRST);
      expect((await log.get(599)).offset).toBe(599); // the rest of the log still reads
      await log.close();
    });

    it('rejects Corrupted for a shorter file the writer sealed itself', async () => {
      const env = freshEnv();
      const writer = await openLog(env, 'log', { rollover: ROLLOVER, maxOpenFiles: 2 });
      await publishAll(writer);
      await recordSaved(env, 0); // its index then loads again from the record, not from the file
      for (const o of [0, 100, 200, 300, 400, 500]) expect((await writer.get(o)).offset).toBe(o);
      const { d } = await headFile(env);
      const bytes = d.raw(FIRST)!;
      d.setRaw(FIRST, bytes.subarray(0, bytes.length - 5));
      const err = await rejection(writer.get(1));
      expect(err.code).toBe('Corrupted');
      expect(err.message).toContain(FIRST);
      await writer.close();
    });

    it('rejects Corrupted when its record is gone and the file holds other messages than its summary', async () => {
      const env = await closedLog();
      const log = await droppedFirst(env);
      const store = await IndexStore.open(env.idb);
      await store.remove('log', 0); // the reload must read the file, which no longer matches
      store.close();
      const { d } = await headFile(env);
      const bytes = d.raw(FIRST)!;
      d.setRaw(FIRST, bytes.subarray(0, bytes.length - 5)); // a torn last record
      const err = await rejection(log.get(1));
      expect(err.code).toBe('Corrupted');
      await log.close();
    });
  });
});
