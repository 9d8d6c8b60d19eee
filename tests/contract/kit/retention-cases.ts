// Retention: the trim functions and the `retention` option (src/retention/).
import { deleteAll } from '../../../src/retention/delete-all.ts';
import { findByAge, trimByAge } from '../../../src/retention/by-age.ts';
import { findByCount, trimByCount } from '../../../src/retention/by-count.ts';
import { findByOffset, trimByOffset } from '../../../src/retention/by-offset.ts';
import { findBySize, trimBySize } from '../../../src/retention/by-size.ts';
import { OffsetNewest, OffsetOldest } from '../../../src/types.ts';
import type { Log, Options } from '../../../src/types.ts';
import { deepEqual, equal, ok, rejectsWith } from '../assert.ts';
import { kitCase } from './registry.ts';
import { gen, offsetsOf, range, readAll, sameOffsets, SMALL_ROLLOVER, T0, withLog } from './helpers.ts';

/** A log of `n` messages over several segments. */
async function seeded(log: Log, n: number): Promise<void> {
  for (let i = 0; i < n; i += 3) await log.publish(gen(Math.min(3, n - i), i));
}

const SEGMENTED: Options = { rollover: SMALL_ROLLOVER, keyIndex: true, timeIndex: true };

/** Sum of `size()` over the messages at `offsets`, read before they go. */
async function sizeOf(log: Log, offsets: number[]): Promise<number> {
  let total = 0;
  for (const o of offsets) total += log.size(await log.get(o));
  return total;
}

kitCase('trimByCount: deletes the oldest across as many segments as needed, keeping max', async (ctx) => {
  await withLog(ctx, SEGMENTED, async (log) => {
    await seeded(log, 30);
    const before = await log.stat();
    ok(before.segments >= 5, `the log spans several segments (${before.segments})`);
    const expectedSize = await sizeOf(log, range(0, 22));
    sameOffsets(await findByCount(log, 8), range(0, 22), 'findByCount(8)');
    const result = await trimByCount(log, 8);
    sameOffsets(result.deletedOffsets, range(0, 22), 'deletedOffsets');
    equal(result.deletedSize, expectedSize, 'deletedSize is the sum of size()');
    deepEqual(offsetsOf(await readAll(log)), range(22, 30), 'the 8 newest remain');
    const after = await log.stat();
    equal(after.messages, 8, 'stat().messages');
    ok(
      after.size <= before.size - result.deletedSize,
      `stat().size went down by at least deletedSize (${before.size} → ${after.size})`,
    );
    ok(after.segments < before.segments, `whole segments went (${before.segments} → ${after.segments})`);
    equal(await log.nextOffset(), 30, 'nextOffset unchanged');
    equal((await trimByCount(log, 8)).deletedOffsets.size, 0, 'nothing more to trim');
    equal((await trimByCount(log, 100)).deletedOffsets.size, 0, 'max above the count trims nothing');
    await rejectsWith(() => trimByCount(log, -1), 'InvalidArgument', 'a negative max');
    equal((await trimByCount(log, 0)).deletedOffsets.size, 8, 'max 0 empties the log');
    equal((await log.stat()).messages, 0, 'empty');
    equal(await log.nextOffset(), 30, 'nextOffset still unchanged');
  });
});

kitCase('trimByOffset: deletes every message before the offset; OffsetOldest none, OffsetNewest all', async (ctx) => {
  await withLog(ctx, SEGMENTED, async (log) => {
    await seeded(log, 20);
    equal((await findByOffset(log, OffsetOldest)).size, 0, 'findByOffset(OffsetOldest)');
    await log.delete([3]); // a gap is skipped
    const result = await trimByOffset(log, 12);
    sameOffsets(
      result.deletedOffsets,
      range(0, 12).filter((o) => o !== 3),
      'deletedOffsets',
    );
    equal(offsetsOf(await readAll(log))[0], 12, 'the oldest is now 12');
    equal((await trimByOffset(log, 5)).deletedOffsets.size, 0, 'before the oldest: nothing');
    await rejectsWith(() => trimByOffset(log, -9), 'InvalidOffset', 'a negative offset');
    sameOffsets(await findByOffset(log, 999), range(12, 20), 'past the next offset: every message');
    sameOffsets((await trimByOffset(log, OffsetNewest)).deletedOffsets, range(12, 20), 'OffsetNewest: every message');
    equal((await log.stat()).messages, 0, 'empty');
  });
});

