/**
 * Tests for bugs a mutation run over the engine let through: each one here
 * fails if the guard it names is broken, and each guard that had only one
 * test gets a second, independent one.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { assert, describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/archive/export.ts';
import { restoreArchive } from '../../src/archive/restore.ts';
import { Crc32 } from '../../src/codec/crc32.ts';
import { RECORD_HEADER_SIZE } from '../../src/codec/record.ts';
import { SEGMENT_HEADER_SIZE } from '../../src/segment/segment.ts';
import type { MemoryDirectory } from '../../src/storage/memory.ts';
import { OffsetOldest, type NewMessage } from '../../src/types.ts';
import {
  afterCrash,
  allOffsets,
  closedLog,
  dec,
  enc,
  flip,
  freshEnv,
  gen,
  headFile,
  openLog,
  recSize,
  rejection,
} from './helpers.ts';

/** A keyless message whose record is exactly `size` bytes. */
function sized(size: number, time = 1000): NewMessage {
  return { value: new Uint8Array(size - RECORD_HEADER_SIZE).fill(7), time };
}

async function segmentSizes(env: ReturnType<typeof freshEnv>, dir = 'log'): Promise<Map<string, number>> {
  const d = await env.root.subdir(dir.split('/'), false);
  const files = (await d.list()).filter((e) => e.name.endsWith('.log'));
  return new Map(files.sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => [e.name, e.size]));
}

/**
 * An IDBFactory whose connections record the options of every readwrite
 * transaction: fake-indexeddb ignores durability, and a killed browser cannot
 * show the difference reliably, so the request itself is what can be checked.
 */
function recordingFactory(real: IDBFactory, seen: { stores: string[]; durability: string | undefined }[]): IDBFactory {
  const open = (name: string, version?: number): IDBOpenDBRequest => {
    const req = version === undefined ? real.open(name) : real.open(name, version);
    req.addEventListener('success', () => {
      const db = req.result;
      const transaction = db.transaction.bind(db);
      db.transaction = ((stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => {
        if (mode === 'readwrite') seen.push({ stores: [stores].flat(), durability: options?.durability });
        return transaction(stores, mode, options);
      }) as IDBDatabase['transaction'];
    });
    return req;
  };
  return {
    open,
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    databases: () => real.databases(),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
  } as IDBFactory;
}

describe('cursor commits ask IndexedDB for strict durability', () => {
  it('every commit, a forget included, is a strict readwrite transaction on the cursors store', async () => {
    const seen: { stores: string[]; durability: string | undefined }[] = [];
    const env = freshEnv();
    env.idb = recordingFactory(env.idb, seen);
    const log = await openLog(env);
    await log.publish(gen(5));
    const cursor = log.cursor('projection');
    await cursor.commit(2);
    await cursor.commit(5);
    await cursor.commit(OffsetOldest); // forgets it: a delete, just as durable
    expect(await cursor.position()).toBe(OffsetOldest);
    await log.close();
    const commits = seen.filter((t) => t.stores.includes('cursors'));
    expect(commits.length).toBe(3);
    expect(commits.map((t) => t.durability)).toEqual(['strict', 'strict', 'strict']);
  });
});

describe('rollover at the boundary', () => {
  const R = SEGMENT_HEADER_SIZE + 100;

  it('a segment may grow to exactly `rollover` bytes; the next batch starts a new one', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: R });
    await log.publish([sized(60)]);
    await log.publish([sized(40)]); // 24 + 60 + 40 = R: still fits
    expect([...(await segmentSizes(env)).values()]).toEqual([R]);
    await log.publish([sized(33)]);
    expect([...(await segmentSizes(env)).values()]).toEqual([R, SEGMENT_HEADER_SIZE + 33]);
    expect(await allOffsets(log)).toEqual([0, 1, 2]);
    await log.close();
  });

  it('a batch one byte too big for the head goes to a new segment', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: R });
    await log.publish([sized(60)]);
    await log.publish([sized(41)]); // 24 + 60 + 41 = R + 1
    expect([...(await segmentSizes(env)).values()]).toEqual([SEGMENT_HEADER_SIZE + 60, SEGMENT_HEADER_SIZE + 41]);
    await log.close();
  });

  it('no segment file exceeds `rollover` unless one batch alone does', async () => {
    const env = freshEnv();
    const rollover = 300;
    const log = await openLog(env, 'log', { rollover });
    const batches: number[] = [];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let b = 0; b < 80; b++) {
      const messages = Array.from({ length: 1 + random(4) }, () =>
        sized(RECORD_HEADER_SIZE + 1 + random(b % 17 === 0 ? 300 : 90)),
      );
      batches.push(messages.reduce((sum, m) => sum + RECORD_HEADER_SIZE + m.value!.length, 0));
      await log.publish(messages);
    }
    const sizes = await segmentSizes(env);
    expect(sizes.size).toBeGreaterThan(10);
    for (const [name, size] of sizes) {
      if (size <= rollover) continue;
      // Over the limit only as the one batch it holds, which alone exceeds it.
      expect(batches, `${name}: ${size} bytes`).toContain(size - SEGMENT_HEADER_SIZE);
      expect(size - SEGMENT_HEADER_SIZE, name).toBeGreaterThan(rollover - SEGMENT_HEADER_SIZE);
    }
    expect(
      [...sizes.values()].some((s) => s > rollover),
      'an oversized batch made a segment of its own',
    ).toBe(true);
    await log.close();
  });
});

