// Opening a log: the dir, its spelling and the options.
import type { Message, Options } from '../../src/types.ts';
import { OffsetOldest } from '../../src/types.ts';
import { equal, ok, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  INDEXED,
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
  openRejects,
  expectNextOffset,
} from './helpers.ts';

// ---------------------------------------------------------------------------
// open
// ---------------------------------------------------------------------------

contract('open: a new log is empty', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await expectNextOffset(log, 0, 'new log');
    expectBatch(await log.consume(OffsetOldest, 10), 0, [], 'consume(OffsetOldest) of a new log');
    equal((await log.stat()).messages, 0, 'stat().messages of a new log');
  });
});

contract('open: a missing dir without createDirs rejects NotFound', async (ctx) => {
  const dir = ctx.dir();
  await openRejects(ctx, dir, undefined, 'NotFound', `open("${dir}") of a missing dir`);
  await openRejects(ctx, dir, { keyIndex: true, timeIndex: true }, 'NotFound', 'open of a missing dir with indexes');
  // The parent exists, the leaf does not.
  await withLog(ctx.open(`${dir}/a`, { createDirs: true }), async () => undefined);
  await openRejects(ctx, `${dir}/b`, {}, 'NotFound', 'open of a missing leaf under an existing dir');
  await openRejects(ctx, `${dir}/b`, { createDirs: false }, 'NotFound', 'open with createDirs: false');
  // createDirs creates it.
  await withLog(ctx.open(`${dir}/b`, { createDirs: true }), (log) => expectNextOffset(log, 0, 'created log'));
});

contract('open: leading and trailing slashes are ignored', async (ctx) => {
  const dir = ctx.dir();
  let expected: Message[] = [];
  await withLog(ctx.open(`/${dir}/`, { createDirs: true }), async (log) => {
    expected = await publishAll(log, gen(2));
  });
  for (const spelling of [dir, `${dir}/`, `/${dir}`, `/${dir}/`]) {
    await withLog(ctx.open(spelling), async (log) => {
      await expectNextOffset(log, 2, `open("${spelling}")`);
      expectMessages((await consumeAll(log)).messages, expected, `open("${spelling}") messages`);
    });
  }
});

contract('open: a ".." segment rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of ['..', `${dir}/..`, `${dir}/../x`, `../${dir}`, `/../${dir}`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open("${spelling}")`);
  }
});

contract('open: an empty segment rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of [`${dir}//x`, `${dir}/x//y`, `a//b`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open("${spelling}")`);
  }
});

contract('open: a NUL in dir rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of [`${dir}\0x`, `${dir}/a\u0000`, `\0`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open(${JSON.stringify(spelling)})`);
  }
});

/** The bounds `open`'s TSDoc states: at most 32 directories and 1,024 characters. */
const MAX_DIR_DEPTH = 32;
const MAX_DIR_LENGTH = 1024;

contract(
  'open: a path deeper or longer than the bound rejects InvalidArgument, and the bound itself opens',
  async (ctx) => {
    const base = ctx.dir();
    const depth = base.split('/').length;
    const deepest = [base, ...Array.from({ length: MAX_DIR_DEPTH - depth }, (_, i) => `d${i}`)].join('/');
    await withLog(ctx.open(deepest, { createDirs: true }), (log) => publishAll(log, gen(1)));
    for (const spelling of [`${deepest}/x`, `${base}${'/d'.repeat(10_000)}`, `${base}/${'n'.repeat(MAX_DIR_LENGTH)}`]) {
      await openRejects(
        ctx,
        spelling,
        { createDirs: true },
        'InvalidArgument',
        `open of a path ${spelling.length} long`,
      );
    }
  },
);

contract('open: a dir that is not a string rejects InvalidArgument', async (ctx) => {
  for (const dir of [42, null, undefined, {}, ['a', 'b'], new String('a')]) {
    await openRejects(ctx, dir, { createDirs: true }, 'InvalidArgument', `open(${show(dir)})`);
  }
});

