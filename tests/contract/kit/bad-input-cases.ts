/**
 * Bad input, export by export: every function `src/index.ts` exports (and
 * every method of the `Log`, the `TypedLog` and a `Cursor`) answers a wrong
 * type, `NaN`, an array with holes or something that is not a `Log` with a
 * `LogError('InvalidArgument')` (or the code its TSDoc names), never a
 * `TypeError`, and the log is unchanged afterwards. Registered with the
 * kit's cases, so both tiers run it (memory backend and OPFS in Chromium).
 */
import * as lib from '../../../src/index.ts';
import type { ErrorCode, Log } from '../../../src/index.ts';
import { LogError } from '../../../src/errors.ts';
import { deepEqual, equal, fail, show } from '../assert.ts';
import { kitCase } from './registry.ts';
import { bytes, gen, readAll, withLog } from './helpers.ts';

/** Values of the wrong type for almost any parameter. */
const WRONG: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['{}', {}],
  ["'x'", 'x'],
  ['NaN', NaN],
  ['an array with holes', new Array(3)],
];

const NOT_AN_INTEGER: [string, unknown][] = [...WRONG, ['1.5', 1.5], ['Infinity', Infinity], ['a Date', new Date(0)]];
const NOT_BYTES: [string, unknown][] = [...WRONG, ['[1, 2]', [1, 2]], ['an ArrayBuffer', new ArrayBuffer(2)]];
const NOT_A_TIME: [string, unknown][] = [...WRONG, ['an invalid Date', new Date(NaN)], ['Infinity', Infinity]];

type Call = [what: string, call: () => unknown, code?: ErrorCode];

/** One call per wrong value: `call(value)` described as `what(value)`. */
function each(what: string, values: [string, unknown][], call: (value: never) => unknown, code?: ErrorCode): Call[] {
  return values.map(([label, value]) => [`${what.replace('$', label)}`, () => call(value as never), code]);
}

/** Runs `call` and checks it answered with a LogError of `code`, thrown or rejected. */
async function answers(what: string, call: () => unknown, code: ErrorCode): Promise<void> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    const result = call();
    const thenable = typeof (result as { then?: unknown } | null)?.then === 'function';
    outcome = thenable
      ? await (result as Promise<unknown>).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        )
      : { value: result };
  } catch (error) {
    outcome = { error };
  }
  if ('value' in outcome) fail(`${what}: expected LogError ${code}, got the value ${show(outcome.value)}`);
  const err = outcome.error;
  if (!(err instanceof LogError)) fail(`${what}: expected LogError ${code}, got ${show(err)}`);
  if (err.code !== code) fail(`${what}: expected LogError ${code}, got ${err.code}: ${err.message}`);
}

async function answersAll(calls: Call[]): Promise<void> {
  for (const [what, call, code] of calls) await answers(what, call, code ?? 'InvalidArgument');
}

/** Runs `fn` on a log of 10 messages and checks that it still holds exactly those afterwards. */
async function unchangedAfter(ctx: Parameters<typeof withLog>[0], fn: (log: Log) => Promise<void>): Promise<void> {
  await withLog(ctx, { keyIndex: true, timeIndex: true }, async (log) => {
    await log.publish(gen(10));
    const before = { next: await log.nextOffset(), stat: await log.stat(), messages: await readAll(log) };
    await fn(log);
    equal(await log.nextOffset(), before.next, 'next offset after the bad calls');
    deepEqual(await log.stat(), before.stat, 'stat after the bad calls');
    deepEqual(await readAll(log), before.messages, 'messages after the bad calls');
  });
}