describe('recovery cuts a torn tail to the byte', () => {
  it('a record torn mid-way: the head file ends right after the last whole batch', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(5));
    await log.publish(gen(5, 5));
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!;
    d.setRaw(name, raw.slice(0, raw.length - 3));
    const reopened = await openLog(afterCrash(env));
    let whole = SEGMENT_HEADER_SIZE;
    for (let i = 0; i < 5; i++) whole += recSize(i);
    expect(d.raw(name)!.length).toBe(whole);
    await reopened.close();
  });

  it('whole records of an unfinished batch: cut at the batch start, exactly', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(3));
    await log.publish(gen(4, 3));
    const { d, name } = await headFile(env);
    let whole = SEGMENT_HEADER_SIZE;
    for (let i = 0; i < 3; i++) whole += recSize(i);
    d.setRaw(name, d.raw(name)!.slice(0, whole + recSize(3) + recSize(4)));
    const reopened = await openLog(afterCrash(env));
    expect(d.raw(name)!.length).toBe(whole);
    expect(await reopened.publish(gen(1, 3))).toBe(4);
    expect(d.raw(name)!.length).toBe(whole + recSize(3));
    await reopened.close();
  });
});

describe('archive import checks every record', () => {
  it('rejects Corrupted when one record fails its CRC-32C though the zip CRCs and the manifest agree', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 400 });
    await log.publish(gen(20));
    const files = unzipSync(new Uint8Array(await (await exportArchive(log)).arrayBuffer()));
    await log.close();
    const segment = 'segments/00000000000000000000.log';
    const bytes = files[segment];
    assert(bytes, `the archive holds ${segment}`);
    // The first byte of the value of the record of offset 1.
    flip(bytes, SEGMENT_HEADER_SIZE + recSize(0) + RECORD_HEADER_SIZE + 2, 0x01);
    const manifest = JSON.parse(dec.decode(files['manifest.json']));
    const listed = manifest.segments[0].log;
    expect(listed.name).toBe(segment);
    listed.crc32 = new Crc32().update(bytes).value;
    files['manifest.json'] = enc.encode(JSON.stringify(manifest));
    const archive = new Blob([zipSync(files as Zippable) as Uint8Array<ArrayBuffer>]);
    const target = freshEnv();
    const err = await rejection(restoreArchive(target, 'restored', archive));
    expect(err.code).toBe('Corrupted');
    expect(err.message).toMatch(/segments\/0+\.log: the record at byte \d+ fails its checksum/);
    expect(
      await target.root.subdir(['restored'], false).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });
});

