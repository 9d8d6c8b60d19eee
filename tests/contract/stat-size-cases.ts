// size() of a message and stat() of the log.
import type { Message } from '../../src/types.ts';
import { equal, ok, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  INDEXED,
  bytes,
  gen,
  randomBytes,
  withFresh,
  publishAll,
  sizesOf,
  deleteAll,
} from './helpers.ts';

// ---------------------------------------------------------------------------
// size
// ---------------------------------------------------------------------------

contract('size: a positive integer, returned synchronously', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const expected = await publishAll(log, [{}, ...gen(2)]);
    for (const m of [...expected, await log.get(1)]) {
      const size: unknown = log.size(m);
      ok(!(size instanceof Promise), 'size() returned a Promise; it must be synchronous');
      ok(
        typeof size === 'number' && Number.isInteger(size) && size > 0,
        `size(${show(m)}) = ${show(size)} is a positive integer`,
      );
    }
  });
});

contract('size: grows with the key and the value', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const m = (key: number, value: number): Message => ({
      offset: 0,
      time: T0,
      key: key ? new Uint8Array(key) : null,
      value: value ? new Uint8Array(value) : null,
    });
    const base = log.size(m(0, 0));
    ok(log.size(m(10, 0)) > base, 'a key makes it larger');
    ok(log.size(m(0, 10)) > base, 'a value makes it larger');
    ok(log.size(m(0, 1000)) > log.size(m(0, 10)), 'a larger value makes it larger');
    ok(log.size(m(1000, 10)) > log.size(m(10, 10)), 'a larger key makes it larger');
    ok(log.size(m(0, 1000)) >= base + 1000, 'a value of 1000 bytes adds at least 1000 bytes');
    equal(log.size(m(5, 7)), log.size({ ...m(5, 7), offset: 123 }), 'size does not depend on the offset');
  });
});

contract('size: indexes do not make a message smaller', async (ctx) => {
  const message: Message = { offset: 0, time: T0, key: bytes('key'), value: bytes('value') };
  await withFresh(ctx, {}, async (plain) => {
    await withFresh(ctx, INDEXED, async (indexed) => {
      const withIndexes = indexed.size(message);
      const without = plain.size(message);
      ok(withIndexes >= without, `size with indexes (${withIndexes}) >= size without (${without})`);
    });
  });
});

// ---------------------------------------------------------------------------
// stat
// ---------------------------------------------------------------------------

contract('stat: an empty log has no messages', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const stats = await log.stat();
    equal(stats.messages, 0, 'messages');
    ok(
      Number.isInteger(stats.segments) && stats.segments >= 0 && stats.segments <= 1,
      `segments is 0 or 1, got ${stats.segments}`,
    );
    ok(Number.isInteger(stats.size) && stats.size >= 0, `size is a non-negative integer, got ${stats.size}`);
  });
});

contract('stat: counts the messages and at least their size()', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const expected = await publishAll(log, gen(10), 3);
    const stats = await log.stat();
    equal(stats.messages, 10, 'messages');
    equal(stats.segments, 1, 'segments with the default rollover');
    const sum = expected.reduce((total, m) => total + log.size(m), 0);
    ok(stats.size >= sum, `size ${stats.size} >= sum of size() ${sum}`);
  });
});

contract('stat: size grows by the size() of each message published into a segment', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    await publishAll(log, gen(1));
    const before = await log.stat();
    const added = await publishAll(
      log,
      gen(5, 1).map((m, i) => ({ ...m, value: randomBytes(i * 50, i) })),
      2,
    );
    const after = await log.stat();
    equal(after.segments, before.segments, 'segments');
    equal(after.messages, before.messages + 5, 'messages');
    const sum = added.reduce((total, m) => total + log.size(m), 0);
    equal(after.size - before.size, sum, 'growth of stat().size vs the sum of size()');
  });
});

contract('stat: a small rollover makes many segments', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(30), 1);
    const stats = await log.stat();
    equal(stats.messages, 30, 'messages');
    ok(stats.segments > 1 && stats.segments <= 30, `segments between 2 and 30, got ${stats.segments}`);
  });
});

contract('stat: delete lowers the message count and the size', async (ctx) => {
  await withFresh(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(20), 4);
    const before = await log.stat();
    const offsets = [3, 4, 10];
    const result = await deleteAll(log, offsets, await sizesOf(log, offsets));
    const after = await log.stat();
    equal(after.messages, before.messages - 3, 'messages');
    ok(after.size < before.size, `size ${after.size} < ${before.size}`);
    ok(
      before.size - after.size >= result.size,
      `size fell by ${before.size - after.size}, at least deletedSize ${result.size}`,
    );
  });
});
