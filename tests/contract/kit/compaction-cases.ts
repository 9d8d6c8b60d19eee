// Compaction: updates and tombstones (src/compaction/), with klevdb's semantics.
import { compact } from '../../../src/compaction/compact.ts';
import { compactDeletes, findDeletes } from '../../../src/compaction/deletes.ts';
import { compactUpdates, findUpdates } from '../../../src/compaction/updates.ts';
import { OffsetOldest } from '../../../src/types.ts';
import type { Log, Message, NewMessage } from '../../../src/types.ts';
import { deepEqual, equal, ok, rejectsWith } from '../assert.ts';
import { kitCase } from './registry.ts';
import { bytes, offsetsOf, range, readAll, sameOffsets, SMALL_ROLLOVER, T0, text, withLog } from './helpers.ts';

const NOW = () => Date.now();

/** A message of key `k` (null: no key) with value `v` (null: a tombstone) at T0 + `s` seconds. */
function msg(k: string | null, v: string | null, s: number): NewMessage {
  return { key: k === null ? null : bytes(k), value: v === null ? null : bytes(v), time: T0 + s * 1000 };
}

/** What a message reads back as, comparable with deepEqual. */
function plain(m: Message) {
  return { offset: m.offset, time: m.time, key: text(m.key), value: text(m.value) };
}

/** Every message, as `plain`, keyed by offset. */
async function snapshot(log: Log): Promise<Map<number, ReturnType<typeof plain>>> {
  return new Map((await readAll(log)).map((m) => [m.offset, plain(m)]));
}

/** Checks that the survivors read back exactly as they did before compaction, and that the deleted ones are gone. */
async function survivorsUnchanged(
  log: Log,
  before: Map<number, ReturnType<typeof plain>>,
  deleted: Set<number>,
): Promise<void> {
  const after = await snapshot(log);
  deepEqual(
    [...after.keys()],
    [...before.keys()].filter((o) => !deleted.has(o)),
    'the offsets that survive',
  );
  for (const [offset, m] of after) deepEqual(m, before.get(offset), `message ${offset} after compaction`);
}

kitCase(
  'compactUpdates: keeps only the last message of each key; survivors and their offsets, keys and times are unchanged',
  async (ctx) => {
    await withLog(ctx, { rollover: SMALL_ROLLOVER, keyIndex: true }, async (log) => {
      // 4 keys, each updated 6 times, interleaved over many segments; plus keyless events.
      const messages: NewMessage[] = [];
      for (let i = 0; i < 24; i++) messages.push(msg(`k${i % 4}`, `v${i}`, i));
      messages.push(msg(null, 'no key 1', 24), msg(null, 'no key 2', 25));
      for (const m of messages) await log.publish([m]);
      const before = await snapshot(log);
      const statBefore = await log.stat();
      ok(statBefore.segments >= 4, `several segments (${statBefore.segments})`);

      sameOffsets(await findUpdates(log, NOW()), range(0, 20), 'findUpdates: all but the last of each key');
      const result = await compactUpdates(log, NOW());
      sameOffsets(result.deletedOffsets, range(0, 20), 'compactUpdates: deletedOffsets');
      let expectedSize = 0;
      for (const o of range(0, 20))
        expectedSize += log.size({
          offset: o,
          time: 0,
          key: bytes(before.get(o)!.key!),
          value: bytes(before.get(o)!.value!),
        });
      equal(result.deletedSize, expectedSize, 'deletedSize is the sum of size()');
      await survivorsUnchanged(log, before, result.deletedOffsets);

      const statAfter = await log.stat();
      ok(
        statAfter.size <= statBefore.size - result.deletedSize,
        `disk use went down by at least deletedSize: ${statBefore.size} → ${statAfter.size}`,
      );
      equal(statAfter.messages, 6, 'stat().messages');
      for (let k = 0; k < 4; k++) {
        equal(text((await log.getByKey(bytes(`k${k}`))).value), `v${20 + k}`, `getByKey(k${k})`);
        deepEqual(
          offsetsOf((await log.consumeByKey(bytes(`k${k}`), OffsetOldest, 10)).messages),
          [20 + k],
          `consumeByKey(k${k})`,
        );
      }
      equal(await log.nextOffset(), 26, 'nextOffset unchanged');
      equal((await compactUpdates(log, NOW())).deletedOffsets.size, 0, 'a second compaction finds nothing');
    });
  },
);

