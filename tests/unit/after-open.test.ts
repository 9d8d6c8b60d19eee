/**
 * What a writer leaves until after its open: the removal of IndexedDB's
 * leftovers (engine/load.ts `removeLeftovers`, run by engine/after-open.ts),
 * out of the open's time and never removing what a segment has again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AFTER_OPEN_MS, AfterOpen } from '../../src/engine/after-open.ts';
import { removeLeftovers } from '../../src/engine/load.ts';
import { IndexStore } from '../../src/indexes/store.ts';
import { enc, freshEnv, gen, openLog } from './helpers.ts';

/** A closed three-message log whose IndexedDB also holds copies of its first record at `bases`, and its store. */
async function logWithStrayRecords(bases: number[]) {
  const env = freshEnv();
  const log = await openLog(env);
  await log.publish(gen(3));
  await log.close();
  const store = await IndexStore.open(env.idb);
  const saved = (await store.load('log')).get(0)!;
  for (const base of bases) await store.put({ record: { ...saved, base } });
  return { env, store };
}

describe('work after the open', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts once, after the delay or when finished first', async () => {
    vi.useFakeTimers();
    const work = vi.fn(async () => undefined);
    const later = new AfterOpen(work);
    vi.advanceTimersByTime(AFTER_OPEN_MS - 1);
    expect(work).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(work).toHaveBeenCalledTimes(1);
    await later.finish();
    expect(work).toHaveBeenCalledTimes(1);

    const early = vi.fn(async () => undefined);
    await new AfterOpen(early).finish();
    vi.advanceTimersByTime(AFTER_OPEN_MS);
    expect(early).toHaveBeenCalledTimes(1);
  });

  it('drops a failure of the work: it is tidying only', async () => {
    await expect(new AfterOpen(async () => Promise.reject(new Error('no'))).finish()).resolves.toBeUndefined();
  });

  it('removes the records of bases that are no segment, keeping those a segment has (again) when it runs', async () => {
    const { store } = await logWithStrayRecords([5, 99]);
    await removeLeftovers(store, 'log', [7], (base) => base === 0 || base === 99);
    expect([...(await store.load('log')).keys()]).toEqual([0, 99]);
    store.close();
  });

  it('leaves a stray record to after the open: the open does not read every record key', async () => {
    const { env, store } = await logWithStrayRecords([99]);
    const bases = vi.spyOn(IndexStore.prototype, 'bases');
    const reopened = await openLog(env);
    expect(bases).not.toHaveBeenCalled();
    expect((await reopened.get(1)).key).toEqual(enc.encode('k1'));
    await reopened.close();
    expect(bases).toHaveBeenCalledTimes(1);
    expect([...(await store.load('log')).keys()]).toEqual([0]);
    bases.mockRestore();
    store.close();
  });
});
