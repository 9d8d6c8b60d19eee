// Reads by key (keyIndex): consumeByKey and getByKey.
import type { Message } from '../../src/types.ts';
import { OffsetNewest, OffsetOldest, OffsetInvalid } from '../../src/types.ts';
import { equal, ok, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  bytes,
  keyOf,
  gen,
  randomBytes,
  expectMessage,
  expectMessages,
  expectBatch,
  withLog,
  withFresh,
  seed,
  publishAll,
  consumeAll,
  deleteAll,
} from './helpers.ts';

// ---------------------------------------------------------------------------
// consumeByKey
// ---------------------------------------------------------------------------

contract('consumeByKey: rejects NoIndex without keyIndex', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await rejectsWith(() => log.consumeByKey(bytes('k'), OffsetOldest, 10), 'NoIndex', 'consumeByKey on an empty log');
    await publishAll(log, [{ key: bytes('k'), value: bytes('v') }]);
    await rejectsWith(() => log.consumeByKey(bytes('k'), OffsetOldest, 10), 'NoIndex', 'consumeByKey(OffsetOldest)');
    await rejectsWith(() => log.consumeByKey(bytes('k'), 0, 10), 'NoIndex', 'consumeByKey(0)');
  });
});

contract('consumeByKey: without keyIndex rejects NoIndex before looking at the offset or maxCount', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const key = bytes('k');
    // klevdb checks the index first: with next 0, offset 999999 would otherwise be InvalidOffset.
    await rejectsWith(() => log.consumeByKey(key, 999999, 1), 'NoIndex', 'consumeByKey(999999) of an empty log');
    for (const offset of [OffsetInvalid, -10]) {
      await rejectsWith(() => log.consumeByKey(key, offset, 1), 'NoIndex', `consumeByKey(${offset})`);
    }
    for (const max of [0, -1, 1.5]) {
      await rejectsWith(() => log.consumeByKey(key, 999999, max), 'NoIndex', `consumeByKey(999999, ${max})`);
    }
    await publishAll(log, gen(3));
    await rejectsWith(() => log.consumeByKey(key, 4, 10), 'NoIndex', 'consumeByKey(4) with next 3');
    await rejectsWith(() => log.consumeByKey(key, OffsetNewest, 10), 'NoIndex', 'consumeByKey(OffsetNewest)');
  });
});

