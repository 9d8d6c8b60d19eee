// The recovery cases of the unit tier (tests/unit/recovery.test.ts), on real
// OPFS and IndexedDB: the log is opened with the public `open` on the page (the
// engine in its worker), closed, then damaged from the page's main thread with
// the plain OPFS API and IndexedDB, and opened again. Every message that must
// survive is compared byte for byte (key, value, time) by consume and get, and
// through the key and time indexes; what must be gone must be gone from all
// of them; and the log must go on from where recovery left it, also after
// another reopen.
//
// The page-side tools (damage, IndexedDB edits, the expected messages) are in
// recovery-page.ts. Messages are numbered: message `o` of generation `g`
// (0 before the damage, 1 after) has a content that follows from (o, g), so a
// message left over from before the damage never passes for a new one.
import { test as base, expect } from './fixtures.ts';
import type { Page } from '@playwright/test';
import type { Options } from '../../src/index.ts';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import type { IndexRecordInfo } from './recovery-page.ts';

const TOOLS = '/tests/browser/recovery-page.ts';
const DIR = 'recovery/events';
const INDEXES = { createDirs: true, keyIndex: true, timeIndex: true } satisfies Options;
const BOTH = { key: true, time: true };
/** Small segments: ~8 messages each, so a few batches make several segments. */
const SMALL = 2000;

const test = base.extend({
  page: async ({ page }, use) => {
    await page.evaluate(async (url) => {
      await import(/* @vite-ignore */ url);
    }, TOOLS);
    await page.waitForFunction(() => window.recovery !== undefined);
    await use(page);
  },
});

/** The generation of each offset from 0: `gens([16, 0], [5, 1])` is 16 zeros then 5 ones. */
function gens(...parts: [count: number, gen: number][]): number[] {
  return parts.flatMap(([count, gen]) => Array<number>(count).fill(gen));
}

const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);

async function openLog(page: Page, options: Options) {
  const settled = await page.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const);
  expect(settled, 'open').toMatchObject({ ok: true });
}

async function closeLog(page: Page) {
  await page.evaluate(() => window.harness.log('w').close());
}

function publish(page: Page, from: number, sizes: number[], gen = 0) {
  return page.evaluate(([f, s, g]) => window.recovery.publish('w', f, s, g), [from, sizes, gen] as const);
}

async function expectLog(page: Page, expected: number[], indexes = BOTH) {
  const problems = await page.evaluate(([g, i]) => window.recovery.verify('w', g, i), [expected, indexes] as const);
  expect(problems, `the log differs from the ${expected.length} messages it should hold`).toEqual([]);
}

const segments = (page: Page) => page.evaluate((dir) => window.recovery.segments(dir), DIR);
const files = (page: Page) => page.evaluate((dir) => window.recovery.files(dir), DIR);
const records = (page: Page, name: string) =>
  page.evaluate(([dir, n]) => window.recovery.records(dir, n), [DIR, name] as const);
const indexRecords = (page: Page) => page.evaluate((dir) => window.recovery.indexRecords(dir), DIR);

/** The head (last) segment's name. */
async function head(page: Page): Promise<string> {
  const names = await segments(page);
  expect(names.length).toBeGreaterThan(0);
  return names[names.length - 1]!;
}

/** The segment file holds exactly the records `offsets`, whole, and nothing after them. */
async function expectSegmentHolds(page: Page, name: string, offsets: number[]) {
  const found = await records(page, name);
  expect(
    found.records.map((r) => r.offset),
    `records of ${name}`,
  ).toEqual(offsets);
  expect(found.end, `${name} ends right after its last record`).toBe(found.size);
}

