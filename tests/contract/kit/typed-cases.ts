// Typed logs: typed() and its codecs (src/typed/).
import { typed } from '../../../src/typed/typed.ts';
import { bytes as bytesCodec, json, keepEmpty, string, utf8, type Codec } from '../../../src/typed/codecs.ts';
import { OffsetNewest, OffsetOldest } from '../../../src/types.ts';
import { deepEqual, equal, ok, rejectsWith, withTimeout } from '../assert.ts';
import { kitCase } from './registry.ts';
import { bytes, pendingAfter, sleep, text, withLog } from './helpers.ts';

type Event =
  | { type: 'added'; id: string; title: string }
  | { type: 'renamed'; id: string; title: string }
  | { type: 'removed'; id: string };

const T = Date.UTC(2024, 5, 1);

kitCase('typed: JSON values under string keys round-trip through every read', async (ctx) => {
  await withLog(ctx, { keyIndex: true, timeIndex: true }, async (log) => {
    const events = typed(log, { key: string(), value: json<Event>() });
    const next = await events.publish([
      { key: 'a', value: { type: 'added', id: 'a', title: 'milk' }, time: T },
      { key: 'b', value: { type: 'added', id: 'b', title: 'eggs' }, time: T + 1000 },
      { key: 'a', value: { type: 'renamed', id: 'a', title: 'oat milk' }, time: T + 2000 },
    ]);
    equal(next, 3, 'publish resolves to the next offset');
    equal(await events.nextOffset(), 3, 'nextOffset');
    const all = await events.consume(OffsetOldest, 10);
    deepEqual(
      all.messages,
      [
        { offset: 0, time: T, key: 'a', value: { type: 'added', id: 'a', title: 'milk' } },
        { offset: 1, time: T + 1000, key: 'b', value: { type: 'added', id: 'b', title: 'eggs' } },
        { offset: 2, time: T + 2000, key: 'a', value: { type: 'renamed', id: 'a', title: 'oat milk' } },
      ],
      'consume',
    );
    equal(all.nextOffset, 3, 'consume: nextOffset');
    deepEqual((await events.get(1)).value, { type: 'added', id: 'b', title: 'eggs' }, 'get');
    deepEqual((await events.get(OffsetNewest)).key, 'a', 'get(OffsetNewest)');
    deepEqual((await events.getByKey('a')).value, { type: 'renamed', id: 'a', title: 'oat milk' }, 'getByKey');
    equal(await events.offsetByKey('b'), 1, 'offsetByKey');
    deepEqual(
      (await events.consumeByKey('a', OffsetOldest, 10)).messages.map((m) => m.offset),
      [0, 2],
      'consumeByKey',
    );
    deepEqual((await events.getByTime(T + 500)).key, 'b', 'getByTime');
    deepEqual(await events.offsetByTime(T + 1500), { offset: 2, time: T + 2000 }, 'offsetByTime');
    await rejectsWith(() => events.getByKey('zzz'), 'NotFound', 'getByKey of a missing key');
    // The bytes underneath are plain UTF-8 and JSON, readable by any client.
    const raw = await events.raw.get(0);
    equal(text(raw.key), 'a', 'the raw key');
    equal(text(raw.value), '{"type":"added","id":"a","title":"milk"}', 'the raw value');
  });
});

kitCase(
  'typed: null is absent; an empty string reads back as null unless the codec keeps it (keepEmpty, json)',
  async (ctx) => {
    await withLog(ctx, { keyIndex: true }, async (log) => {
      const plain = typed(log, { key: string(), value: string() });
      await plain.publish([{ key: 'x', value: '' }, { key: null, value: null }, { value: 'only a value' }]);
      const a = (await plain.consume(0, 10)).messages;
      deepEqual(
        a.map((m) => [m.key, m.value]),
        [
          ['x', null],
          [null, null],
          [null, 'only a value'],
        ],
        'string(): "" reads back as null',
      );

      const kept = typed(log, { key: keepEmpty(string()), value: keepEmpty(string()) });
      await kept.publish([
        { key: '', value: '' },
        { key: 'y', value: null },
        { key: null, value: 'z' },
      ]);
      const b = (await kept.consume(3, 10)).messages;
      deepEqual(
        b.map((m) => [m.key, m.value]),
        [
          ['', ''],
          ['y', null],
          [null, 'z'],
        ],
        'keepEmpty: "" and null stay apart',
      );
      equal((await kept.getByKey('')).offset, 3, 'an empty key is a key of its own');
      equal((await log.get(3)).value?.length, 1, 'keepEmpty stores one prefix byte for ""');

      const js = typed(log, { value: json<string | number[]>() });
      await js.publish([{ value: '' }, { value: [] }, { value: null }]);
      deepEqual(
        (await js.consume(6, 10)).messages.map((m) => m.value),
        ['', [], null],
        'json(): "" and [] are values, null is none',
      );
    });
  },
);