contract('consumeByKey: returns only messages whose key is exactly the key', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const keys = [[1], [1, 0], [1, 0, 0], [0, 1], [], [1], [2], [1, 0], [0], [1]];
    const messages = keys.map((k, i) => ({ key: new Uint8Array(k), value: bytes(`v${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages, 3);
    for (const key of [[1], [1, 0], [1, 0, 0], [0, 1], [0], [2]]) {
      const want = expected.filter((_, i) => keys[i]?.join() === key.join() && keys[i]?.length === key.length);
      for (const max of [10, 1]) {
        const got = await consumeAll(log, { key: new Uint8Array(key), max });
        expectMessages(got.messages, want, `consumeByKey([${key}]) with maxCount ${max}`);
      }
    }
    const none = await consumeAll(log, { key: new Uint8Array([1, 0, 0, 0]) });
    equal(none.messages.length, 0, 'consumeByKey([1,0,0,0]) messages');
  });
});

contract('consumeByKey: pages through many segments with maxCount', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const keys = [bytes('alpha'), bytes('beta'), bytes('gamma')];
    const messages = Array.from({ length: 60 }, (_, i) => ({
      key: keys[i % 3],
      value: bytes(`value-${i}`),
      time: T0 + i,
    }));
    const expected = await publishAll(log, messages, 5);
    ok((await log.stat()).segments > 1, 'the log has more than one segment');
    for (const [k, key] of keys.entries()) {
      const want = expected.filter((_, i) => i % 3 === k);
      for (const max of k === 0 ? [1, 2, 7, 1000] : [2, 1000]) {
        expectMessages(
          (await consumeAll(log, { key, max })).messages,
          want,
          `consumeByKey(key ${k}) with maxCount ${max}`,
        );
      }
    }
  });
});

contract('consumeByKey: offsets behave as in consume', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const key = bytes('k');
    expectBatch(await log.consumeByKey(key, OffsetOldest, 10), 0, [], 'consumeByKey(OffsetOldest) of an empty log');
    expectBatch(await log.consumeByKey(key, OffsetNewest, 10), 0, [], 'consumeByKey(OffsetNewest) of an empty log');
    expectBatch(await log.consumeByKey(key, 0, 10), 0, [], 'consumeByKey(0) of an empty log');
    await rejectsWith(() => log.consumeByKey(key, 1, 10), 'InvalidOffset', 'consumeByKey(1) of an empty log');
    await publishAll(log, [{ key }, { key: bytes('other') }, { key }]);
    expectBatch(await log.consumeByKey(key, OffsetNewest, 10), 3, [], 'consumeByKey(OffsetNewest)');
    expectBatch(await log.consumeByKey(key, 3, 10), 3, [], 'consumeByKey(next)');
    for (const offset of [4, 100]) {
      await rejectsWith(
        () => log.consumeByKey(key, offset, 10),
        'InvalidOffset',
        `consumeByKey(${offset}) with next 3`,
      );
    }
    for (const offset of [OffsetInvalid, -4, -10]) {
      await rejectsWith(() => log.consumeByKey(key, offset, 10), 'InvalidOffset', `consumeByKey(${offset})`);
    }
    for (const max of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(
        () => log.consumeByKey(key, OffsetOldest, max),
        'InvalidArgument',
        `consumeByKey(OffsetOldest, ${max})`,
      );
    }
  });
});

contract('consumeByKey: starts at the offset', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const a = bytes('a');
    const messages = Array.from({ length: 8 }, (_, i) => ({
      key: i % 2 === 0 ? a : bytes('b'),
      value: bytes(`${i}`),
      time: T0 + i,
    }));
    const expected = await publishAll(log, messages);
    const ofA = (from: number) => expected.filter((m) => m.offset >= from && m.offset % 2 === 0);
    for (const from of [0, 1, 3, 4, 6, 7]) {
      expectMessages((await consumeAll(log, { key: a, from, max: 2 })).messages, ofA(from), `consumeByKey(a, ${from})`);
    }
  });
});

contract('consumeByKey: a key with no messages reaches the next offset with none', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(20), 4);
    for (const from of [OffsetOldest, 0, 10]) {
      const all = await consumeAll(log, { key: bytes('missing'), from, max: 5 });
      equal(all.messages.length, 0, `consumeByKey(missing, ${from}): messages`);
      equal(all.nextOffset, 20, `consumeByKey(missing, ${from}): final offset`);
    }
  });
});

contract('consumeByKey: deleted messages are skipped', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const a = bytes('a');
    const messages = Array.from({ length: 8 }, (_, i) => ({
      key: i % 2 === 0 ? a : bytes('b'),
      value: bytes(`${i}`),
      time: T0 + i,
    }));
    const expected = await publishAll(log, messages);
    await deleteAll(log, [2, 3]);
    expectMessages(
      (await consumeAll(log, { key: a })).messages,
      [expected[0], expected[4], expected[6]],
      'consumeByKey(a)',
    );
    expectMessages(
      (await consumeAll(log, { key: a, from: 2 })).messages,
      [expected[4], expected[6]],
      'consumeByKey(a, 2)',
    );
  });
});

// ---------------------------------------------------------------------------
// getByKey / offsetByKey
// ---------------------------------------------------------------------------

contract('getByKey: returns the last message with the key', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const messages = Array.from({ length: 40 }, (_, i) => ({
      key: keyOf(i % 5),
      value: bytes(`value-${i}`),
      time: T0 + i,
    }));
    const expected = await publishAll(log, messages, 3);
    for (let k = 0; k < 5; k++) {
      const last = expected[35 + k];
      expectMessage(await log.getByKey(keyOf(k)), last, `getByKey(key ${k})`);
      equal(await log.offsetByKey(keyOf(k)), last?.offset, `offsetByKey(key ${k})`);
    }
  });
});

contract('getByKey: no message with the key rejects NotFound', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(bytes('k')), 'NotFound', 'getByKey on an empty log');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NotFound', 'offsetByKey on an empty log');
    await publishAll(log, gen(5));
    await rejectsWith(() => log.getByKey(bytes('missing')), 'NotFound', 'getByKey(missing)');
    await rejectsWith(() => log.offsetByKey(bytes('missing')), 'NotFound', 'offsetByKey(missing)');
  });
});

contract('getByKey: rejects NoIndex without keyIndex', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(bytes('k')), 'NoIndex', 'getByKey on an empty log');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NoIndex', 'offsetByKey on an empty log');
    await publishAll(log, [{ key: bytes('k'), value: bytes('v') }]);
    await rejectsWith(() => log.getByKey(bytes('k')), 'NoIndex', 'getByKey');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NoIndex', 'offsetByKey');
  });
});

contract('getByKey: matches the key exactly, not a prefix', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const expected = await publishAll(log, [{ key: new Uint8Array([1, 0]), value: bytes('a'), time: T0 }]);
    await rejectsWith(() => log.getByKey(new Uint8Array([1])), 'NotFound', 'getByKey([1]) with only [1,0] stored');
    await rejectsWith(() => log.getByKey(new Uint8Array([1, 0, 0])), 'NotFound', 'getByKey([1,0,0])');
    await rejectsWith(() => log.getByKey(new Uint8Array([0, 1])), 'NotFound', 'getByKey([0,1])');
    expected.push(...(await publishAll(log, [{ key: new Uint8Array([1]), value: bytes('b'), time: T0 }])));
    expectMessage(await log.getByKey(new Uint8Array([1])), expected[1], 'getByKey([1])');
    expectMessage(await log.getByKey(new Uint8Array([1, 0])), expected[0], 'getByKey([1,0])');
    equal(await log.offsetByKey(new Uint8Array([1, 0])), 0, 'offsetByKey([1,0])');
    await rejectsWith(() => log.getByKey(new Uint8Array([1, 0, 0])), 'NotFound', 'getByKey([1,0,0]) after both');
  });
});

contract('getByKey: after the newest message of a key is deleted the previous one is found', async (ctx) => {
  const key = bytes('k');
  const messages = Array.from({ length: 7 }, (_, i) => ({
    key: i % 2 === 0 ? key : bytes(`other-${i}`),
    value: bytes(`${i}`),
    time: T0 + i,
  }));
  const { dir, expected } = await seed(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, messages);
  await withLog(ctx.open(dir, { keyIndex: true }), async (log) => {
    for (const [deleted, previous] of [
      [6, 4],
      [4, 2],
      [2, 0],
    ] as const) {
      await deleteAll(log, [deleted]);
      expectMessage(await log.getByKey(key), expected[previous], `getByKey after deleting ${deleted}`);
      equal(await log.offsetByKey(key), previous, `offsetByKey after deleting ${deleted}`);
    }
  });
  await withLog(ctx.open(dir, { keyIndex: true }), async (log) => {
    expectMessage(await log.getByKey(key), expected[0], 'getByKey after reopen');
    await deleteAll(log, [0]);
    await rejectsWith(() => log.getByKey(key), 'NotFound', 'getByKey after deleting every message of the key');
    await rejectsWith(() => log.offsetByKey(key), 'NotFound', 'offsetByKey after deleting every message of the key');
  });
});

contract('getByKey: an empty key finds the last message without a key', async (ctx) => {
  // A zero-length key reads back as null, so null, absent and empty keys are one key.
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(new Uint8Array(0)), 'NotFound', 'getByKey(empty) with no messages');
    const expected = await publishAll(log, [
      { value: bytes('no key'), time: T0 },
      { key: new Uint8Array(0), value: bytes('empty key'), time: T0 },
      { key: bytes('k'), value: bytes('keyed'), time: T0 },
      { key: null, value: bytes('null key'), time: T0 },
      { key: bytes('k'), value: bytes('keyed again'), time: T0 },
    ]);
    expectMessage(await log.getByKey(new Uint8Array(0)), expected[3], 'getByKey(empty)');
    equal(await log.offsetByKey(new Uint8Array(0)), 3, 'offsetByKey(empty)');
    const all = await consumeAll(log, { key: new Uint8Array(0) });
    expectMessages(all.messages, [expected[0], expected[1], expected[3]], 'consumeByKey(empty)');
  });
});

contract('getByKey: many distinct keys each find their own message', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: 1000 }, async (log) => {
    const messages = Array.from({ length: 120 }, (_, i) => ({
      key: randomBytes(1 + (i % 9), 1000 + i),
      value: bytes(`${i}`),
      time: T0 + i,
    }));
    // Random short keys may repeat: the last one with a key wins.
    const expected = await publishAll(log, messages, 20);
    const lastOf = new Map<string, Message>();
    for (const m of expected) lastOf.set(Array.from(m.key ?? []).join(','), m);
    for (const m of lastOf.values()) {
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `getByKey(${show(m.key)})`);
    }
  });
});