kitCase(
  'compactUpdates: only messages at or before the horizon count, as updates and as what supersedes them',
  async (ctx) => {
    await withLog(ctx, {}, async (log) => {
      await log.publish([msg('a', '1', 0), msg('b', '1', 1), msg('a', '2', 10), msg('a', '3', 20), msg('b', '2', 21)]);
      equal((await findUpdates(log, T0 + 5_000)).size, 0, 'before the second "a": nothing is superseded yet');
      sameOffsets(await findUpdates(log, T0 + 10_000), [0], 'at the second "a" (inclusive): the first "a"');
      sameOffsets(await findUpdates(log, T0 + 20_500), [0, 2], 'up to the third "a"; "b" not yet');
      const result = await compactUpdates(log, new Date(T0 + 20_500));
      sameOffsets(result.deletedOffsets, [0, 2], 'compactUpdates with a Date');
      deepEqual(offsetsOf(await readAll(log)), [1, 3, 4], 'survivors');
      await rejectsWith(() => compactUpdates(log, Number.NaN), 'InvalidArgument', 'a NaN horizon');
    });
  },
);

kitCase('compactDeletes: deletes tombstones that are the first message of their key, as klevdb', async (ctx) => {
  await withLog(ctx, { keyIndex: true }, async (log) => {
    // klevdb's "Dups": tombstones of 5 keys, then values for the same keys.
    const keys = range(0, 5).map((i) => `key-${i}`);
    await log.publish(keys.map((k, i) => msg(k, null, i)));
    await log.publish(keys.map((k, i) => msg(k, `value ${i}`, 10 + i)));
    // A value then its tombstone: the tombstone must stay (it hides the value).
    await log.publish([msg('gone', 'alive', 20), msg('gone', null, 21)]);
    // Keyless tombstones are not deletes of anything.
    await log.publish([msg(null, null, 22)]);
    const before = await snapshot(log);
    const sizes = range(0, 5).map((o) => log.size({ offset: o, time: 0, key: bytes(keys[o]!), value: null }));

    sameOffsets(await findDeletes(log, NOW()), range(0, 5), 'findDeletes');
    const result = await compactDeletes(log, NOW());
    sameOffsets(result.deletedOffsets, range(0, 5), 'compactDeletes');
    equal(
      result.deletedSize,
      sizes.reduce((a, b) => a + b, 0),
      'deletedSize',
    );
    await survivorsUnchanged(log, before, result.deletedOffsets);
    equal(text((await log.getByKey(bytes('gone'))).value), null, 'the last word on "gone" is still its tombstone');

    // Once the value before it is compacted away, the tombstone is first and goes too.
    sameOffsets((await compactUpdates(log, NOW())).deletedOffsets, [10], 'compactUpdates drops the hidden value');
    sameOffsets((await compactDeletes(log, NOW())).deletedOffsets, [11], 'then compactDeletes drops the tombstone');
    await rejectsWith(() => log.getByKey(bytes('gone')), 'NotFound', 'nothing is left of "gone"');
    ok(offsetsOf(await readAll(log)).includes(12), 'the keyless tombstone stays');
  });
});

kitCase('compactDeletes: tombstones after the horizon stay', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish([msg('a', null, 0), msg('b', null, 100)]);
    sameOffsets((await compactDeletes(log, T0 + 50_000)).deletedOffsets, [0], 'only the one at or before the horizon');
    deepEqual(offsetsOf(await readAll(log)), [1], 'the later tombstone stays');
  });
});

kitCase(
  'compact: updates older than the age, then tombstones older than twice the age; no key index needed',
  async (ctx) => {
    await withLog(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
      const now = Date.now();
      const at = (agoMs: number) => now - agoMs;
      const h = 3_600_000;
      await log.publish([
        { key: bytes('a'), value: bytes('a1'), time: at(10 * h) },
        { key: bytes('a'), value: bytes('a2'), time: at(9 * h) },
        { key: bytes('t'), value: bytes('t1'), time: at(8 * h) },
        { key: bytes('t'), value: null, time: at(7 * h) },
        { key: bytes('u'), value: bytes('u1'), time: at(6 * h) },
        { key: bytes('u'), value: null, time: at(2 * h) },
        { key: bytes('a'), value: bytes('a3'), time: at(1000) },
      ]);
      const statBefore = await log.stat();
      // age 3 h: updates before now-3h → 0 (a1 by a2) and 2 (t1 by its tombstone); 4 (u1) is superseded only after the horizon.
      // Then tombstones before now-6h that are first of their key → 3 (t's tombstone, now first).
      const result = await compact(log, 3 * h);
      sameOffsets(result.deletedOffsets, [0, 2, 3], 'deletedOffsets');
      deepEqual(offsetsOf(await readAll(log)), [1, 4, 5, 6], 'survivors');
      ok((await log.stat()).size < statBefore.size, 'disk use went down');
      await rejectsWith(() => compact(log, -1), 'InvalidArgument', 'a negative age');
    });
  },
);
