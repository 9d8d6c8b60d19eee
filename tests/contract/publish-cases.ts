// publish and sync: offsets, what is stored, and bad input.
import type { Log, NewMessage } from '../../src/types.ts';
import { deepEqual, equal, near, ok, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  MiB,
  CLOCK_SLACK_MS,
  TIME_EPSILON,
  bytes,
  keyOf,
  gen,
  randomBytes,
  bad,
  stored,
  expectMessage,
  expectMessages,
  withLog,
  withFresh,
  seed,
  publishAll,
  consumeAll,
  deleteAll,
  expectNextOffset,
} from './helpers.ts';

// ---------------------------------------------------------------------------
// publish
// ---------------------------------------------------------------------------

contract('publish: resolves to the next offset; offsets are dense from 0', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const messages = gen(6);
    equal(await log.publish(messages.slice(0, 1)), 1, 'publish of 1 message into an empty log');
    equal(await log.publish(messages.slice(1, 4)), 4, 'publish of 3 more');
    equal(await log.publish(messages.slice(4, 6)), 6, 'publish of 2 more');
    await expectNextOffset(log, 6, 'after 6 messages');
    const expected = messages.map((m, i) => stored(m, i));
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log)).messages, expected, 'consume all');
  });
});

contract('publish: an empty batch resolves to the current next offset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    equal(await log.publish([]), 0, 'publish([]) on an empty log');
    await expectNextOffset(log, 0, 'after publish([])');
    await publishAll(log, gen(3));
    equal(await log.publish([]), 3, 'publish([]) after 3 messages');
    await expectNextOffset(log, 3, 'after a second publish([])');
    equal((await log.stat()).messages, 3, 'stat().messages');
  });
});

contract('publish: offsets in the input are ignored', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const withOffsets: (NewMessage & { offset: number })[] = [
      { offset: 42, value: bytes('a'), time: T0 },
      { offset: 7, value: bytes('b'), time: T0 },
      { offset: -1, value: bytes('c'), time: T0 },
    ];
    equal(await log.publish(withOffsets), 3, 'publish resolves to');
    for (let i = 0; i < 3; i++) expectMessage(await log.get(i), stored(withOffsets[i], i), `get(${i})`);
    await rejectsWith(() => log.get(42), 'InvalidOffset', 'get(42): offset 42 was never assigned');
  });
});

contract(
  'publish: fields other than key, value and time are ignored, even ones a worker cannot receive',
  async (ctx) => {
    await withFresh(ctx, {}, async (log) => {
      const odd = { value: bytes('a'), time: T0, note: () => 'a function', sym: Symbol('s') } as NewMessage;
      equal(await log.publish([odd]), 1, 'publish resolves to');
      expectMessage(await log.get(0), { offset: 0, time: T0, key: null, value: bytes('a') }, 'get(0)');
    });
  },
);

contract('publish: messages read back can be published again', async (ctx) => {
  await withFresh(ctx, {}, async (source) => {
    await publishAll(source, [
      { key: bytes('k'), value: bytes('v'), time: T0 + 0.5 },
      { value: bytes('only value'), time: T0 + 7 },
    ]);
    const read = (await consumeAll(source)).messages;
    await withFresh(ctx, {}, async (target) => {
      await publishAll(target, gen(5));
      equal(await target.publish(read), 7, 'publishing read-back messages resolves to');
      expectMessage(await target.get(5), { ...read[0]!, offset: 5 }, 'republished message 0');
      expectMessage(await target.get(6), { ...read[1]!, offset: 6 }, 'republished message 1');
    });
  });
});

contract('publish: a zero-length key or value reads back as null', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const empty = new Uint8Array(0);
    const messages: NewMessage[] = [
      { key: empty, value: empty, time: T0 },
      { key: empty, value: bytes('v'), time: T0 },
      { key: bytes('k'), value: empty, time: T0 },
      { key: new Uint8Array(new ArrayBuffer(8), 8, 0), value: new Uint8Array(new ArrayBuffer(4), 2, 0), time: T0 },
    ];
    const expected = await publishAll(log, messages);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log)).messages, expected, 'consume');
  });
});

contract('publish: an absent or null key or value reads back as null', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const messages: NewMessage[] = [
      {},
      { key: null, value: null },
      { key: undefined, value: undefined },
      { value: bytes('v') },
      { key: bytes('k') },
    ];
    const expected = await publishAll(log, messages);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
  });
});

contract('publish: keys and values round-trip byte for byte', async (ctx) => {
  await withFresh(ctx, { rollover: 4096 }, async (log) => {
    const backing = randomBytes(64, 7);
    const messages: NewMessage[] = [
      { key: new Uint8Array([0]), value: new Uint8Array([255]) },
      { key: new Uint8Array([0, 0, 0]), value: new Uint8Array([0, 0]) },
      { key: randomBytes(255, 1), value: randomBytes(256, 2) },
      { key: randomBytes(1000, 3), value: randomBytes(65536, 4) },
      // Views into a larger buffer: only the viewed bytes are stored.
      { key: backing.subarray(3, 10), value: backing.subarray(20, 50) },
      { key: bytes('ключ 🔑'), value: bytes('значение') },
    ].map((m, i) => ({ ...m, time: T0 + i }));
    const expected = await publishAll(log, messages, 2);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log, { max: 2 })).messages, expected, 'consume');
  });
});