contract('open: names with dots that are not ".." are ordinary names', async (ctx) => {
  const dir = `${ctx.dir()}/v1..2/.hidden/x..`;
  await withLog(ctx.open(dir, { createDirs: true }), (log) => publishAll(log, gen(1)));
  await withLog(ctx.open(dir), (log) => expectNextOffset(log, 1, `reopen of "${dir}"`));
});

contract('open: an invalid rollover rejects InvalidArgument', async (ctx) => {
  const { dir } = await seed(ctx, {}, gen(1));
  for (const rollover of [-1, -1000, Number.NaN, '1000', true, {}]) {
    await openRejects(ctx, dir, { rollover }, 'InvalidArgument', `open with rollover ${show(rollover)}`);
  }
  // A fresh dir too: the option is checked before anything is created.
  await openRejects(
    ctx,
    ctx.dir(),
    { createDirs: true, rollover: -5 },
    'InvalidArgument',
    'open of a fresh dir with rollover -5',
  );
  // The log is unharmed and opens with a valid rollover.
  await withLog(ctx.open(dir, { rollover: 500 }), (log) => expectNextOffset(log, 1, 'open with rollover 500'));
});

contract('open: a non-boolean flag rejects InvalidArgument', async (ctx) => {
  const { dir } = await seed(ctx, {}, gen(1));
  for (const flag of ['createDirs', 'readonly', 'keyIndex', 'timeIndex', 'autoSync', 'check']) {
    for (const value of ['yes', 1, {}]) {
      await openRejects(ctx, dir, { [flag]: value }, 'InvalidArgument', `open with ${flag}: ${show(value)}`);
    }
  }
  await withLog(ctx.open(dir, { keyIndex: false, timeIndex: false, check: false }), (log) =>
    expectNextOffset(log, 1, 'open with false flags'),
  );
});

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

contract('options: autoSync publishes are readable and survive reopen', async (ctx) => {
  const options: Options = { ...INDEXED, autoSync: true, rollover: SMALL_ROLLOVER };
  const dir = ctx.dir();
  let expected: Message[] = [];
  await withLog(ctx.open(dir, { ...options, createDirs: true }), async (log) => {
    expected = await publishAll(log, gen(8), 2);
    expectMessages((await consumeAll(log)).messages, expected, 'consume with autoSync');
    expectMessage(await log.getByKey(keyOf(5)), expected[5], 'getByKey with autoSync');
    equal(await log.sync(), 8, 'sync() with autoSync');
  });
  await withLog(ctx.open(dir, options), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'consume after reopen');
  });
});

contract('options: check opens a healthy log', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const { dir, expected } = await seed(ctx, options, gen(20), 3);
  await withLog(ctx.open(dir, options), (log) => deleteAll(log, [3, 19]));
  const left = expected.filter((m) => m.offset !== 3 && m.offset !== 19);
  await withLog(ctx.open(dir, { ...options, check: true }), async (log) => {
    await expectNextOffset(log, 20, 'after check');
    expectMessages((await consumeAll(log)).messages, left, 'consume after check');
    expectMessage(await log.getByKey(keyOf(7)), expected[7], 'getByKey after check');
    equal(await log.publish(gen(1, 20)), 21, 'publish after check');
  });
  await withLog(ctx.open(dir, { check: true, readonly: true }), (log) =>
    expectNextOffset(log, 21, 'readonly with check'),
  );
  await withLog(ctx.open(ctx.dir(), { check: true, createDirs: true }), (log) =>
    expectNextOffset(log, 0, 'check on a new log'),
  );
});

contract('options: the default rollover keeps a small log in one segment', async (ctx) => {
  const messages = Array.from({ length: 50 }, (_, i) => ({ key: keyOf(i), value: randomBytes(100, i), time: T0 + i }));
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, messages, 10);
    equal((await log.stat()).segments, 1, 'segments with the default rollover (1 MiB) for ~6 KB');
  });
  await withFresh(ctx, { rollover: 1000 }, async (log) => {
    await publishAll(log, messages, 10);
    ok((await log.stat()).segments >= 4, 'rollover 1000 for ~6 KB makes several segments');
  });
});
