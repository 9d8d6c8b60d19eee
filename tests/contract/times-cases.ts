// Reads by time (timeIndex): getByTime.
import { deepEqual, equal, near, ok, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import { T0, SMALL_ROLLOVER, TIME_EPSILON, bytes, gen, expectMessage, withFresh, publishAll } from './helpers.ts';

contract('getByTime: the first message at or after start', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const expected = await publishAll(log, gen(5));
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time}) (exact)`);
      deepEqual(await log.offsetByTime(m.time), { offset: m.offset, time: m.time }, `offsetByTime(${m.time}) (exact)`);
      expectMessage(await log.getByTime(m.time - 0.5), m, `getByTime(${m.time - 0.5}) (just before)`);
    }
    expectMessage(await log.getByTime(T0 - 3_600_000), expected[0], 'getByTime(an hour before all)');
    expectMessage(await log.getByTime(0), expected[0], 'getByTime(0)');
    expectMessage(await log.getByTime(-1e12), expected[0], 'getByTime(before the epoch)');
    await rejectsWith(() => log.getByTime(Number.NaN), 'InvalidArgument', 'getByTime(NaN)');
    await rejectsWith(() => log.getByTime(new Date(Number.NaN)), 'InvalidArgument', 'getByTime(Invalid Date)');
    await rejectsWith(() => log.getByTime('yesterday' as unknown as number), 'InvalidArgument', 'getByTime(a string)');
    expectMessage(await log.getByTime(T0 + 1500), expected[2], 'getByTime(between 1 and 2)');
    deepEqual(await log.offsetByTime(T0 + 1500), { offset: 2, time: T0 + 2000 }, 'offsetByTime(between 1 and 2)');
  });
});

contract('getByTime: accepts a Date', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const expected = await publishAll(log, gen(5));
    expectMessage(await log.getByTime(new Date(T0 + 2000)), expected[2], 'getByTime(Date at 2)');
    expectMessage(await log.getByTime(new Date(T0 + 2001)), expected[3], 'getByTime(Date just after 2)');
    deepEqual(await log.offsetByTime(new Date(T0 - 1)), { offset: 0, time: T0 }, 'offsetByTime(Date before all)');
    await rejectsWith(() => log.getByTime(new Date(T0 + 4001)), 'NotFound', 'getByTime(Date after all)');
  });
});

contract('getByTime: out-of-order times are found by their running maximum', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const times = [10, 30, 20, 40];
    const expected = await publishAll(
      log,
      times.map((time, i) => ({ value: bytes(`${i}`), time })),
      1,
    );
    const cases: [number, number][] = [
      [5, 0],
      [10, 0],
      [11, 1],
      [20, 1],
      [25, 1],
      [30, 1],
      [31, 3],
      [40, 3],
    ];
    for (const [start, index] of cases) {
      expectMessage(await log.getByTime(start), expected[index], `getByTime(${start})`);
      deepEqual(await log.offsetByTime(start), { offset: index, time: times[index] }, `offsetByTime(${start})`);
    }
    await rejectsWith(() => log.getByTime(41), 'NotFound', 'getByTime(41)');
    // The message at offset 2 keeps its own time.
    equal((await log.get(2)).time, 20, 'get(2).time');
  });
});

contract('getByTime: a start after every message rejects NotFound', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await publishAll(log, gen(3));
    for (const start of [T0 + 2000.001, T0 + 2001, T0 + 3_600_000]) {
      await rejectsWith(() => log.getByTime(start), 'NotFound', `getByTime(${start})`);
      await rejectsWith(() => log.offsetByTime(start), 'NotFound', `offsetByTime(${start})`);
    }
  });
});

contract('getByTime: an empty log rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    for (const start of [0, T0, Date.now(), new Date()]) {
      await rejectsWith(() => log.getByTime(start), 'InvalidOffset', `getByTime(${show(start)}) of an empty log`);
      await rejectsWith(() => log.offsetByTime(start), 'InvalidOffset', `offsetByTime(${show(start)}) of an empty log`);
    }
  });
});

contract('getByTime: rejects NoIndex without timeIndex', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime on an empty log');
    await rejectsWith(() => log.offsetByTime(T0), 'NoIndex', 'offsetByTime on an empty log');
    await publishAll(log, gen(2));
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime');
    await rejectsWith(() => log.offsetByTime(new Date(T0)), 'NoIndex', 'offsetByTime(Date)');
  });
});

contract('getByTime: resolves microseconds', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const base = 1_700_000_000_000;
    const times = [base + 0.001, base + 0.002, base + 0.003, base + 0.004];
    const expected = await publishAll(
      log,
      times.map((time, i) => ({ value: bytes(`${i}`), time })),
    );
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time})`);
      const found = await log.offsetByTime(m.time);
      equal(found.offset, m.offset, `offsetByTime(${m.time}).offset`);
      near(found.time, m.time, TIME_EPSILON / 2, `offsetByTime(${m.time}).time`);
    }
    await rejectsWith(() => log.getByTime(base + 0.005), 'NotFound', 'getByTime(one microsecond after the last)');
  });
});

contract('getByTime: finds messages across many segments', async (ctx) => {
  await withFresh(ctx, { timeIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(50), 5);
    ok((await log.stat()).segments > 1, 'the log has more than one segment');
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time - 500), m, `getByTime(${m.time - 500})`);
    }
  });
});