kitCase('trimByAge: deletes from the oldest up to the first message after the time', async (ctx) => {
  await withLog(ctx, SEGMENTED, async (log) => {
    await seeded(log, 20); // times T0 + i s
    // An out-of-order message: old, but after young ones.
    await log.publish([{ key: null, value: new Uint8Array([1]), time: T0 - 60_000 }]);
    sameOffsets(await findByAge(log, T0 + 9_000), range(0, 10), 'findByAge: times at or before');
    const result = await trimByAge(log, new Date(T0 + 9_500));
    sameOffsets(result.deletedOffsets, range(0, 10), 'trimByAge with a Date');
    equal(offsetsOf(await readAll(log))[0], 10, 'the oldest is now 10');
    ok(offsetsOf(await readAll(log)).includes(20), 'the out-of-order old message behind young ones stays');
    equal((await trimByAge(log, T0)).deletedOffsets.size, 0, 'nothing that old left at the start');
    await rejectsWith(() => trimByAge(log, Number.NaN), 'InvalidArgument', 'NaN');
  });
});

kitCase('trimBySize: deletes the oldest until stat().size is below the bound', async (ctx) => {
  await withLog(ctx, SEGMENTED, async (log) => {
    await seeded(log, 30);
    const before = await log.stat();
    const bound = Math.floor(before.size / 2);
    const found = await findBySize(log, bound);
    const lastDeletedSize = log.size(await log.get(Math.max(...found)));
    const result = await trimBySize(log, bound);
    sameOffsets(result.deletedOffsets, found, 'trimBySize deletes what findBySize found');
    const after = await log.stat();
    ok(after.size < bound, `stat().size ${after.size} < ${bound}`);
    deepEqual(offsetsOf(await readAll(log)), range(30 - after.messages, 30), 'the newest remain');
    // Deleting one message fewer would not have been enough.
    ok(before.size - result.deletedSize + lastDeletedSize >= bound, 'no more than needed was deleted');
    equal((await trimBySize(log, before.size)).deletedOffsets.size, 0, 'already small enough');
  });
});

kitCase(
  'trimBySize: a log exactly at the bound loses its oldest message; one byte above it, none (klevdb)',
  async (ctx) => {
    await withLog(ctx, SEGMENTED, async (log) => {
      await seeded(log, 12);
      const { size } = await log.stat();
      equal((await findBySize(log, size + 1)).size, 0, 'findBySize(size + 1): below already');
      equal((await trimBySize(log, size + 1)).deletedOffsets.size, 0, 'trimBySize(size + 1)');
      sameOffsets(await findBySize(log, size), [0], 'findBySize(size): at the bound is not below it');
      // Without message 0 the count lands exactly on this bound, which is not below it either.
      const first = log.size(await log.get(0));
      sameOffsets(await findBySize(log, size - first), [0, 1], 'findBySize(size - size(message 0))');
      sameOffsets((await trimBySize(log, size)).deletedOffsets, [0], 'trimBySize(size) deletes the oldest');
      ok((await log.stat()).size < size, 'stat().size is now below the bound');
      sameOffsets((await trimBySize(log, 0)).deletedOffsets, range(1, 12), 'trimBySize(0) deletes every message');
    });
  },
);

kitCase(
  'deleteAll: deletes offsets spread over many segments; missing ones are ignored; readonly rejects',
  async (ctx) => {
    const dir = ctx.dir();
    await withLog(
      ctx,
      SEGMENTED,
      async (log) => {
        await seeded(log, 24);
        const wanted = [0, 5, 11, 17, 23, 99, 5];
        const result = await deleteAll(log, wanted);
        sameOffsets(result.deletedOffsets, [0, 5, 11, 17, 23], 'deletedOffsets');
        equal((await log.stat()).messages, 19, 'stat');
        equal(await log.nextOffset(), 24, 'deleting the newest keeps nextOffset');
      },
      dir,
    );
    const reader = await ctx.open(dir, { readonly: true });
    try {
      await rejectsWith(() => deleteAll(reader, [1]), 'Readonly', 'deleteAll on a readonly log');
      await rejectsWith(() => trimByCount(reader, 1), 'Readonly', 'trimByCount on a readonly log');
    } finally {
      await reader.close();
    }
  },
);

kitCase('retention.maxCount: the log stays within the cap while publishing continues', async (ctx) => {
  const MAX = 40;
  await withLog(ctx, { rollover: 512, retention: { maxCount: MAX } }, async (log) => {
    let sent = 0;
    for (let round = 0; round < 60; round++) {
      const n = 1 + (round % 5);
      await log.publish(gen(n, sent));
      sent += n;
      const stat = await log.stat();
      ok(stat.messages <= MAX, `after publishing ${sent}: ${stat.messages} messages, cap ${MAX}`);
      const offsets = offsetsOf(await readAll(log));
      deepEqual(offsets, range(sent - offsets.length, sent), `after publishing ${sent}: the newest are kept`);
    }
    ok(sent > 3 * MAX, 'published well past the cap');
    ok((await log.stat()).messages >= MAX - Math.floor(MAX / 16) - 5, 'it keeps close to the cap, not far below');
    ok((await log.stat()).segments <= 8, `old segments are gone (${(await log.stat()).segments} left)`);
  });
});

