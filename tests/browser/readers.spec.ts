// A readonly reader in one tab beside a writer in another that rewrites the
// log under it: after a delete, a compaction or a trim, and while the writer
// publishes, rolls segments, compacts and trims continuously, the reader
// answers exactly what the writer itself reads, and never an error the
// contract does not allow for that call at that moment.
//
// The page-side tools are in readers-page.ts; model-check.ts judges a
// concurrent run against the writer's history.
import { test, expect } from './two-tabs.ts';
import { evaluateJson } from './fixtures.ts';
import type { Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import type { Options } from '../../src/index.ts';
import type { LogView, Seen } from './readers-page.ts';
import { differences, drive, medianMs } from './model-check.ts';

const DIR = 'readers/events';
const INDEXES = { keyIndex: true, timeIndex: true } satisfies Options;

async function openWriter(page: Page, options: Options = {}) {
  const settled = await page.evaluate(([d, o]) => window.harness.openAs('w', d, o), [
    DIR,
    { createDirs: true, ...INDEXES, ...options },
  ] as const);
  expect(settled, 'the writer opens').toMatchObject({ ok: true });
}

async function openReader(page: Page) {
  const settled = await page.evaluate(([d, o]) => window.harness.openAs('r', d, o), [
    DIR,
    { readonly: true, ...INDEXES },
  ] as const);
  expect(settled, 'the reader opens').toMatchObject({ ok: true });
}

const publishFixed = (page: Page, from: number, count: number) =>
  page.evaluate(([f, c]) => window.readers.publishFixed('w', f, c), [from, count] as const);

async function deleteOffsets(page: Page, offsets: number[]): Promise<number[]> {
  return page.evaluate(async (o) => [...(await window.harness.log('w').delete(o)).deletedOffsets], offsets);
}

const fixedKey = (o: number) => `key-${String(o).padStart(6, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** What fixed messages `offsets` are, as a view reports them. */
const expectedFixed = (page: Page, offsets: number[]): Promise<Seen[]> =>
  page.evaluate((o) => o.map((x) => window.readers.expectedFixed(x)), offsets);

/** The view of the log kept as `name` in `page`: get of the last `gets` offsets up to next, by key, by time. */
const view = (page: Page, name: 'w' | 'r', keys: string[], times: number[], gets = 1000): Promise<LogView> =>
  evaluateJson(page, ([n, k, t, g]) => window.readers.view(n, k, t, g), [name, keys, times, gets] as const);

/** The reader answers everything exactly as the writer does (get: of the last `gets` offsets). */
async function expectReaderAgrees(
  writer: Page,
  reader: Page,
  keys: string[],
  times: number[],
  when: string,
  gets = 1000,
): Promise<LogView> {
  const own = await view(writer, 'w', keys, times, gets);
  expect(own.consumeError, `the writer reads its own log (${when})`).toBeNull();
  const seen = await view(reader, 'r', keys, times, gets);
  expect.soft(differences(seen, own), `where the reader's answers ${when} differ from the writer's`).toEqual([]);
  return seen;
}

const FIXED_KEYS = range(0, 121).map(fixedKey);
/** getByTime at each fixed message's time (o seconds after T0) and half a second before. */
const T0 = Date.UTC(2024, 0, 1);
const FIXED_TIMES = range(0, 121).flatMap((o) => [T0 + o * 1000 - 500, T0 + o * 1000]);

test('after the writer deletes offset 10 and publishes 100–119, the reader answers right', async ({
  page: writer,
  reader,
}) => {
  await openWriter(writer);
  expect(await publishFixed(writer, 0, 100)).toBe(100);
  await openReader(reader);
  const before = await view(reader, 'r', [], []);
  expect(before.messages).toEqual(await expectedFixed(writer, range(0, 100)));

  expect(await deleteOffsets(writer, [10])).toEqual([10]);
  expect(await publishFixed(writer, 100, 20)).toBe(120);

  const v = await view(reader, 'r', [fixedKey(10), fixedKey(11), fixedKey(100)], [T0 + 10_000]);
  const [m11, m50, m99, m100] = await expectedFixed(writer, [11, 50, 99, 100]);
  expect.soft(v.gets[11], 'get(11)').toEqual(m11);
  expect.soft(v.gets[50], 'get(50)').toEqual(m50);
  expect.soft(v.gets[10], 'get(10), deleted').toBe('NotFound');
  expect.soft(v.gets[99], 'get(99)').toEqual(m99);
  expect.soft(v.byKey[fixedKey(11)], 'getByKey(key of 11)').toEqual(m11);
  expect.soft(v.byKey[fixedKey(10)], 'getByKey(key of 10), deleted').toBe('NotFound');
  expect.soft(v.byKey[fixedKey(100)], 'getByKey(key of 100)').toEqual(m100);
  expect.soft(v.byTime[T0 + 10_000], 'getByTime(time of 10), deleted: 11').toEqual(m11);
  expect.soft(v.consumeError, 'consume from the oldest').toBeNull();
  expect.soft(v.messages, 'consume: every offset but 10').toEqual(
    await expectedFixed(
      writer,
      range(0, 120).filter((o) => o !== 10),
    ),
  );
  expect.soft(v.next, 'nextOffset').toBe(120);
  expect.soft(v.gets.slice(100, 120), 'get(100…119)').toEqual(await expectedFixed(writer, range(100, 120)));
  expect.soft(v.gets[120], 'get(120)').toBe('InvalidOffset');
  await expectReaderAgrees(writer, reader, FIXED_KEYS, FIXED_TIMES, 'after the delete and the publish');
});

test('the reader notices a rewrite that leaves the head file at the same size', async ({ page: writer, reader }) => {
  await openWriter(writer);
  expect(await publishFixed(writer, 0, 100)).toBe(100);
  await openReader(reader);
  expect((await view(reader, 'r', [], [])).messages).toHaveLength(100);

  const sizes = () => writer.evaluate((d) => window.readers.fileSizes(d), DIR);
  const before = await sizes();
  // One 170-byte record out, one 170-byte record in: same name, same size, other bytes.
  expect(await deleteOffsets(writer, [10])).toEqual([10]);
  expect(await publishFixed(writer, 100, 1)).toBe(101);
  expect(await sizes(), 'the test needs the files at the same sizes as before').toEqual(before);

  const v = await expectReaderAgrees(writer, reader, FIXED_KEYS, FIXED_TIMES, 'after a same-size rewrite');
  expect.soft(v.gets[10], 'get(10), deleted').toBe('NotFound');
  expect.soft(v.gets[11], 'get(11)').toEqual((await expectedFixed(writer, [11]))[0]);
  expect.soft(v.gets[100], 'get(100)').toEqual((await expectedFixed(writer, [100]))[0]);
  expect.soft(v.next, 'nextOffset').toBe(101);
});

test('after the writer deletes its newest message, the reader answers right', async ({ page: writer, reader }) => {
  await openWriter(writer);
  expect(await publishFixed(writer, 0, 100)).toBe(100);
  await openReader(reader);
  expect((await view(reader, 'r', [], [])).messages).toHaveLength(100);

  // The reader looks in between: the head file shrank.
  expect(await deleteOffsets(writer, [99])).toEqual([99]);
  const v1 = await expectReaderAgrees(writer, reader, FIXED_KEYS, FIXED_TIMES, 'after deleting the newest');
  expect.soft(v1.gets[99], 'get(99), deleted').toBe('NotFound');
  expect.soft(v1.next, 'nextOffset after deleting the newest').toBe(100);

  // The reader does not look in between: the head file is larger than it last saw.
  expect(await deleteOffsets(writer, [98])).toEqual([98]);
  expect(await publishFixed(writer, 100, 5)).toBe(105);
  const v2 = await expectReaderAgrees(
    writer,
    reader,
    FIXED_KEYS,
    FIXED_TIMES,
    'after deleting the newest and publishing',
  );
  expect.soft(v2.gets[98], 'get(98), deleted').toBe('NotFound');
  expect.soft(v2.gets.slice(100, 105), 'get(100…104)').toEqual(await expectedFixed(writer, range(100, 105)));
  expect.soft(v2.next, 'nextOffset').toBe(105);
});

/** A rewrite in the writer, then a publish of more than it removed: the head file ends larger than before. */
const REWRITES = [
  'compactUpdates',
  'trimByCount',
  'trimByOffset',
  'trimBySize',
  'trimByAge',
  'compact',
  'compactDeletes',
] as const;

for (const [layout, rollover] of [
  ['in one segment', 1 << 20],
  ['over 4 KiB segments', 4096],
] as const) {
  test(`after compactions and trims in the writer (${layout}), the reader answers what the writer reads`, async ({
    page: writer,
    reader,
  }) => {
    await openWriter(writer, { rollover });
    const KEYS = 100;
    const keys = [...range(0, 30), KEYS].map((k) => `k${k}`); // k100: never published
    const times = range(0, 20).map((i) => T0 + i * 47_000 + 300);
    const publish = (from: number, count: number) =>
      writer.evaluate(([f, c, k]) => window.readers.publishKeyed('w', f, c, k, 3), [from, count, KEYS] as const);
    let next = await publish(0, 300);
    await openReader(reader);
    await expectReaderAgrees(writer, reader, keys, times, 'before any rewrite', 100);

    for (const op of REWRITES) {
      const deleted = await writer.evaluate(async (o) => {
        const { harness } = window;
        const { lib } = harness;
        const log = harness.log('w');
        const oldest = await log.get(lib.OffsetOldest);
        const { messages, size } = await log.stat();
        const result =
          o === 'compactUpdates'
            ? await lib.compactUpdates(log, oldest.time + 250_000)
            : o === 'trimByCount'
              ? await lib.trimByCount(log, messages - 10)
              : o === 'trimByOffset'
                ? await lib.trimByOffset(log, oldest.offset + 5)
                : o === 'trimBySize'
                  ? await lib.trimBySize(log, Math.floor(size * 0.95))
                  : o === 'trimByAge'
                    ? await lib.trimByAge(log, oldest.time + 5_000)
                    : o === 'compact'
                      ? await lib.compact(log, 0)
                      : await lib.compactDeletes(log, Date.now());
        return result.deletedOffsets.size;
      }, op);
      // compactDeletes may find no tombstone left to drop (compact just did): then only the publish is new.
      if (op !== 'compactDeletes') expect(deleted, `${op} deleted something`).toBeGreaterThan(0);
      next = await publish(next, deleted + 10);
      await expectReaderAgrees(writer, reader, keys, times, `after ${op} and a larger publish`, 100);
    }
    // And once after a rewrite alone.
    await writer.evaluate(() => window.harness.lib.compact(window.harness.log('w'), 0));
    await expectReaderAgrees(writer, reader, keys, times, 'after a last compact', 100);
  });
}

test('the oldest and newest messages stay found while the writer trims whole segments away', async ({
  page: writer,
  reader,
}) => {
  test.setTimeout(120_000);
  await openWriter(writer, { rollover: 4096 });
  const publish = (from: number, count: number) =>
    writer.evaluate(([f, c]) => window.readers.publishKeyed('w', f, c, 5), [from, count] as const);
  let next = await publish(0, 1000);
  await openReader(reader);
  const reading = reader.evaluate(async () => {
    const { harness } = window;
    const { OffsetOldest, OffsetNewest } = harness.lib;
    const log = harness.log('r');
    const problems: string[] = [];
    const last = new Map<number, number>();
    window.readersStop = false;
    for (let n = 0; !window.readersStop || n < 20; n++) {
      for (const at of [OffsetOldest, OffsetNewest]) {
        try {
          const m = await log.get(at);
          const says = harness.text(m.value)!.split(':')[0];
          if (says !== String(m.offset))
            problems.push(`get(${at}) gave offset ${m.offset} holding the value of ${says}`);
          // Only trims delete here: the oldest and the newest only move forward.
          if (m.offset < (last.get(at) ?? -1))
            problems.push(`get(${at}) went back from ${last.get(at)} to ${m.offset}`);
          last.set(at, m.offset);
        } catch (err) {
          problems.push(`get(${at}) rejected ${String(err)}`);
        }
      }
    }
    return problems;
  });
  for (let round = 0; round < 30; round++) {
    next = await publish(next, 60);
    await writer.evaluate(
      async (bySize) => {
        const { lib, log } = window.harness;
        const w = log('w');
        await (bySize ? lib.trimBySize(w, Math.floor((await w.stat()).size * 0.8)) : lib.trimByCount(w, 600));
      },
      round % 2 === 0,
    );
  }
  await reader.evaluate(() => {
    window.readersStop = true;
  });
  expect(await reading).toEqual([]);
});

test('a reader reading in a loop while the writer publishes, rolls, compacts and trims sees no false error', async ({
  page: writer,
  reader,
}, testInfo) => {
  test.setTimeout(150_000); // 3 s of run at least, until the counts below are reached (see `drive`)
  const seed = 8;
  const result = await drive(writer, reader, {
    dir: DIR,
    options: { createDirs: true, ...INDEXES, rollover: 8192 },
    seed,
    mix: { publish: 10, delete: 0, compact: 1, trim: 1, sync: 0, reopen: 0 },
    ms: 3_000,
    initial: 400,
    minOps: 100,
    minReads: 150,
    minFound: 30,
    keys: 8,
    target: 1500,
  });
  const { verdict, history, calls } = result;
  console.log(
    `seed ${seed}: ${history.ops.length} writer operations, reader calls ${JSON.stringify(verdict.counts)}, median ${medianMs(calls)} ms`,
  );
  if (verdict.problems.length > 0) {
    const path = testInfo.outputPath('run.json'); // kept with the failed test's results
    writeFileSync(path, JSON.stringify({ seed, history, calls }));
    await testInfo.attach('run.json', { path, contentType: 'application/json' });
  }
  expect(
    verdict.problems,
    `seed ${seed}: what the reader answered wrong (calls: ${JSON.stringify(verdict.counts)})`,
  ).toEqual([]);
  expect(differences(result.readerFinal, result.writerFinal!), 'the reader ends with the writer’s view').toEqual([]);
  // The run did what it is for: rewrites, and reads that found messages.
  expect(history.deletes.filter((d) => d.deleted.length > 0).length, 'rewrites').toBeGreaterThan(0);
  expect(
    calls.filter((c) => c.ok && (c.messages?.length ?? 0) > 0).length,
    'reads that found messages',
  ).toBeGreaterThan(20);
});

test('a readonly open succeeds whatever the writer does meanwhile: publishes, rolls, retention, compaction, trims', async ({
  page: writer,
  reader,
}) => {
  test.setTimeout(150_000);
  const options: Options = { createDirs: true, ...INDEXES, rollover: 16 * 1024, retention: { maxCount: 4000 } };
  const plan = {
    dir: DIR,
    options,
    seed: 21,
    mix: { publish: 6, delete: 0, compact: 2, trim: 2, sync: 0, reopen: 0 },
    keys: 8,
    target: 3000,
  };
  await writer.evaluate(async (p) => {
    await window.readers.openWriter(p);
    await window.readers.seed(2000);
  }, plan);
  const opening = reader.evaluate(([d, o]) => window.readers.openReadonlyRepeatedly(d, o, 25), [DIR, INDEXES] as const);
  let settled = false;
  void opening.finally(() => {
    settled = true;
  });
  // The writer rewrites and removes segments in slices until the reader's opens are done.
  let slices = 0;
  while (!settled) {
    expect(
      await writer.evaluate(() => window.readers.runWriter(300)),
      'the writer’s operations',
    ).toBeGreaterThanOrEqual(0);
    slices++;
  }
  expect(await opening, 'readonly opens that failed').toEqual([]);
  expect(slices, 'the writer ran while the reader opened').toBeGreaterThan(1);
  expect((await writer.evaluate(() => window.readers.history())).problems).toEqual([]);
});