kitCase('typed: raw bytes by default, and a user codec', async (ctx) => {
  await withLog(ctx, { keyIndex: true }, async (log) => {
    const raw = typed(log);
    await raw.publish([{ key: bytes('k'), value: new Uint8Array([1, 2, 3]) }]);
    const m = await raw.get(0);
    deepEqual(m.key, bytes('k'), 'default key codec: bytes');
    deepEqual(m.value, new Uint8Array([1, 2, 3]), 'default value codec: bytes');

    const float64: Codec<number> = {
      encode: (n) => new Uint8Array(new Float64Array([n]).buffer),
      decode: (b) => new Float64Array(b.slice().buffer)[0] ?? Number.NaN,
    };
    const readings = typed(log, { key: utf8, value: float64 });
    await readings.publish([
      { key: 'temp', value: 21.5 },
      { key: 'temp', value: -3.25 },
      { key: 'hum', value: 0 },
    ]);
    deepEqual(
      (await readings.consume(1, 10)).messages.map((x) => [x.key, x.value]),
      [
        ['temp', 21.5],
        ['temp', -3.25],
        ['hum', 0],
      ],
      'user codec',
    );
    equal((await readings.getByKey('temp')).value, -3.25, 'getByKey with a user codec');
    const explicit = typed(log, { key: bytesCodec(), value: bytesCodec() });
    equal((await explicit.get(0)).value?.length, 3, 'bytes() explicitly');
  });
});

kitCase(
  'typed: what the codec cannot encode rejects InvalidArgument and writes nothing; what it cannot decode rejects Corrupted',
  async (ctx) => {
    await withLog(ctx, {}, async (log) => {
      const events = typed(log, { key: string(), value: json<unknown>() });
      await rejectsWith(
        () =>
          events.publish([
            { key: 'ok', value: 1 },
            { key: 'bad', value: undefined as unknown as null },
            { key: 'f', value: () => 1 },
          ]),
        'InvalidArgument',
        'a function has no JSON form',
      );
      await rejectsWith(
        () => events.publish([{ key: 'ok', value: 1n }]),
        'InvalidArgument',
        'a BigInt has no JSON form',
      );
      await rejectsWith(
        () => events.publish([{ key: 5 as unknown as string, value: 1 }]),
        'InvalidArgument',
        'a number is not a string key',
      );
      await rejectsWith(() => events.publish('nope' as unknown as []), 'InvalidArgument', 'publish of a non-array');
      equal(await log.nextOffset(), 0, 'nothing was written');

      await log.publish([
        { key: bytes('raw'), value: bytes('not json {') },
        { key: new Uint8Array([0xff, 0xfe]), value: bytes('1') },
      ]);
      const err = await rejectsWith(() => events.get(0), 'Corrupted', 'a value that is not JSON');
      ok(err.message.includes('offset 0'), `the message names the offset: ${err.message}`);
      await rejectsWith(() => events.get(1), 'Corrupted', 'a key that is not UTF-8');
      await rejectsWith(() => events.consume(0, 10), 'Corrupted', 'consume over them');
    });
  },
);

kitCase('typed: consumeBlocking, tail and cursors work typed', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    const events = typed(log, { key: string(), value: json<{ n: number }>() });
    const waiting = events.consumeBlocking(OffsetNewest, 10);
    ok(await pendingAfter(waiting, 50), 'typed consumeBlocking waits');
    await events.publish([{ key: 'a', value: { n: 1 } }]);
    deepEqual(
      (await withTimeout(waiting, 2000, 'typed consumeBlocking')).messages.map((m) => m.value),
      [{ n: 1 }],
      'woken with typed messages',
    );

    const seen: number[] = [];
    const controller = new AbortController();
    const tailing = (async () => {
      for await (const batch of events.tail(OffsetOldest, { signal: controller.signal })) {
        seen.push(...batch.messages.map((m) => m.value!.n));
        if (seen.length >= 3) controller.abort();
      }
    })();
    await sleep(20);
    await events.publish([
      { key: 'b', value: { n: 2 } },
      { key: 'c', value: { n: 3 } },
    ]);
    await withTimeout(tailing, 2000, 'typed tail');
    deepEqual(seen, [1, 2, 3], 'typed tail');

    const cursor = events.cursor('typed');
    await cursor.commit(2);
    equal(await cursor.position(), 2, 'a typed log’s cursor is the log’s');
    equal(await log.cursor('typed').position(), 2, 'the same cursor through the byte log');
  });
});

kitCase('typed: size is the size of the encoded message; delete, stat and sync pass through', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    const events = typed(log, { key: string(), value: json<{ title: string }>() });
    await events.publish([
      { key: 'a', value: { title: 'x' } },
      { key: 'b', value: { title: 'y' } },
    ]);
    const m = await events.get(0);
    equal(events.size(m), log.size(await log.get(0)), 'size of a stored message');
    equal(events.size({ key: 'a', value: { title: 'x' } }), log.size(await log.get(0)), 'size of a new message');
    const stat = await events.stat();
    equal(stat.messages, 2, 'stat');
    const deleted = await events.delete([0]);
    deepEqual(deleted.deletedOffsets, new Set([0]), 'delete');
    equal(deleted.deletedSize, events.size(m), 'deletedSize');
    equal(await events.sync(), 2, 'sync');
    equal(events.raw, log, 'raw is the byte log');
  });
});