describe('second guards', () => {
  it('CRC on read: a damaged value in a sealed segment, indexed from IndexedDB, rejects Corrupted', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    for (let i = 0; i < 12; i += 2) await log.publish(gen(2, i));
    await log.close();
    const d = (await env.root.subdir(['log'], false)) as MemoryDirectory;
    const first = '00000000000000000000.log';
    const raw = d.raw(first)!.slice();
    flip(raw, SEGMENT_HEADER_SIZE + recSize(0) + RECORD_HEADER_SIZE + 2, 0x20); // value of offset 1; its offset stays right
    d.setRaw(first, raw);
    const reopened = await openLog(env, 'log', { rollover: 200 });
    expect((await reopened.stat()).segments).toBeGreaterThan(1);
    expect(dec.decode((await reopened.get(0)).value!)).toBe('v0');
    for (const read of [
      () => reopened.get(1),
      () => reopened.consume(OffsetOldest, 100),
      () => reopened.consumeByKey(enc.encode('k1'), 0, 10),
    ]) {
      const err = await rejection(read());
      expect(err.code).toBe('Corrupted');
      expect(err.message).toContain(first);
    }
    await reopened.close();
  });

  it('running time maximum: one out-of-order batch, then the index rebuilt from the file after a crash', async () => {
    const env = freshEnv();
    const times = [10, 30, 20, 25, 40];
    const log = await openLog(env);
    await log.publish(times.map((time, i) => ({ value: enc.encode(`${i}`), time })));
    const expectFound = async (l: typeof log, what: string) => {
      for (const [start, offset] of [
        [5, 0],
        [11, 1],
        [20, 1],
        [26, 1],
        [30, 1],
        [31, 4],
        [40, 4],
      ] as const) {
        expect((await l.offsetByTime(start)).offset, `${what}: offsetByTime(${start})`).toBe(offset);
      }
      expect((await l.getByTime(21)).time, `${what}: the message keeps its own time`).toBe(30);
    };
    await expectFound(log, 'published');
    // Never synced: no saved index, so the reopened log scans the segment.
    const reopened = await openLog(afterCrash(env));
    await expectFound(reopened, 'rebuilt');
    await reopened.close();
  });

  it('index record incarnation: a segment file replaced by another of the same size is rescanned', async () => {
    const keyed = (prefix: string, time: number) => (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: enc.encode(`${prefix}${i}`),
        value: enc.encode(`${prefix}-value-${i}`),
        time: time + i,
      }));
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(keyed('a', 1000)(6));
    await log.close(); // saves the index record of this file
    const other = freshEnv();
    const source = await openLog(other);
    await source.publish(keyed('b', 5000)(6));
    await source.close();
    const { d, name } = await headFile(env);
    const replacement = (await headFile(other)).d.raw(name)!;
    expect(replacement.length).toBe(d.raw(name)!.length); // same size: only the incarnation tells them apart
    d.setRaw(name, replacement.slice());
    const reopened = await openLog(env);
    expect(dec.decode((await reopened.getByKey(enc.encode('b3'))).value!)).toBe('b-value-3');
    expect((await rejection(reopened.getByKey(enc.encode('a3')))).code).toBe('NotFound');
    expect((await reopened.offsetByTime(5002)).offset).toBe(2);
    await reopened.close();
  });
});

describe('verifying each byte once', () => {
  it('a writer checks a segment indexed from IndexedDB whole on its second read, then reads only what it returns', async () => {
    const env = await closedLog(10, 1000);
    const reopened = await openLog(env, 'log', { rollover: 1000 });
    const first = '00000000000000000000.log';
    const { d } = await headFile(env);
    const reads: [string, number, number][] = [];
    env.root.faults.onRead = (path, position, length) =>
      reads.push([path.slice(path.lastIndexOf('/') + 1), position, length]);
    expect((await reopened.get(5)).offset).toBe(5);
    // Its header, as the file opens (opened from its record, it was not yet), then the one record, checked alone:
    // a page's first read as it opens a log pays for no whole segment.
    expect(reads).toEqual([
      [first, 0, SEGMENT_HEADER_SIZE],
      [first, expect.any(Number), recSize(5)],
    ]);
    reads.length = 0;
    expect((await reopened.get(6)).offset).toBe(6);
    // The second read past what was checked checks the rest of the segment whole, then reads its record.
    expect(reads).toEqual([
      [first, SEGMENT_HEADER_SIZE, d.raw(first)!.length - SEGMENT_HEADER_SIZE],
      [first, expect.any(Number), recSize(6)],
    ]);
    reads.length = 0;
    expect((await reopened.consume(0, 3)).messages.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect((await reopened.get(7)).offset).toBe(7);
    expect(reads.map(([name, , length]) => [name, length])).toEqual([
      [first, recSize(0) + recSize(1) + recSize(2)],
      [first, recSize(7)],
    ]);
    env.root.faults.onRead = undefined;
    await reopened.close();
  });
});