/** One IndexedDB record per segment file, each describing the file as it is. */
async function expectIndexMatchesFiles(page: Page) {
  const names = await segments(page);
  const saved = new Map((await indexRecords(page)).map((r) => [r.base, r]));
  expect(
    [...saved.keys()].sort((a, b) => a - b),
    'IndexedDB records (by base) against segment files',
  ).toEqual(names.map(Number.parseFloat));
  for (const name of names) {
    const file = await records(page, name);
    const record = saved.get(Number.parseFloat(name))!;
    expect(
      { incarnation: record.incarnation, size: record.size, count: record.count },
      `IndexedDB record of ${name}`,
    ).toEqual({
      incarnation: file.incarnation,
      size: file.size,
      count: file.records.length,
    });
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('a torn tail is cut on open: whole batches stay byte-exact and publishing goes on from there', async ({
  page,
}) => {
  const options = { ...INDEXES, rollover: SMALL };
  const sizes = [3, 5, 2, 6, 4, 7, 5];
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(32);
  await closeLog(page);

  const name = await head(page);
  const before = await records(page, name);
  expect(before.end).toBe(before.size);
  expect((await segments(page)).length, 'several segments, so the head is not the first').toBeGreaterThan(1);
  // The last record of the last batch (offsets 27..31) loses its last 3 bytes.
  expect(before.records.at(-1)!.offset).toBe(31);
  await page.evaluate(([dir, n, size]) => window.recovery.truncate(dir, n, size), [
    DIR,
    name,
    before.size - 3,
  ] as const);

  await openLog(page, options);
  await expectLog(page, gens([27, 0]));
  await closeLog(page);
  // Cut on open: the file ends with the last whole batch (else a later publish
  // shorter than the torn bytes would leave some of them behind it).
  const kept = before.records.map((r) => r.offset).filter((o) => o < 27);
  await expectSegmentHolds(page, name, kept);

  await openLog(page, options);
  await expectLog(page, gens([27, 0]));
  expect(await publish(page, 27, [4, 2], 1)).toBe(33);
  await expectLog(page, gens([27, 0], [6, 1]));
  await closeLog(page);
  await expectSegmentHolds(page, name, [...kept, ...range(27, 33)]);

  await openLog(page, options);
  await expectLog(page, gens([27, 0], [6, 1]));
  await closeLog(page);
  await openLog(page, { ...options, check: true });
  await expectLog(page, gens([27, 0], [6, 1]));
  await closeLog(page);
});

test('a batch whose last records never reached the file is dropped whole', async ({ page }) => {
  await openLog(page, INDEXES);
  expect(await publish(page, 0, [4, 3, 5])).toBe(12);
  await closeLog(page);

  // Keep offsets 7, 8 and 9 of the last batch (7..11): whole, intact records of a batch that is not.
  const name = await head(page);
  const before = await records(page, name);
  const cut = before.records.find((r) => r.offset === 9)!;
  expect(cut.batchLeft).toBe(2);
  await page.evaluate(([dir, n, size]) => window.recovery.truncate(dir, n, size), [DIR, name, cut.end] as const);

  await openLog(page, INDEXES);
  await expectLog(page, gens([7, 0]));
  expect(await publish(page, 7, [2], 1)).toBe(9);
  await expectLog(page, gens([7, 0], [2, 1]));
  await closeLog(page);
  await expectSegmentHolds(page, name, range(0, 9));

  await openLog(page, INDEXES);
  await expectLog(page, gens([7, 0], [2, 1]));
  await closeLog(page);
});

// (a) A flipped byte in the head, with `check`: the head is verified on open
// whatever IndexedDB says, and cut from the damaged record's batch on. Once in
// the part published after the last sync, once in the part before it.
for (const { where, flipped, keep } of [
  { where: 'after the last sync', flipped: 9, keep: 7 }, // batch 7..11
  { where: 'before the last sync', flipped: 4, keep: 3 }, // batch 3..6
]) {
  test(`with check, a flipped byte in the head ${where} cuts from that record's batch on`, async ({ page }) => {
    await openLog(page, INDEXES);
    expect(await publish(page, 0, [3, 4])).toBe(7);
    expect(await page.evaluate(() => window.harness.log('w').sync())).toBe(7);
    expect(await publish(page, 7, [5, 3])).toBe(15);
    await closeLog(page); // saves the head's index in IndexedDB: it covers the damage

    const name = await head(page);
    const damaged = (await records(page, name)).records.find((r) => r.offset === flipped)!;
    await page.evaluate(([dir, n, at]) => window.recovery.flip(dir, n, at), [DIR, name, damaged.end - 1] as const);

    await openLog(page, { ...INDEXES, check: true });
    await expectLog(page, gens([keep, 0]));
    expect(await publish(page, keep, [3], 1)).toBe(keep + 3);
    await closeLog(page);
    await expectSegmentHolds(page, name, range(0, keep + 3));

    await openLog(page, INDEXES);
    await expectLog(page, gens([keep, 0], [3, 1]));
    await closeLog(page);
  });
}

test('without check, a flipped byte past what IndexedDB covers (the unsynced tail) cuts from that batch on', async ({
  page,
}) => {
  await openLog(page, INDEXES);
  expect(await publish(page, 0, [3, 4])).toBe(7);
  expect(await page.evaluate(() => window.harness.log('w').sync())).toBe(7);
  // What IndexedDB holds after the sync: put back after close, it is the state of a crash before the close.
  const synced: IndexRecordInfo = await page.evaluate((dir) => window.recovery.stashIndexRecord(dir, 0, 7), DIR);
  expect(await publish(page, 7, [5, 3])).toBe(15);
  await closeLog(page);

  const name = await head(page);
  const file = await records(page, name);
  expect(synced.size, 'the saved index covers offsets 0..6').toBe(file.records.find((r) => r.offset === 6)!.end);
  await page.evaluate((dir) => window.recovery.restoreIndexRecord(dir, 0), DIR);
  expect((await indexRecords(page)).map((r) => r.count)).toEqual([7]);
  const damaged = file.records.find((r) => r.offset === 9)!;
  await page.evaluate(([dir, n, at]) => window.recovery.flip(dir, n, at), [DIR, name, damaged.at + 32] as const); // its first key byte

  await openLog(page, INDEXES);
  await expectLog(page, gens([7, 0]));
  expect(await publish(page, 7, [2], 1)).toBe(9);
  await closeLog(page);
  await expectSegmentHolds(page, name, range(0, 9));
  await openLog(page, { ...INDEXES, check: true });
  await expectLog(page, gens([7, 0], [2, 1]));
  await closeLog(page);
});

test('without check, reading a damaged record that IndexedDB covers rejects Corrupted naming the file', async ({
  page,
}) => {
  await openLog(page, INDEXES);
  expect(await publish(page, 0, [3, 4, 5])).toBe(12);
  await closeLog(page);

  const name = await head(page);
  const damaged = (await records(page, name)).records.find((r) => r.offset === 8)!;
  await page.evaluate(([dir, n, at]) => window.recovery.flip(dir, n, at), [DIR, name, damaged.end - 1] as const); // its last value byte

  await openLog(page, INDEXES); // trusts the saved index: no rescan, no cut
  const result = await page.evaluate(async () => {
    const { harness } = window;
    const log = harness.log('w');
    const whole = await harness.settle(log.consume(harness.lib.OffsetOldest, 100));
    return {
      next: await log.nextOffset(),
      damaged: await harness.settle(log.get(8)),
      // Its neighbours, in the same batch, read fine.
      neighbours: await Promise.all([7, 9].map((o) => harness.settle(log.get(o)))),
      // A consume over it must not hand out the damaged bytes: it rejects, or returns only good messages.
      whole: whole.ok
        ? { ok: true, offsets: (whole.value as { messages: { offset: number }[] }).messages.map((m) => m.offset) }
        : { ok: false, code: whole.code },
    };
  });
  expect(result.next).toBe(12);
  expect(result.damaged).toMatchObject({ ok: false, code: 'Corrupted', isLogError: true });
  const message = result.damaged.ok ? '' : result.damaged.error.split('\n')[0];
  expect(message, 'names the segment file').toContain(name);
  expect(message, 'says where: the damaged record starts at this byte').toContain(String(damaged.at));
  for (const n of result.neighbours) expect(n).toMatchObject({ ok: true });
  if (result.whole.ok) expect(result.whole.offsets, 'consume returned the damaged record').not.toContain(8);
  else expect(result.whole.code).toBe('Corrupted');
  // What does read back is byte-exact.
  const exact = await page.evaluate(async () => {
    const { harness, recovery } = window;
    const problems: string[] = [];
    for (const o of [0, 7, 9, 11]) {
      const m = await harness.log('w').get(o);
      const expected = recovery.expected(o, 0);
      const same = (a: Uint8Array | null, b: Uint8Array | null) =>
        a === null || b === null ? a === b : a.join() === b.join();
      if (!same(m.key, expected.key) || !same(m.value, expected.value) || m.time !== expected.time)
        problems.push(`offset ${o} differs`);
    }
    return problems;
  });
  expect(exact).toEqual([]);
  await closeLog(page);
});

test('a missing IndexedDB database is rebuilt from the segments', async ({ page }) => {
  const options = { ...INDEXES, rollover: SMALL };
  const sizes = [5, 3, 7, 2, 6, 4, 8, 1, 5, 9];
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(sum(sizes));
  await closeLog(page);
  expect((await segments(page)).length).toBeGreaterThan(3);
  expect(await indexRecords(page)).not.toEqual([]);

  const deleted = await page.evaluate(() => window.recovery.deleteIndexDatabase());
  expect(deleted, 'deleted at once (the closed log left no connection open), and gone').toEqual({
    blocked: false,
    exists: false,
  });

  await openLog(page, options);
  await expectLog(page, gens([sum(sizes), 0]));
  await closeLog(page);
  await expectIndexMatchesFiles(page); // the rebuilt index was saved again

  await openLog(page, options);
  await expectLog(page, gens([sum(sizes), 0]));
  expect(await publish(page, sum(sizes), [3, 4], 1)).toBe(sum(sizes) + 7);
  await expectLog(page, gens([sum(sizes), 0], [7, 1]));
  await closeLog(page);
});

test('an IndexedDB record that leads its file, or belongs to another file, is ignored and repaired', async ({
  page,
}) => {
  const options = { ...INDEXES, rollover: SMALL };
  const sizes = [5, 3, 7, 2, 6, 4, 8, 1, 5, 9];
  const total = sum(sizes);
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(total);
  await closeLog(page);
  await expectIndexMatchesFiles(page);

  const names = await segments(page);
  expect(names.length).toBeGreaterThan(3);
  const [first, second] = names.map(Number.parseFloat) as [number, number];
  const secondFile = await records(page, names[1]!);
  expect(secondFile.records.length, 'records in the second segment').toBeGreaterThan(1);
  await page.evaluate(
    ([dir, b0, b1, shortSize]) => {
      const { recovery } = window;
      return (async () => {
        // Claims 1000 bytes more than the file has.
        const saved = (await recovery.indexRecords(dir)).find((r) => r.base === b0)!;
        await recovery.patchIndexRecord(dir, b0, { size: saved.size + 1000 });
        // Built from another incarnation of the second file: two messages, fewer bytes.
        const other = (await recovery.indexRecords(dir)).find((r) => r.base === b1)!;
        await recovery.patchIndexRecord(dir, b1, {
          incarnation: (other.incarnation ^ 1) >>> 0,
          count: 2,
          size: shortSize,
        });
        // Segments that do not exist: past the end, and inside the first segment.
        await recovery.patchIndexRecord(dir, b0, { base: 99_999 }, true);
        await recovery.patchIndexRecord(dir, b0, { base: b0 + 1 }, true);
      })();
    },
    [DIR, first, second, secondFile.records[1]!.end] as const,
  );
  expect((await indexRecords(page)).length).toBe(names.length + 2);

  await openLog(page, options);
  await expectLog(page, gens([total, 0]));
  await closeLog(page);
  // The records of segments that do not exist are gone by the close: a writer removes them after its open
  // (seconds later, or as it closes), not in it (engine/after-open.ts).
  await expectIndexMatchesFiles(page);

  await openLog(page, options);
  await expectLog(page, gens([total, 0]));
  await closeLog(page);
});

test('a log created without key and time indexes gets them when reopened with them', async ({ page }) => {
  const options = { createDirs: true, rollover: SMALL };
  const sizes = [4, 6, 3, 8, 5, 4];
  const total = sum(sizes);
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(total);
  const without = await page.evaluate(async () => {
    const { harness } = window;
    const log = harness.log('w');
    return [await harness.settle(log.getByKey(harness.bytes('k1'))), await harness.settle(log.getByTime(0))];
  });
  for (const s of without) expect(s).toMatchObject({ ok: false, code: 'NoIndex', isLogError: true });
  await closeLog(page);
  expect((await segments(page)).length).toBeGreaterThan(1);

  await openLog(page, { ...options, keyIndex: true, timeIndex: true });
  await expectLog(page, gens([total, 0]));
  expect(await publish(page, total, [3, 5], 1)).toBe(total + 8);
  await expectLog(page, gens([total, 0], [8, 1]));
  await closeLog(page);

  await openLog(page, { ...options, keyIndex: true, timeIndex: true });
  await expectLog(page, gens([total, 0], [8, 1]));
  await closeLog(page);
});

test('open rejects Unsupported, a LogError, on a page without navigator.storage.getDirectory', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { harness } = window;
    const original = Object.getOwnPropertyDescriptor(StorageManager.prototype, 'getDirectory')!;
    Object.defineProperty(StorageManager.prototype, 'getDirectory', {
      value: undefined,
      configurable: true,
      writable: true,
    });
    let without: Awaited<ReturnType<typeof harness.settle>>;
    try {
      without = await harness.settle(harness.lib.open('unsupported/events', { createDirs: true }));
    } finally {
      Object.defineProperty(StorageManager.prototype, 'getDirectory', original);
    }
    // The same open on the same page, with OPFS back: it was the missing API that failed it.
    const withIt = await harness.settle(
      harness.lib.open('unsupported/events', { createDirs: true }).then((log) => log.close()),
    );
    return { without, withIt };
  });
  expect(result.without).toMatchObject({ ok: false, code: 'Unsupported', isLogError: true });
  expect(result.withIt).toMatchObject({ ok: true });
});

