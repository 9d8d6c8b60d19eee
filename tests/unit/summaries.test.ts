/**
 * A log opens its sealed segments from their IndexedDB summaries alone:
 * no file opened and no index loaded until a read needs it. These cases
 * cover what a summary cannot know: its record lost, a file changed while
 * closed, and a key lookup that the summaries' Bloom filters answer.
 */
import { describe, expect, it, vi } from 'vitest';
import { IndexStore } from '../../src/indexes/store.ts';
import { segmentName } from '../../src/segment/names.ts';
import { MemoryDirectory } from '../../src/storage/memory.ts';
import { allOffsets, closedLog, enc, freshEnv, headFile, openLog, rejection } from './helpers.ts';

const FIRST = '00000000000000000000.log';

/** Counts the bytes read of each file while `run` runs. */
async function readsDuring(env: Awaited<ReturnType<typeof closedLog>>, run: () => Promise<void>) {
  const read = new Map<string, number>();
  env.root.faults.onRead = (path, _position, length) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    read.set(name, (read.get(name) ?? 0) + length);
  };
  try {
    await run();
  } finally {
    env.root.faults.onRead = undefined;
  }
  return read;
}

describe('sealed segments opened from their summaries', () => {
  it('keeps every sealed segment summarised, and reads none of them to open', async () => {
    const env = await closedLog(10, 1000);
    const store = await IndexStore.open(env.idb);
    const [records, summaries] = [await store.load('log'), await store.summaries('log')];
    store.close();
    const { name: head } = await headFile(env);
    // Every record but the head's has its summary, of the same file.
    expect([...summaries.keys()]).toEqual([...records.keys()].slice(0, -1));
    for (const [base, s] of summaries) {
      expect(s).toMatchObject({ incarnation: records.get(base)!.incarnation, count: records.get(base)!.count });
    }
    let log: Awaited<ReturnType<typeof openLog>> | undefined;
    const read = await readsDuring(env, async () => {
      log = await openLog(env, 'log', { rollover: 1000, keyIndex: true });
    });
    expect([...read.keys()].filter((n) => n.endsWith('.log'))).toEqual([head]);
    expect(await log!.stat()).toMatchObject({ messages: 100 });
    expect(await allOffsets(log!)).toEqual([...Array(100).keys()]);
    await log!.close();
  });

  it('asks the summaries before loading an index: a key lookup loads only the indexes that may hold the key', async () => {
    const env = await closedLog(10, 1000);
    const log = await openLog(env, 'log', { rollover: 1000, keyIndex: true });
    const loads = vi.spyOn(IndexStore.prototype, 'record');
    try {
      await expect(log.getByKey(enc.encode('only-here'))).rejects.toMatchObject({ code: 'NotFound' });
      // Ten sealed segments; a Bloom filter lets an absent key through ~2% of the time.
      expect(loads.mock.calls.length).toBeLessThanOrEqual(1);
      expect((await log.getByKey(enc.encode('k5'))).offset).toBe(95); // in the head: no index loaded
      expect(loads.mock.calls.length).toBeLessThanOrEqual(1);
      expect((await log.get(3)).offset).toBe(3); // the first segment's index, loaded now
      expect(loads.mock.calls.map(([, base]) => base)).toContain(0);
    } finally {
      loads.mockRestore();
    }
    await log.close();
  });

  it('keeps a key lookup over a hundred segments from loading their indexes: few absent keys pass a saved filter', async () => {
    const env = freshEnv();
    const writer = await openLog(env, 'log', { rollover: 1000 });
    for (let b = 0; b < 200; b++) {
      const batch = Array.from({ length: 10 }, (_, i) => ({
        key: enc.encode(`u${b * 10 + i}`),
        value: enc.encode('v'),
      }));
      await writer.publish(batch);
    }
    await writer.close();
    const log = await openLog(env, 'log', { rollover: 1000 });
    expect((await log.stat()).segments).toBeGreaterThanOrEqual(100);
    const loads = vi.spyOn(IndexStore.prototype, 'record');
    try {
      for (let j = 0; j < 50; j++) {
        await expect(log.getByKey(enc.encode(`absent-${j}`))).rejects.toMatchObject({ code: 'NotFound' });
      }
      // 50 lookups asking ~100 filters each: at ~0.5% false yeses (the small filter) ~25 indexes would load.
      expect(loads.mock.calls.length).toBeLessThanOrEqual(2);
      expect((await log.getByKey(enc.encode('u7'))).offset).toBe(7);
    } finally {
      loads.mockRestore();
    }
    await log.close();
  });

  it('saves a key filter for a sealed segment that has none (as an earlier version left it) at its first key lookup', async () => {
    const env = await closedLog(10, 1000);
    const store = await IndexStore.open(env.idb);
    const [records, summaries] = [await store.load('log'), await store.summaries('log')];
    for (const [base, summary] of summaries) await store.put({ record: records.get(base)!, summary }); // no filter
    expect((await store.filters('log')).size).toBe(0);
    store.close();
    const log = await openLog(env, 'log', { rollover: 1000 });
    const found = await log.consumeByKey(enc.encode('k3'), 0, 100);
    expect(found.messages.map((m) => m.offset)).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
    await log.close();
    const again = await IndexStore.open(env.idb);
    expect([...(await again.filters('log')).keys()]).toEqual([...summaries.keys()]);
    again.close();
  });

  it('rebuilds the index from the file when the record is gone, and saves it again', async () => {
    const env = await closedLog(10, 1000);
    const store = await IndexStore.open(env.idb);
    const record = (await store.load('log')).get(0)!;
    const summary = (await store.summaries('log')).get(0)!;
    await store.remove('log', 0); // both gone...
    await store.put({ record: { ...record, layout: -1 }, summary }); // ...then a record no one can read, and the summary
    store.close();
    const log = await openLog(env, 'log', { rollover: 1000, keyIndex: true });
    expect(await allOffsets(log)).toEqual([...Array(100).keys()]);
    expect((await log.getByKey(enc.encode('k0'))).offset).toBe(90);
    await log.close();
    const again = await IndexStore.open(env.idb);
    expect((await again.load('log')).get(0)).toMatchObject({ count: record.count, size: record.size });
    again.close();
  });

  it('rejects Corrupted for a file that is not the one its summary describes, and scans it at the next open', async () => {
    const env = await closedLog(10, 1000);
    const { d } = await headFile(env);
    const bytes = d.raw(FIRST)!.slice();
    bytes[9]! ^= 0xff; // the header's incarnation: another file now
    d.setRaw(FIRST, bytes);
    const log = await openLog(env, 'log', { rollover: 1000 });
    const err = await rejection(log.get(0));
    expect(err.code).toBe('Corrupted');
    expect(err.message).toContain(FIRST);
    expect((await log.get(99)).offset).toBe(99);
    await log.close();
    // The summary is dropped: the next open reads the file, and finds its header damaged.
    await expect(openLog(env, 'log', { rollover: 1000 })).rejects.toMatchObject({ code: 'Corrupted' });
  });

  it("opens a segment's file while its index loads for a read, and answers only once that open is done", async () => {
    const env = await closedLog(10, 1000);
    const log = await openLog(env, 'log', { rollover: 1000, timeIndex: true });
    await log.delete([25]);
    await log.close();
    const reopened = await openLog(env, 'log', { rollover: 1000, timeIndex: true });
    const events: string[] = [];
    // Within `read` below, an open finishes only after the record came and a timer ran: an open slower than
    // the index however busy the machine (a fixed delay could be outrun by the record's own wait).
    let recordCame = Promise.resolve();
    let release = () => undefined as void;
    const record = IndexStore.prototype.record;
    const loads = vi.spyOn(IndexStore.prototype, 'record').mockImplementation(async function (
      this: IndexStore,
      ...args
    ) {
      events.push(`record ${args[1]}`);
      const found = await record.apply(this, args);
      events.push(`recorded ${args[1]}`);
      release();
      return found;
    });
    const openFile = MemoryDirectory.prototype.openFile;
    const opens = vi.spyOn(MemoryDirectory.prototype, 'openFile').mockImplementation(async function (
      this: MemoryDirectory,
      name,
      options,
    ) {
      if (options.readonly) return openFile.call(this, name, options); // the pool's comparison of a first open (file-pool.ts)
      events.push(`open ${name}`);
      await recordCame;
      await new Promise((resolve) => setTimeout(resolve, 0));
      const file = await openFile.call(this, name, options);
      events.push(`opened ${name}`);
      return file;
    });
    try {
      const read = async (run: () => Promise<unknown>) => {
        events.length = 0;
        recordCame = new Promise((resolve) => {
          release = resolve;
        });
        await run().catch(() => undefined);
        events.push('answered');
        recordCame = Promise.resolve();
        return events;
      };
      // The file's open starts before the index has loaded, and is done before the answer.
      const overlapped = (base: number) => [
        `record ${base}`,
        `open ${segmentName(base)}`,
        `recorded ${base}`,
        `opened ${segmentName(base)}`,
        'answered',
      ];
      expect(await read(() => reopened.get(3))).toEqual(overlapped(0));
      // getByTime (message i was published at 1000 + i ms).
      expect(await read(() => reopened.getByTime(new Date(1_042)))).toEqual(overlapped(40));
      // A deleted offset: NotFound, and still no open left running past the answer.
      expect(await read(() => reopened.get(25))).toEqual(overlapped(20));
      await expect(reopened.get(25)).rejects.toMatchObject({ code: 'NotFound' });
      expect((await reopened.getByTime(new Date(1_042))).offset).toBe(42);
    } finally {
      loads.mockRestore();
      opens.mockRestore();
    }
    expect(await allOffsets(reopened)).toEqual([...Array(100).keys()].filter((o) => o !== 25));
    await reopened.close();
  });
  it("asks for the head's record and looks for the producer table while the head's file opens", async () => {
    const env = await closedLog(10, 1000);
    const { name: head } = await headFile(env);
    const events: string[] = [];
    // The head's open finishes once both were asked for (or, where the open asks for them only
    // after it, once a timer gives up waiting): the order below then shows which came first.
    let asked = 0;
    let release = () => undefined as void;
    const bothAsked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ask = (what: string) => {
      events.push(what);
      if (++asked === 2) release();
    };
    const record = IndexStore.prototype.record;
    const records = vi.spyOn(IndexStore.prototype, 'record').mockImplementation(async function (
      this: IndexStore,
      ...args
    ) {
      if (segmentName(args[1]) === head) ask('record of the head');
      return record.apply(this, args);
    });
    const exists = MemoryDirectory.prototype.exists;
    const looks = vi.spyOn(MemoryDirectory.prototype, 'exists').mockImplementation(async function (
      this: MemoryDirectory,
      name,
    ) {
      if (name === 'producers') ask('producer table');
      return exists.call(this, name);
    });
    const openFile = MemoryDirectory.prototype.openFile;
    const opens = vi.spyOn(MemoryDirectory.prototype, 'openFile').mockImplementation(async function (
      this: MemoryDirectory,
      name,
      options,
    ) {
      if (name !== head) return openFile.call(this, name, options);
      events.push('head opening');
      await Promise.race([bothAsked, new Promise((resolve) => setTimeout(resolve, 200))]);
      const file = await openFile.call(this, name, options);
      events.push('head opened');
      return file;
    });
    let log: Awaited<ReturnType<typeof openLog>>;
    try {
      log = await openLog(env, 'log', { rollover: 1000 });
    } finally {
      records.mockRestore();
      looks.mockRestore();
      opens.mockRestore();
    }
    // Both asked for before the head's open was done, in whatever order the three began.
    expect(events.at(-1)).toBe('head opened');
    expect(events.slice(0, -1).sort()).toEqual(['head opening', 'producer table', 'record of the head']);
    expect(await allOffsets(log)).toEqual([...Array(100).keys()]);
    await log.close();
  });
});