contract('publish: an absent or 0 time is the time of publish', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const before = Date.now();
    await log.publish([
      { value: bytes('absent') },
      { value: bytes('zero'), time: 0 },
      { value: bytes('undefined'), time: undefined },
    ]);
    const after = Date.now();
    for (let offset = 0; offset < 3; offset++) {
      const { time } = await log.get(offset);
      ok(
        typeof time === 'number' && time >= before - CLOCK_SLACK_MS && time <= after + CLOCK_SLACK_MS,
        `get(${offset}).time = ${show(time)} should be the time of publish, between ${before} and ${after} (± ${CLOCK_SLACK_MS} ms)`,
      );
    }
  });
});

contract('publish: an explicit time is kept to the microsecond', async (ctx) => {
  const times = [1700000000123.456, 1, T0, 1700000000000.999, 4102444800000.001, 1700000000123.457];
  const messages = times.map((time, i) => ({ value: bytes(`t${i}`), time }));
  const { dir, expected } = await seed(ctx, {}, messages);
  const check = async (log: Log, when: string) => {
    for (const m of expected) {
      const got = await log.get(m.offset);
      near(got.time, m.time, TIME_EPSILON, `${when}: get(${m.offset}).time`);
    }
  };
  await withLog(ctx.open(dir), (log) => check(log, 'after reopen'));
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, messages);
    await check(log, 'before close');
  });
});

contract(
  'publish: a key and value over 64 MiB reject InvalidArgument and nothing of the batch is written',
  async (ctx) => {
    await withFresh(ctx, {}, async (log) => {
      await publishAll(log, gen(1));
      const big = new Uint8Array(64 * MiB);
      const one = new Uint8Array([1]);
      await rejectsWith(
        () => log.publish([...gen(1, 1), { key: one, value: big }]),
        'InvalidArgument',
        'publish of [valid, 1 B key + 64 MiB value]',
      );
      await expectNextOffset(log, 1, 'after the rejected batch');
      await rejectsWith(
        () => log.publish([{ key: big, value: one }]),
        'InvalidArgument',
        'publish of a 64 MiB key + 1 B value',
      );
      await expectNextOffset(log, 1, 'after the second rejected batch');
      equal((await log.stat()).messages, 1, 'stat().messages after the rejected batches');
      expectMessages((await consumeAll(log)).messages, [stored(gen(1)[0], 0)], 'consume after the rejected batches');
      equal(await log.publish(gen(1, 1)), 2, 'the log is still usable');
    });
  },
);

contract('publish: a batch that is not an array rejects InvalidArgument', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const batch of [null, undefined, {}, 'abc', 42, { value: bytes('v') }]) {
      await rejectsWith(() => log.publish(bad<NewMessage[]>(batch)), 'InvalidArgument', `publish(${show(batch)})`);
    }
    await expectNextOffset(log, 0, 'after the rejected batches');
  });
});

contract('publish: a message that is not an object rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const message of [null, 5, 'message', true]) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1)[0], message])),
        'InvalidArgument',
        `publish([valid, ${show(message)}])`,
      );
      await expectNextOffset(log, 0, `after publish([valid, ${show(message)}])`);
    }
    equal(await log.publish(gen(1)), 1, 'the log is still usable');
  });
});

contract('publish: a key or value of the wrong type rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(2));
    const wrong: object[] = [
      { key: 'abc' },
      { value: 42 },
      { key: [1, 2, 3] },
      { value: { length: 1, 0: 1 } },
      { value: true },
      { key: 12n },
    ];
    for (const fields of wrong) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1, 2)[0], { time: T0, ...fields }])),
        'InvalidArgument',
        `publish([valid, ${show(fields)}])`,
      );
      await expectNextOffset(log, 2, `after publish([valid, ${show(fields)}])`);
    }
    equal((await log.stat()).messages, 2, 'stat().messages');
    equal(await log.publish(gen(1, 2)), 3, 'the log is still usable');
  });
});

contract('publish: an invalid time rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(2));
    for (const time of [Number.NaN, -1, -0.5, '123', Infinity, -Infinity, {}]) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1, 2)[0], { value: bytes('v'), time }])),
        'InvalidArgument',
        `publish([valid, {time: ${show(time)}}])`,
      );
      await expectNextOffset(log, 2, `after publish([valid, {time: ${show(time)}}])`);
    }
    equal(await log.publish(gen(1, 2)), 3, 'the log is still usable');
  });
});

contract('publish: concurrent publishes get distinct, dense offsets', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const messages = gen(12);
    const results = await Promise.all(messages.map((m) => log.publish([m])));
    deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'resolved next offsets',
    );
    for (const [i, next] of results.entries()) {
      expectMessage(await log.get(next - 1), stored(messages[i], next - 1), `message of publish ${i}`);
    }
    await expectNextOffset(log, 12, 'after the concurrent publishes');
  });
});

contract('publish: a message larger than the rollover is accepted', async (ctx) => {
  const messages = [0, 1, 2].map((i) => ({ key: keyOf(i), value: randomBytes(2000, i), time: T0 + i }));
  const { dir, expected } = await seed(ctx, { rollover: 200 }, messages);
  await withLog(ctx.open(dir, { rollover: 200 }), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'consume after reopen');
    equal((await log.stat()).messages, 3, 'stat().messages');
  });
});

// ---------------------------------------------------------------------------
// sync
// ---------------------------------------------------------------------------

contract('sync: resolves to the next offset', async (ctx) => {
  const dir = await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    equal(await log.sync(), 0, 'sync() of an empty log');
    await publishAll(log, gen(7), 3);
    equal(await log.sync(), 7, 'sync() after 7 messages');
    await deleteAll(log, [6]);
    equal(await log.sync(), 7, 'sync() after deleting the newest');
  });
  await withLog(ctx.open(dir), async (log) => equal(await log.sync(), 7, 'sync() after reopen'));
});
