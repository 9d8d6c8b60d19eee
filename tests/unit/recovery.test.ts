/**
 * Crash and fault injection on the Node backend: torn tails, partial
 * batches, damaged records, failing and short writes, interrupted rewrites.
 */
import { MemoryDirectory } from '../../src/storage/memory.ts';
import { describe, expect, it, vi } from 'vitest';
import { RECORD_HEADER_SIZE } from '../../src/codec/record.ts';
import { SEGMENT_HEADER_SIZE } from '../../src/segment/segment.ts';
import { type ErrorCode, LogError } from '../../src/errors.ts';
import type { MemoryFaults } from '../../src/storage/memory.ts';
import {
  afterCrash,
  allOffsets,
  closedLog,
  enc,
  flip,
  freshEnv,
  gen,
  headFile,
  openLog,
  interruptChange,
  quotaOnWrite,
  recSize,
  rejection,
} from './helpers.ts';

/** A `beforeWrite` fault that throws `message`, an error no browser names. */
function fail(message: string): NonNullable<MemoryFaults['beforeWrite']> {
  return () => {
    throw new Error(message);
  };
}

/** Deletes the IndexedDB database of the indexes, as another tab may: whether it went or an open connection blocked it. */
function deleteIndexDatabase(env: ReturnType<typeof freshEnv>): Promise<'deleted' | 'blocked'> {
  return new Promise((resolve) => {
    const r = env.idb.deleteDatabase('opfs-log');
    r.onsuccess = () => resolve('deleted');
    r.onblocked = () => resolve('blocked');
  });
}

describe('torn and damaged head segment', () => {
  it('cuts a torn tail mid-record on open and keeps the intact prefix', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(5));
    await log.publish(gen(5, 5));
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!;
    d.setRaw(name, raw.slice(0, raw.length - 3)); // last record loses its end

    const reopened = await openLog(afterCrash(env));
    expect(await reopened.nextOffset()).toBe(5); // the whole second batch goes
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3, 4]);
    expect(await reopened.publish(gen(1, 5))).toBe(6);
    expect((await reopened.get(5)).value).toEqual(enc.encode('v5'));
    await reopened.close();
  });

  it('drops a batch whose last records never reached the file', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(3));
    await log.publish(gen(4, 3));
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!;
    // Keep two whole records of the second batch: they are intact but the batch is not.
    let end = SEGMENT_HEADER_SIZE;
    for (let i = 0; i < 5; i++) end += recSize(i);
    d.setRaw(name, raw.slice(0, end));

    const reopened = await openLog(afterCrash(env));
    expect(await reopened.nextOffset()).toBe(3);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2]);
    await reopened.close();
  });

  it('cuts at a flipped byte in the unsynced tail', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(4));
    await log.sync(); // the index of these four is now in IndexedDB
    await log.publish(gen(4, 4));
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!.slice();
    flip(raw, raw.length - 2, 0xff);
    d.setRaw(name, raw);

    const reopened = await openLog(afterCrash(env));
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3]);
    await reopened.close();
  });

  it('with check, cuts damage inside the part the saved index covers', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(2));
    await log.publish(gen(2, 2));
    await log.close();
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!.slice();
    flip(raw, SEGMENT_HEADER_SIZE + recSize(0) + recSize(1) + RECORD_HEADER_SIZE, 0x01); // key of offset 2
    d.setRaw(name, raw);

    const unchecked = await openLog(env);
    expect(await unchecked.nextOffset()).toBe(4); // trusts the saved index...
    await expect(unchecked.get(2)).rejects.toMatchObject({ code: 'Corrupted', message: expect.stringContaining(name) });
    await unchecked.close();

    const checked = await openLog(env, 'log', { check: true });
    expect(await checked.nextOffset()).toBe(2);
    expect(await allOffsets(checked)).toEqual([0, 1]);
    await checked.close();
  });

  it('recreates a head segment whose header never reached the file', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 100 });
    await log.publish(gen(3));
    await log.publish(gen(3, 3)); // rolls: a new head at offset 3
    await log.close();
    const { d, name } = await headFile(env);
    expect(name).toBe('00000000000000000003.log');
    d.setRaw(name, new Uint8Array(7));
    const reopened = await openLog(env, 'log', { rollover: 100 });
    expect(await reopened.nextOffset()).toBe(3);
    expect(await reopened.publish(gen(1, 3))).toBe(4);
    await reopened.close();
  });

  it('reports a sealed segment damaged while closed as Corrupted, naming the file: at its first read, then at open', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 100 });
    await log.publish(gen(3));
    await log.publish(gen(3, 3));
    await log.close();
    const d = (await env.root.subdir(['log'], false)) as import('../../src/storage/memory.ts').MemoryDirectory;
    d.setRaw('00000000000000000000.log', new Uint8Array(3));
    const damaged = { code: 'Corrupted', message: expect.stringContaining('00000000000000000000.log') };
    // Opened from its IndexedDB record: the file is first looked at by the first read of it.
    const reopened = await openLog(env, 'log', { rollover: 100 });
    await expect(reopened.get(0)).rejects.toMatchObject(damaged);
    await expect(reopened.consume(0, 10)).rejects.toMatchObject(damaged);
    expect((await reopened.get(3)).offset).toBe(3); // the head is another file
    await reopened.close();
    // The record that no longer describes the file is gone: the next open scans the file.
    await expect(openLog(env, 'log', { rollover: 100 })).rejects.toMatchObject(damaged);
  });
});

