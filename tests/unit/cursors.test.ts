/** Durable cursors in Node: what survives a crash (a killed worker) and a reload. */
import { describe, expect, it } from 'vitest';
import { OffsetOldest } from '../../src/types.ts';
import { afterCrash, freshEnv, gen, openLog } from './helpers.ts';

describe('cursors', () => {
  it('a committed position survives a crash; the log is reopened at it', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(10));
    await log.cursor('projection').commit(6);
    // No close: the worker dies with the log open.
    const reopened = await openLog(afterCrash(env));
    const cursor = reopened.cursor('projection');
    expect(await cursor.position()).toBe(6);
    const batch = await reopened.consume(await cursor.position(), 100);
    expect(batch.messages.map((m) => m.offset)).toEqual([6, 7, 8, 9]);
    await reopened.close();
  });

  it('cursors of a log in one env are not seen by a log of the same dir in another', async () => {
    const a = await openLog(freshEnv(), 'same');
    const b = await openLog(freshEnv(), 'same');
    await a.publish(gen(3));
    await a.cursor('c').commit(2);
    expect(await b.cursor('c').position()).toBe(OffsetOldest);
    await a.close();
    await b.close();
  });

  it('concurrent commits of one cursor end at the last one made', async () => {
    const log = await openLog(freshEnv());
    await log.publish(gen(50));
    const cursor = log.cursor('busy');
    await Promise.all(Array.from({ length: 50 }, (_, i) => cursor.commit(i + 1)));
    expect(await cursor.position()).toBe(50);
    await log.close();
  });
});
