/**
 * latestMessages in Node: the newest messages of a log as a store, live, over
 * deletions, a log closed under it and its own close.
 */
import { describe, expect, it } from 'vitest';
import { LogError } from '../../src/errors.ts';
import { latestMessages, MAX_LATEST, type LatestMessages } from '../../src/projection/latest.ts';
import { trimByCount } from '../../src/retention/by-count.ts';
import { json, string } from '../../src/typed/codecs.ts';
import { typed } from '../../src/typed/typed.ts';
import type { Log } from '../../src/types.ts';
import { allOffsets, dec, freshEnv, gen, openLog } from './helpers.ts';

const offsets = (messages: readonly { offset: number }[]) => messages.map((m) => m.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Resolves with the store's messages once `done` holds for them. */
function until<M>(store: LatestMessages<M>, done: (messages: readonly M[]) => boolean): Promise<readonly M[]> {
  return new Promise((resolve) => {
    const stop = store.subscribe((messages) => {
      if (!done(messages)) return;
      queueMicrotask(() => stop());
      resolve(messages);
    });
  });
}

/** Resolves with the store's messages once the newest is at `offset`. */
const untilNewest = <M extends { offset: number }>(store: LatestMessages<M>, offset: number) =>
  until(store, (messages) => messages.at(-1)?.offset === offset);

async function logWith(count: number): Promise<Log> {
  const log = await openLog(freshEnv());
  if (count > 0) await log.publish(gen(count));
  return log;
}

describe('latestMessages', () => {
  it('throws InvalidArgument on a count that is no integer from 1 to 100,000, or on what is not a log', async () => {
    const log = await logWith(0);
    for (const count of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_LATEST + 1, '3', null, undefined]) {
      expect(() => latestMessages(log, count as number), String(count)).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
    }
    for (const notALog of [null, undefined, {}, 'log', { consume: 1 }]) {
      expect(() => latestMessages(notALog as unknown as Log, 3)).toThrow(LogError);
    }
    const store = latestMessages(log, MAX_LATEST); // the largest count is accepted
    await store.close();
    await log.close();
  });

  it('holds the newest messages oldest first, the same frozen array until it changes, and follows publishes', async () => {
    const log = await logWith(10);
    const store = latestMessages(log, 3);
    const first = await untilNewest(store, 9);
    expect(offsets(first)).toEqual([7, 8, 9]);
    expect(store.getState()).toBe(first);
    expect(store.getState()).toBe(store.getState());
    expect(Object.isFrozen(first)).toBe(true);
    expect(dec.decode(first[0]!.value!)).toBe('v7');

    const seen: number[][] = [];
    const stop = store.subscribe((messages) => seen.push(offsets(messages)));
    expect(seen).toEqual([[7, 8, 9]]); // called at once
    const later = untilNewest(store, 11);
    await log.publish(gen(2));
    expect(offsets(await later)).toEqual([9, 10, 11]);
    expect(seen.at(-1)).toEqual([9, 10, 11]);
    expect(first.length).toBe(3); // the array once shown is never changed
    stop();
    await store.close();
    await log.close();
  });

  it('starts empty on an empty log, and a batch larger than count keeps its newest', async () => {
    const log = await logWith(0);
    const store = latestMessages(log, 4);
    const empty = store.getState();
    expect(empty).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first read came back empty
    expect(store.getState()).toBe(empty);
    const later = untilNewest(store, 9);
    await log.publish(gen(10));
    expect(offsets(await later)).toEqual([6, 7, 8, 9]);
    await store.close();
    await log.close();
  });

  it('reads a typed log decoded, also from a readonly tab', async () => {
    const env = freshEnv();
    const writer = await openLog(env);
    const events = typed(writer, { key: string(), value: json<{ n: number }>() });
    await events.publish([1, 2, 3].map((n) => ({ key: `k${n}`, value: { n } })));
    const reader = typed(await openLog(env, 'log', { readonly: true }), {
      key: string(),
      value: json<{ n: number }>(),
    });
    const store = latestMessages(reader, 2);
    expect((await untilNewest(store, 2)).map((m) => [m.key, m.value?.n])).toEqual([
      ['k2', 2],
      ['k3', 3],
    ]);
    const later = untilNewest(store, 3);
    await events.publish([{ key: 'k4', value: { n: 4 } }]);
    expect((await later).map((m) => m.value?.n)).toEqual([3, 4]);
    await store.close();
    await reader.raw.close();
    await writer.close();
  });

  it('passes over deleted and trimmed messages, reading further back for the newest that remain', async () => {
    const log = await openLog(freshEnv(), 'log', { rollover: 200 });
    await log.publish(gen(100));
    const deleted = range(80, 99); // all but the newest of the last twenty (klevdb deletes a segment per call)
    for (let left = new Set(deleted); left.size > 0; ) {
      const { deletedOffsets } = await log.delete(left);
      for (const o of deletedOffsets) left.delete(o);
    }
    const store = latestMessages(log, 5);
    expect(offsets(await untilNewest(store, 99))).toEqual([76, 77, 78, 79, 99]);
    await store.close();

    await trimByCount(log, 10);
    const left = await allOffsets(log);
    expect(left.length).toBeLessThan(20);
    expect(left[0]).toBeGreaterThan(0);
    const all = latestMessages(log, 50); // more than the log holds: all of it
    expect(offsets(await untilNewest(all, 99))).toEqual(left);
    await all.close();
    await log.close();
  });

  it('keeps a message deleted after it was read', async () => {
    const log = await logWith(5);
    const store = latestMessages(log, 3);
    await untilNewest(store, 4);
    await log.delete([4]);
    const later = untilNewest(store, 5);
    await log.publish(gen(1));
    expect(offsets(await later)).toEqual([3, 4, 5]);
    await store.close();
    await log.close();
  });

  it('stops when the log closes under it: error Closed, its messages stay, listeners hear once more', async () => {
    const log = await logWith(3);
    const store = latestMessages(log, 2);
    const shown = await untilNewest(store, 2);
    let calls = 0;
    store.subscribe(() => calls++);
    expect(calls).toBe(1);
    await log.close();
    await until(store, () => store.error !== null);
    expect(store.error?.code).toBe('Closed');
    expect(store.getState()).toBe(shown);
    expect(calls).toBe(2);
    await store.close();
  });

  it('close() stops following: no read runs after it, the messages stay and no listener is called again', async () => {
    const log = await logWith(3);
    const store = latestMessages(log, 2);
    const shown = await untilNewest(store, 2);
    let calls = 0;
    store.subscribe(() => calls++);
    const closing = store.close();
    expect(store.close()).toBe(closing);
    await closing;
    await log.publish(gen(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.getState()).toBe(shown);
    expect(calls).toBe(1);
    expect(store.error).toBeNull();
    await log.close();
  });

  it('close() before the first read came back leaves no read running', async () => {
    const log = await logWith(3);
    const store = latestMessages(log, 2);
    await store.close();
    expect(store.getState()).toEqual([]);
    await log.close(); // a read still waiting would reject Closed and set error
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.error).toBeNull();
  });

  it('reports a listener that throws and keeps it subscribed', async () => {
    const log = await logWith(1);
    const store = latestMessages(log, 2);
    await untilNewest(store, 0);
    const reported: unknown[] = [];
    const original = globalThis.reportError;
    globalThis.reportError = (err: unknown) => void reported.push(err);
    try {
      let calls = 0;
      store.subscribe(() => {
        calls++;
        throw new Error('listener');
      });
      const later = untilNewest(store, 1);
      await log.publish(gen(1));
      await later;
      expect(calls).toBe(2);
      expect(reported).toHaveLength(2);
    } finally {
      globalThis.reportError = original;
    }
    await store.close();
    await log.close();
  });
});