describe('the IndexedDB index against the segments', () => {
  async function records(env: ReturnType<typeof freshEnv>) {
    const { IndexStore } = await import('../../src/indexes/store.ts');
    return IndexStore.open(env.idb);
  }

  it('repairs a lagging index (published after the last save)', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    await log.publish(gen(10));
    await log.sync();
    await log.publish(gen(10, 10));
    const reopened = await openLog(afterCrash(env), 'log', { rollover: 200 });
    expect(await allOffsets(reopened)).toEqual([...Array(20).keys()]);
    expect((await reopened.getByKey(enc.encode('k3'))).offset).toBe(13);
    expect((await reopened.offsetByTime(1017)).offset).toBe(17);
    await reopened.close();
  });

  it('ignores an index that leads the file or belongs to another file', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(6));
    await log.close();
    const store = await records(env);
    const saved = (await store.load('log')).get(0)!;
    await store.put({ record: { ...saved, size: saved.size + 1000 } }); // claims more than the file has
    await store.put({ record: { ...saved, base: 99 } }); // a segment that does not exist
    store.close();
    let reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3, 4, 5]);
    await reopened.close();

    const again = await records(env);
    expect([...(await again.load('log')).keys()]).toEqual([0]); // the stray record is gone
    await again.put({
      record: {
        ...saved,
        incarnation: saved.incarnation ^ 1,
        count: 2,
        size: SEGMENT_HEADER_SIZE + recSize(0) + recSize(1),
      },
    });
    again.close();
    reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3, 4, 5]);
    await reopened.close();
  });

  it('rebuilds a missing index, including one the log never had', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { keyIndex: false, timeIndex: false, rollover: 150 });
    await log.publish(gen(12));
    await log.close();
    expect(await deleteIndexDatabase(env)).toBe('deleted');
    const reopened = await openLog(env, 'log', { rollover: 150 });
    expect((await reopened.getByKey(enc.encode('k1'))).offset).toBe(11);
    expect((await reopened.getByTime(1005)).offset).toBe(5);
    await reopened.close();
  });
});

describe('failing writes', () => {
  /** How a write fails, and the error its publish rejects with: code, and a word of its message. */
  const failures: [name: string, fault: NonNullable<MemoryFaults['beforeWrite']>, code: ErrorCode, says: string][] = [
    ['a write cut short rolls the batch back', (_file, data) => Math.floor(data.length / 2), 'QuotaExceeded', ''],
    ['a write that throws QuotaExceededError rejects QuotaExceeded', quotaOnWrite(), 'QuotaExceeded', 'quota'],
    ['a write that throws another error rejects Internal', fail('disk on fire'), 'Internal', 'disk on fire'],
  ];

  it.each(failures)('%s; nothing of the batch is written; the log stays usable', async (_name, fault, code, says) => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(3));
    const { d, name } = await headFile(env);
    const before = d.raw(name)!.slice();
    env.root.faults.beforeWrite = fault;
    const err = await rejection(log.publish(gen(2, 3)));
    expect(err.code).toBe(code);
    expect(err.message).toContain(says);
    env.root.faults.beforeWrite = undefined;
    expect(d.raw(name)).toEqual(before);
    expect(await log.nextOffset()).toBe(3);
    expect(await log.publish(gen(2, 3))).toBe(5);
    expect(await allOffsets(log)).toEqual([0, 1, 2, 3, 4]);
    await log.close();
    const reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3, 4]);
    await reopened.close();
  });

  it('out of quota: QuotaExceeded, nothing of the batch, usable after space is freed', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(10));
    env.root.faults.quota = (await log.stat()).size + 50;
    let next = 10;
    for (;;) {
      try {
        next = await log.publish(gen(3, next));
      } catch (err) {
        expect(err).toMatchObject({ code: 'QuotaExceeded' });
        break;
      }
    }
    expect(await log.nextOffset()).toBe(next);
    expect(await allOffsets(log)).toEqual([...Array(next).keys()]);
    env.root.faults.quota = Infinity;
    expect(await log.publish(gen(3, next))).toBe(next + 3);
    await log.close();
  });
});

describe('interrupted segment rewrites', () => {
  it('drops a rewrite copy whose original is still there', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(4));
    await log.close();
    const { d, name } = await headFile(env);
    d.setRaw(`${name}.tmp`, new Uint8Array([1, 2, 3]));
    await interruptChange(env); // as the crash in the rewrite left it
    const reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3]);
    expect((await d.list()).map((e) => e.name)).not.toContain(`${name}.tmp`);
    await reopened.close();
  });

  it('finishes a rewrite whose original was already removed', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(4));
    await log.close();
    const { d, name } = await headFile(env);
    await d.rename(name, `${name}.tmp`);
    const reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3]);
    await reopened.close();
  });
});

