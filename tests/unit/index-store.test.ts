/**
 * IndexedDB holds derived data only (segment indexes) plus cursors: whatever
 * another script of the origin does to the database, a log whose segments are
 * intact opens and answers right, and cursors fail with a clear code.
 */
import { describe, expect, it } from 'vitest';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import type { Log } from '../../src/types.ts';
import { allOffsets, freshEnv, gen, openLog } from './helpers.ts';

const DB = 'opfs-log';
const range = (n: number) => [...Array(n).keys()];

/** Opens the database as another script would: at `version`, changing stores in `upgrade`. */
function otherScript(
  idb: IDBFactory,
  version: number,
  upgrade: (db: IDBDatabase) => void = () => undefined,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = idb.open(DB, version);
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A log of 30 messages in several segments, closed. */
async function writtenLog(env: MemoryEnv): Promise<void> {
  const log = await openLog(env, 'log', { rollover: 200 });
  await log.publish(gen(10));
  await log.publish(gen(10, 10));
  await log.publish(gen(10, 20));
  expect((await log.stat()).segments).toBeGreaterThan(1);
  await log.close();
}

async function expectWhole(log: Log, count: number): Promise<void> {
  expect(await allOffsets(log)).toEqual(range(count));
  expect((await log.get(count - 1)).offset).toBe(count - 1);
  const lastK3 = count - 1 - ((count - 1 - 3) % 10); // gen's keys are k<i % 10>
  expect((await log.getByKey(new TextEncoder().encode('k3'))).offset).toBe(lastK3);
  expect((await log.stat()).messages).toBe(count);
}

describe('an IndexedDB database changed by another script', () => {
  it('opened at a higher version with a store of its own: the log opens, and keeps its indexes and cursors', async () => {
    const env = freshEnv();
    await writtenLog(env);
    const other = await otherScript(env.idb, 7, (db) => db.createObjectStore('theirs'));
    const log = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(log, 30);
    await log.cursor('c').commit(7);
    expect(await log.cursor('c').position()).toBe(7);
    await log.publish(gen(5, 30));
    await log.close();
    expect(other.version).toBe(7); // we never upgraded over them
    other.close();
    const reopened = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(reopened, 35);
    expect(await reopened.cursor('c').position()).toBe(7);
    await reopened.close();
  });

  it('upgraded while the log is open: later index writes and the next open still work', async () => {
    const env = freshEnv();
    await writtenLog(env);
    const log = await openLog(env, 'log', { rollover: 200 });
    const other = await otherScript(env.idb, 8, (db) => db.createObjectStore('theirs'));
    await log.publish(gen(5, 30));
    await log.cursor('c').commit(3);
    await log.close();
    other.close();
    const reopened = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(reopened, 35);
    expect(await reopened.cursor('c').position()).toBe(3);
    await reopened.close();
  });

  it('our stores deleted: the log opens by rescanning every time; cursors reject Unsupported', async () => {
    const env = freshEnv();
    await writtenLog(env);
    (
      await otherScript(env.idb, 7, (db) => {
        db.deleteObjectStore('segments');
        db.deleteObjectStore('cursors');
        db.deleteObjectStore('summaryPages');
        db.deleteObjectStore('filters');
        db.deleteObjectStore('keyFilters');
        db.deleteObjectStore('knownFiles');
      })
    ).close();
    const log = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(log, 30);
    await expect(log.cursor('c').commit(1)).rejects.toMatchObject({ code: 'Unsupported' });
    await expect(log.cursor('c').position()).rejects.toMatchObject({ code: 'Unsupported' });
    await log.publish(gen(5, 30));
    expect(await log.delete([0])).toMatchObject({ deletedOffsets: new Set([0]) });
    await log.close();
    const reopened = await openLog(env, 'log', { rollover: 200 });
    expect(await allOffsets(reopened)).toEqual(range(35).slice(1));
    await reopened.close();
  });

  it('an upgrade blocked by a connection that never closes: the log opens without persisted indexes', async () => {
    const env = freshEnv();
    // An old connection at version 1 that ignores versionchange blocks our upgrade to 6.
    const old = await otherScript(env.idb, 1);
    await writtenLog(env);
    const log = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(log, 30);
    await expect(log.cursor('c').commit(1)).rejects.toMatchObject({ code: 'Unsupported' });
    await log.close();
    old.close();
    // Unblocked: our waiting upgrade goes through (an open queued after it proves it has), then
    // the database works again, and the log is still whole.
    const after = await otherScript(env.idb, 6);
    after.close();
    expect([...after.objectStoreNames].sort()).toEqual([
      'cursors',
      'filters',
      'keyFilters',
      'knownFiles',
      'segments',
      'summaryPages',
    ]);
    const reopened = await openLog(env, 'log', { rollover: 200 });
    await expectWhole(reopened, 30);
    await reopened.cursor('c').commit(2);
    await reopened.close();
  });

  it('no IndexedDB at all: the log opens and works', async () => {
    const env = freshEnv();
    await writtenLog(env);
    const log = await openLog({ ...env, idb: undefined as unknown as IDBFactory }, 'log', { rollover: 200 });
    await expectWhole(log, 30);
    await log.publish(gen(5, 30));
    await log.close();
    const reopened = await openLog({ ...env, idb: undefined as unknown as IDBFactory }, 'log', { rollover: 200 });
    await expectWhole(reopened, 35);
    await reopened.close();
  });
});