test('an interrupted segment rewrite is finished or dropped on open', async ({ page }) => {
  const options = { ...INDEXES, rollover: SMALL };
  const sizes = [5, 3, 7, 2, 6, 4];
  const total = sum(sizes);
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(total);
  await closeLog(page);
  const names = await segments(page);
  expect(names.length).toBeGreaterThan(2);
  const [first, headName] = [names[0]!, names[names.length - 1]!];
  const originals = await files(page);

  // The copy never committed (the original is still there): garbage copies go. A crash in a rewrite
  // leaves the change counter odd (its seq's lowest bit), which makes the open list the directory.
  await page.evaluate(
    async ([dir, a, b, changes]) => {
      await window.recovery.writeFile(dir, `${a}.tmp`, [1, 2, 3, 4, 5, 6, 7]);
      await window.recovery.writeFile(dir, `${b}.tmp`, new Array(100).fill(0xee));
      await window.recovery.flip(dir, changes, 0, 1);
    },
    [DIR, first, headName, CHANGES_FILE] as const,
  );
  await openLog(page, options);
  await expectLog(page, gens([total, 0]));
  await closeLog(page);
  expect(await files(page), 'the .tmp copies are gone, the segments untouched').toEqual(originals);

  // The copy committed, the original was removed, the rename did not happen: it is finished.
  await page.evaluate(
    async ([dir, a, b, changes]) => {
      for (const name of [a, b]) {
        await window.recovery.copyFile(dir, name, `${name}.tmp`);
        await window.recovery.removeFile(dir, name);
      }
      await window.recovery.flip(dir, changes, 0, 1);
    },
    [DIR, first, headName, CHANGES_FILE] as const,
  );
  expect((await files(page)).map((f) => f.name)).toEqual(
    originals.map((f) => (f.name === first || f.name === headName ? `${f.name}.tmp` : f.name)).sort(),
  );
  await openLog(page, options);
  await expectLog(page, gens([total, 0]));
  expect(await publish(page, total, [2, 3], 1)).toBe(total + 5);
  await closeLog(page);
  expect(
    (await files(page)).filter((f) => !/^\d{20}\.log$/.test(f.name) && f.name !== CHANGES_FILE),
    "nothing but segments (and the writer's change counter)",
  ).toEqual([]);
  expect(await segments(page)).toEqual(expect.arrayContaining(names));

  await openLog(page, { ...options, check: true });
  await expectLog(page, gens([total, 0], [5, 1]));
  await closeLog(page);
});