describe('readonly beside a writer', () => {
  it("sees new publishes and rewrites, and never cuts the writer's tail", async () => {
    const env = freshEnv();
    const writer = await openLog(env, 'log', { rollover: 200 });
    await writer.publish(gen(5));
    const reader = await openLog(env, 'log', { readonly: true, rollover: 200 });
    expect(await reader.nextOffset()).toBe(5);
    await writer.publish(gen(20, 5));
    expect(await reader.nextOffset()).toBe(25);
    expect(await allOffsets(reader)).toEqual([...Array(25).keys()]);
    await writer.delete([0, 1]);
    expect((await reader.consume(-2, 1)).messages[0]?.offset).toBe(2);
    await expect(reader.get(0)).rejects.toMatchObject({ code: 'NotFound' });

    // A half-written batch at the writer's tail is invisible to the reader, and stays in the file.
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!;
    const extra = raw.slice(raw.length - recSize(24));
    d.setRaw(name, new Uint8Array([...raw, ...extra.slice(0, 10)]));
    expect(await reader.nextOffset()).toBe(25);
    expect(d.raw(name)!.length).toBe(raw.length + 10);
    await reader.close();
    await writer.close();
  });
});

describe('opening reads the saved index', () => {
  it('reads only segment headers and the unsaved tail, not every record', async () => {
    const env = await closedLog(20, 1000);
    const stat = await (await openLog(env, 'log', { rollover: 1000 })).stat();
    // (the open above is left open on purpose; measure a readonly open beside it)
    let bytesRead = 0;
    env.root.faults.onRead = (_file, _position, length) => {
      bytesRead += length;
    };
    const reader = await openLog(env, 'log', { readonly: true, rollover: 1000 });
    env.root.faults.onRead = undefined;
    expect(stat.segments).toBeGreaterThan(5);
    expect(bytesRead).toBeLessThanOrEqual(stat.segments * SEGMENT_HEADER_SIZE + 1000);
    expect(await allOffsets(reader)).toEqual([...Array(200).keys()]);
    await reader.close();
  });
});

describe('another tab deletes the IndexedDB database', () => {
  it('is not blocked by an open log, which saves its index again afterwards', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    await log.publish(gen(10));
    expect(await deleteIndexDatabase(env)).toBe('deleted');
    await log.publish(gen(10, 10));
    await log.close();
    const { IndexStore } = await import('../../src/indexes/store.ts');
    const store = await IndexStore.open(env.idb);
    expect((await store.load('log')).size).toBeGreaterThan(0);
    store.close();
    const reopened = await openLog(env, 'log', { rollover: 200 });
    expect(await allOffsets(reopened)).toEqual([...Array(20).keys()]);
    await reopened.close();
  });
});

describe('a readonly log while the writer rewrites segments', () => {
  it('lists again when a segment vanishes between listing and opening', async () => {
    const env = freshEnv();
    const writer = await openLog(env, 'log', { rollover: 200 });
    await writer.publish(gen(10));
    await writer.publish(gen(10, 10));
    const reader = await openLog(env, 'log', { readonly: true, rollover: 200 });
    await writer.delete([0]); // the reader must reload on its next call
    let misses = 0;
    env.root.faults.beforeOpen = (file) => {
      if (file.endsWith('.log') && misses < 2) {
        misses++;
        throw new LogError('NotFound', `${file} is being renamed`);
      }
    };
    expect((await reader.consume(-2, 1)).messages[0]?.offset).toBe(1);
    env.root.faults.beforeOpen = undefined;
    expect(misses).toBe(2);
    await reader.close();
    await writer.close();
  });
});

describe('time lookups beside an empty head', () => {
  it('finds messages in sealed segments after the newest was deleted', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    await log.publish(gen(10));
    await log.delete([9]); // rolls to an empty head at offset 10
    expect((await log.stat()).segments).toBeGreaterThan(1);
    expect((await log.getByTime(1000)).offset).toBe(0);
    expect((await log.getByTime(1008)).offset).toBe(8);
    await expect(log.getByTime(1009)).rejects.toMatchObject({ code: 'NotFound' });
    await log.close();
  });
});

describe('a listing that misses the log', () => {
  it('never writes a new segment over one that holds bytes: the open fails and nothing is lost', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(6));
    await log.close();
    await interruptChange(env); // else the open takes the files it knows, and lists nothing
    // As a directory listing right after a browser crash can be (seen in Firefox): the files are there, the listing is empty.
    const listing = vi.spyOn(MemoryDirectory.prototype, 'names').mockResolvedValueOnce([]);
    try {
      await expect(openLog(env)).rejects.toMatchObject({
        code: 'Internal',
        message: expect.stringContaining('never written over'),
      });
    } finally {
      listing.mockRestore();
    }
    const reopened = await openLog(env);
    expect(await allOffsets(reopened)).toEqual([0, 1, 2, 3, 4, 5]);
    await reopened.close();
  });
});