kitCase('bad input: every Log method rejects InvalidArgument and changes nothing', async (ctx) => {
  await unchangedAfter(ctx, async (log) => {
    const key = bytes('k1');
    await answersAll([
      ...each('publish($)', WRONG, (v) => log.publish(v)),
      ...each(
        'publish([$])',
        WRONG.filter(([, v]) => typeof v !== 'object' || v === null),
        (v) => log.publish([v]),
      ),
      ['publish([m, <hole>, m])', () => log.publish(Object.assign(new Array(3), { 0: gen(1)[0], 2: gen(1)[0] }))],
      ...each(
        'publish([{ key: $ }])',
        NOT_BYTES.filter(([, v]) => v != null),
        (v) => log.publish([{ key: v }]),
      ),
      ...each(
        'publish([{ value: $ }])',
        NOT_BYTES.filter(([, v]) => v != null),
        (v) => log.publish([{ value: v }]),
      ),
      ...each(
        'publish([{ time: $ }])',
        NOT_A_TIME.filter(([, v]) => v !== undefined),
        (v) => log.publish([{ value: key, time: v }]),
      ),
      ...each('consume($, 1)', NOT_AN_INTEGER, (v) => log.consume(v, 1)),
      ...each('consume(0, $)', [...NOT_AN_INTEGER, ['0', 0]], (v) => log.consume(0, v)),
      ...each('consumeByKey($, 0, 1)', NOT_BYTES, (v) => log.consumeByKey(v, 0, 1)),
      ...each('consumeByKey(k, $, 1)', NOT_AN_INTEGER, (v) => log.consumeByKey(key, v, 1)),
      ...each('consumeByKey(k, 0, $)', NOT_AN_INTEGER, (v) => log.consumeByKey(key, 0, v)),
      ...each('get($)', NOT_AN_INTEGER, (v) => log.get(v)),
      ...each('getByKey($)', NOT_BYTES, (v) => log.getByKey(v)),
      ...each('offsetByKey($)', NOT_BYTES, (v) => log.offsetByKey(v)),
      ...each('getByTime($)', NOT_A_TIME, (v) => log.getByTime(v)),
      ...each('offsetByTime($)', NOT_A_TIME, (v) => log.offsetByTime(v)),
      ...each('delete($)', [...WRONG.filter(([, v]) => !Array.isArray(v)), ['5', 5]], (v) => log.delete(v)),
      ...each(
        'delete([$])',
        WRONG.filter(([, v]) => !Array.isArray(v)),
        (v) => log.delete([v]),
      ),
      ['delete(<holes>)', () => log.delete(new Array(3))],
      ...each(
        'size($)',
        [
          ['undefined', undefined],
          ['null', null],
          ["'x'", 'x'],
          ['NaN', NaN],
        ],
        (v) => log.size(v),
      ),
      ...each(
        'size({ key: $ })',
        NOT_BYTES.filter(([, v]) => v != null),
        (v) => log.size({ offset: 0, time: 0, key: v, value: null }),
      ),
      ...each('backup($)', [...WRONG.filter(([, v]) => typeof v !== 'string'), ["''", ''], ["'../x'", '../x']], (v) =>
        log.backup(v),
      ),
      ...each('consumeBlocking($, 1)', NOT_AN_INTEGER, (v) => log.consumeBlocking(v, 1)),
      ...each('consumeBlocking(0, $)', NOT_AN_INTEGER, (v) => log.consumeBlocking(0, v)),
      ...each(
        'consumeBlocking(0, 1, $)',
        [
          ["'x'", 'x'],
          ['NaN', NaN],
        ],
        (v) => log.consumeBlocking(0, 1, v),
      ),
      ...each(
        'consumeBlocking(0, 1, { signal: $ })',
        [
          ['{}', {}],
          ["'x'", 'x'],
        ],
        (v) => log.consumeBlocking(0, 1, { signal: v }),
      ),
      ...each('tail($)', NOT_AN_INTEGER, (v) => log.tail(v)),
      ...each(
        'tail(0, $)',
        [
          ["'x'", 'x'],
          ['NaN', NaN],
        ],
        (v) => log.tail(0, v),
      ),
      ...each('tail(0, { maxCount: $ })', [['0', 0], ...NOT_AN_INTEGER.filter(([, v]) => v != null)], (v) =>
        log.tail(0, { maxCount: v }),
      ),
      ...each('cursor($)', [...WRONG.filter(([, v]) => typeof v !== 'string'), ["''", '']], (v) => log.cursor(v)),
      ...each("cursor('c').commit($)", NOT_AN_INTEGER, (v) => log.cursor('c').commit(v)),
      // The documented codes for numbers of the right type but out of range.
      ['consume(-5, 1)', () => log.consume(-5, 1), 'InvalidOffset'],
      ['get(-5)', () => log.get(-5), 'InvalidOffset'],
      ['get(10)', () => log.get(10), 'InvalidOffset'],
      ["cursor('c').commit(-5)", () => log.cursor('c').commit(-5), 'InvalidOffset'],
    ]);
    equal(await log.cursor('c').position(), lib.OffsetOldest, 'no cursor was committed');
  });
});