test('a head segment whose header never reached the file is recreated, and the log goes on at its base', async ({
  page,
}) => {
  const options = { ...INDEXES, rollover: SMALL };
  const sizes = [5, 3, 7, 2, 6, 4];
  await openLog(page, options);
  expect(await publish(page, 0, sizes)).toBe(sum(sizes));
  await closeLog(page);
  const name = await head(page);
  const base = Number.parseFloat(name);
  expect(base, 'the head is not the first segment').toBeGreaterThan(0);

  // Only 7 zero bytes of the head made it: no header, none of its records.
  await page.evaluate(([dir, n]) => window.recovery.writeFile(dir, n, new Array(7).fill(0)), [DIR, name] as const);
  await openLog(page, options);
  await expectLog(page, gens([base, 0]));
  expect(await publish(page, base, [2, 3], 1)).toBe(base + 5);
  await closeLog(page);
  await expectSegmentHolds(page, name, range(base, base + 5));

  await openLog(page, { ...options, check: true });
  await expectLog(page, gens([base, 0], [5, 1]));
  await closeLog(page);
});

test('a sealed segment damaged while closed rejects Corrupted, naming the file: at its first read, then at open', async ({
  page,
}) => {
  const options = { ...INDEXES, rollover: SMALL };
  await openLog(page, options);
  expect(await publish(page, 0, [5, 3, 7, 2, 6, 4])).toBe(27);
  await closeLog(page);
  const names = await segments(page);
  expect(names.length).toBeGreaterThan(2);
  await page.evaluate(([dir, n]) => window.recovery.writeFile(dir, n, [1, 2, 3]), [DIR, names[0]!] as const);

  // Opened from its IndexedDB summary, the segment's file is first looked at by the first read of it.
  await openLog(page, options);
  const read = await page.evaluate(() => window.harness.settle(window.harness.log('w').get(0)));
  expect(read).toMatchObject({ ok: false, code: 'Corrupted', isLogError: true });
  expect(read.ok ? '' : read.error.split('\n')[0], 'the read names the file').toContain(names[0]);
  await closeLog(page);
  for (const attempt of ['first', 'second']) {
    // Its summary dropped, the next opens read the file and refuse; the failed one released its lock and files.
    const settled = await page.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const);
    expect(settled, `${attempt} open`).toMatchObject({ ok: false, code: 'Corrupted', isLogError: true });
    expect(settled.ok ? '' : settled.error.split('\n')[0], `${attempt} open names the file`).toContain(names[0]);
  }
  expect(await segments(page), 'no segment was removed or added').toEqual(names);
});

test('deleting the IndexedDB database while a log is open is not blocked, and the index comes back', async ({
  page,
}) => {
  const options = { ...INDEXES, rollover: SMALL };
  await openLog(page, options);
  expect(await publish(page, 0, [5, 3, 7, 2])).toBe(17);
  expect(await page.evaluate(() => window.harness.log('w').sync())).toBe(17);

  // Another tab clearing site data, say: the open log lets go of its connection.
  const deleted = await page.evaluate(() => window.recovery.deleteIndexDatabase());
  expect(deleted, 'not blocked by the open log').toEqual({ blocked: false, exists: false });

  // The log goes on (reads and publishes, across rollovers) and saves its index again.
  await expectLog(page, gens([17, 0]));
  expect(await publish(page, 17, [6, 4, 8], 1)).toBe(35);
  await expectLog(page, gens([17, 0], [18, 1]));
  await closeLog(page);
  expect((await indexRecords(page)).length, 'index records saved after the deletion').toBeGreaterThan(0);

  await openLog(page, options);
  await expectLog(page, gens([17, 0], [18, 1]));
  await closeLog(page);
  await expectIndexMatchesFiles(page);
});