kitCase('retention.maxBytes: stat().size stays within the cap while publishing continues', async (ctx) => {
  const MAX = 4000;
  await withLog(ctx, { rollover: 1024, retention: { maxBytes: MAX } }, async (log) => {
    let sent = 0;
    for (let round = 0; round < 50; round++) {
      await log.publish(gen(4, sent));
      sent += 4;
      const stat = await log.stat();
      ok(stat.size < MAX, `after publishing ${sent}: ${stat.size} bytes, below the cap ${MAX}`);
    }
    const offsets = offsetsOf(await readAll(log));
    deepEqual(offsets, range(sent - offsets.length, sent), 'the newest are kept');
    ok((await log.stat()).size > MAX / 2, 'it keeps close to the cap');
  });
});

kitCase('retention.maxBytes: a log exactly at the cap is trimmed below it, as trimBySize counts', async (ctx) => {
  const dir = ctx.dir();
  let size = 0;
  await withLog(
    ctx,
    {},
    async (log) => {
      await log.publish(gen(20));
      size = (await log.stat()).size;
    },
    dir,
  );
  await withLog(
    ctx,
    { retention: { maxBytes: size + 1 } },
    async (log) => {
      equal((await log.stat()).messages, 20, 'one byte below the cap: nothing trimmed on open');
    },
    dir,
  );
  await withLog(
    ctx,
    { retention: { maxBytes: size } },
    async (log) => {
      const stat = await log.stat();
      ok(stat.size < size, `at the cap: trimmed on open to ${stat.size} bytes, below ${size}`);
      ok(stat.messages < 20 && stat.messages > 0, `the oldest went, not all (${stat.messages} left)`);
    },
    dir,
  );
});

kitCase('retention.maxAgeMs: messages too old go on open and after a publish', async (ctx) => {
  const dir = ctx.dir();
  const DAY = 86_400_000;
  const now = Date.now();
  await withLog(
    ctx,
    {},
    async (log) => {
      await log.publish([
        { value: new Uint8Array([1]), time: now - 10 * DAY },
        { value: new Uint8Array([2]), time: now - 5 * DAY },
        { value: new Uint8Array([3]), time: now - DAY / 2 },
      ]);
    },
    dir,
  );
  await withLog(
    ctx,
    { retention: { maxAgeMs: 7 * DAY } },
    async (log) => {
      deepEqual(offsetsOf(await readAll(log)), [1, 2], 'on open, the 10-day-old message went');
      await log.publish([{ value: new Uint8Array([4]) }]);
      deepEqual(offsetsOf(await readAll(log)), [1, 2, 3], 'younger ones stay');
    },
    dir,
  );
  await withLog(
    ctx,
    { retention: { maxAgeMs: 2 * DAY } },
    async (log) => {
      deepEqual(offsetsOf(await readAll(log)), [2, 3], 'a tighter limit on the next open');
      await log.publish([{ value: new Uint8Array([5]), time: now - 30 * DAY }]);
      deepEqual(
        offsetsOf(await readAll(log)),
        [2, 3, 4],
        'an old message behind young ones stays (klevdb: from the start)',
      );
    },
    dir,
  );
});

kitCase('retention: a bad policy rejects InvalidArgument; a readonly log ignores it', async (ctx) => {
  const bad = [
    { maxCount: 0 },
    { maxCount: -1 },
    { maxCount: 1.5 },
    { maxBytes: '10' },
    { maxAgeMs: Number.POSITIVE_INFINITY },
    { maxAge: 1000 },
    'forever',
    [1],
  ];
  for (const retention of bad) {
    await rejectsWith(
      () => ctx.open(ctx.dir(), { createDirs: true, retention: retention as Options['retention'] }),
      'InvalidArgument',
      `retention ${JSON.stringify(retention)}`,
    );
  }
  const dir = ctx.dir();
  await withLog(
    ctx,
    {},
    async (log) => {
      await log.publish(gen(10));
    },
    dir,
  );
  const reader = await ctx.open(dir, { readonly: true, retention: { maxCount: 2 } });
  try {
    equal((await reader.stat()).messages, 10, 'a readonly log with retention trims nothing');
  } finally {
    await reader.close();
  }
  await withLog(
    ctx,
    { retention: { maxCount: 2, maxAgeMs: 0.5 } },
    async (log) => {
      equal((await log.stat()).messages, 0, 'fractional maxAgeMs is fine; every message is older');
    },
    dir,
  );
});