kitCase('bad input: typed(), its logs and the codecs reject InvalidArgument and change nothing', async (ctx) => {
  await unchangedAfter(ctx, async (log) => {
    const t = lib.typed(log, { key: lib.string(), value: lib.json<{ n: number }>() });
    await answersAll([
      ...each('typed($)', [...WRONG, ['a typed log', t], ['{ consume }', { consume: () => undefined }]], (v) =>
        lib.typed(v),
      ),
      ...each(
        'typed(log, $)',
        [
          ["'x'", 'x'],
          ['null', null],
          ['NaN', NaN],
        ],
        (v) => lib.typed(log, v),
      ),
      ...each(
        'typed(log, { key: $ })',
        [
          ['{}', {}],
          ["'x'", 'x'],
          ['NaN', NaN],
        ],
        (v) => lib.typed(log, { key: v }),
      ),
      ...each('keepEmpty($)', WRONG, (v) => lib.keepEmpty(v)),
      ...each(
        'string().encode($)',
        [
          ['NaN', NaN],
          ['{}', {}],
        ],
        (v) => lib.string().encode(v),
      ),
      ['json().encode(undefined)', () => lib.json().encode(undefined)],
      ...each('typed publish($)', WRONG, (v) => t.publish(v)),
      ...each(
        'typed publish([{ key: $ }])',
        [
          ['NaN', NaN],
          ['{}', {}],
        ],
        (v) => t.publish([{ key: v, value: { n: 1 } }]),
      ),
      ...each('typed consume($, 1)', NOT_AN_INTEGER, (v) => t.consume(v, 1)),
      ...each('typed get($)', NOT_AN_INTEGER, (v) => t.get(v)),
      ...each(
        'typed getByKey($)',
        WRONG.filter(([, v]) => typeof v !== 'string'),
        (v) => t.getByKey(v),
      ),
      ...each('typed getByTime($)', NOT_A_TIME, (v) => t.getByTime(v)),
      ...each(
        'typed delete($)',
        [
          ['undefined', undefined],
          ['null', null],
          ['NaN', NaN],
        ],
        (v) => t.delete(v),
      ),
      ...each(
        'typed size($)',
        [
          ['undefined', undefined],
          ['null', null],
          ["'x'", 'x'],
        ],
        (v) => t.size(v),
      ),
      ...each('typed tail($)', NOT_AN_INTEGER, (v) => t.tail(v)),
      ...each('typed consumeBlocking($, 1)', NOT_AN_INTEGER, (v) => t.consumeBlocking(v, 1)),
    ]);
  });
});

kitCase(
  'bad input: trims, compaction and deleteAll given a non-Log or bad bounds reject InvalidArgument and change nothing',
  async (ctx) => {
    await unchangedAfter(ctx, async (log) => {
      const NON_LOGS: [string, unknown][] = [
        ...WRONG,
        ['a typed log', lib.typed(log)],
        ['{ delete }', { delete: async () => undefined }],
      ];
      const overLogs = ([name, fn, arg]: [string, (log: never, arg: never) => unknown, unknown]): Call[] =>
        each(`${name}($, …)`, NON_LOGS, (v) => fn(v, arg as never));
      await answersAll([
        ...(
          [
            ['findByCount', lib.findByCount, 1],
            ['trimByCount', lib.trimByCount, 1],
            ['findBySize', lib.findBySize, 1],
            ['trimBySize', lib.trimBySize, 1],
            ['findByOffset', lib.findByOffset, 5],
            ['trimByOffset', lib.trimByOffset, 5],
            ['findByAge', lib.findByAge, Date.now()],
            ['trimByAge', lib.trimByAge, Date.now()],
            ['findUpdates', lib.findUpdates, Date.now()],
            ['compactUpdates', lib.compactUpdates, Date.now()],
            ['findDeletes', lib.findDeletes, Date.now()],
            ['compactDeletes', lib.compactDeletes, Date.now()],
            ['compact', lib.compact, 0],
            ['deleteAll', lib.deleteAll, [0, 1]],
          ] as [string, (log: never, arg: never) => unknown, unknown][]
        ).flatMap(overLogs),
        ...each('trimByCount(log, $)', [...NOT_AN_INTEGER, ['-1', -1]], (v) => lib.trimByCount(log, v)),
        ...each('trimBySize(log, $)', [...NOT_AN_INTEGER, ['-1', -1]], (v) => lib.trimBySize(log, v)),
        ...each('trimByOffset(log, $)', NOT_AN_INTEGER, (v) => lib.trimByOffset(log, v)),
        ...each('trimByAge(log, $)', NOT_A_TIME, (v) => lib.trimByAge(log, v)),
        ...each('compactUpdates(log, $)', NOT_A_TIME, (v) => lib.compactUpdates(log, v)),
        ...each('compactDeletes(log, $)', NOT_A_TIME, (v) => lib.compactDeletes(log, v)),
        ...each('compact(log, $)', [...WRONG, ['-1', -1]], (v) => lib.compact(log, v)),
        ...each(
          'deleteAll(log, $)',
          [...WRONG.filter(([, v]) => !Array.isArray(v)), ['[NaN]', [NaN]], ["['x']", ['x']]],
          (v) => lib.deleteAll(log, v),
        ),
        ['deleteAll(log, <holes>)', () => lib.deleteAll(log, new Array(3))],
      ]);
    });
  },
);

kitCase('bad input: open, exportArchive and importArchive reject InvalidArgument', async (ctx) => {
  await unchangedAfter(ctx, async (log) => {
    const archive = new Blob([new Uint8Array(8)]);
    await answersAll([
      ...each('open($)', [...WRONG.filter(([, v]) => typeof v !== 'string'), ["''", ''], ["'a/../b'", 'a/../b']], (v) =>
        lib.open(v),
      ),
      ...each(
        'open(dir, $)',
        [
          ["'x'", 'x'],
          ['NaN', NaN],
        ],
        (v) => lib.open(ctx.dir(), v),
      ),
      ...each(
        'open(dir, { readonly: $ })',
        [
          ["'x'", 'x'],
          ['NaN', NaN],
          ['{}', {}],
        ],
        (v) => lib.open(ctx.dir(), { readonly: v }),
      ),
      ...each('open(dir, { rollover: $ })', [...NOT_AN_INTEGER.filter(([, v]) => v !== undefined), ['0', 0]], (v) =>
        lib.open(ctx.dir(), { rollover: v }),
      ),
      ...each(
        'open(dir, { retention: $ })',
        [
          ["'x'", 'x'],
          ['{ maxCount: NaN }', { maxCount: NaN }],
        ],
        (v) => lib.open(ctx.dir(), { retention: v }),
      ),
      ...each('exportArchive($)', [...WRONG, ['a typed log', lib.typed(log)]], (v) => lib.exportArchive(v)),
      ...each(
        'importArchive($, blob)',
        [...WRONG.filter(([, v]) => typeof v !== 'string'), ["'a/../b'", 'a/../b']],
        (v) => lib.importArchive(v, archive),
      ),
      ...each('importArchive(dir, $)', WRONG, (v) => lib.importArchive(ctx.dir(), v)),
      ...each(
        'importArchive(dir, blob, $)',
        [
          ["'x'", 'x'],
          ['NaN', NaN],
          ['{ overwrite: 1 }', { overwrite: 1 }],
        ],
        (v) => lib.importArchive(ctx.dir(), archive, v),
      ),
    ]);
  });
});
