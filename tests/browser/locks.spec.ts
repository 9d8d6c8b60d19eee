// An exclusive writer, enforced with Web Locks across the tabs of a profile:
// while it holds the log another writer gets `Locked` at once (never a hang),
// an exclusive open beside other writers too, and the lock goes when the
// exclusive writer closes its log or its tab. (Plain writers share a log:
// tabs.spec.ts.)
import { test, expect } from './fixtures.ts';
import type { Page } from '@playwright/test';

const DIR = 'locks/events';
/** "At once" with room for a loaded 2-core machine; a hang would hit the test timeout. */
const PROMPTLY_MS = 5_000;

async function openWriter(page: Page, name: string, exclusive = false) {
  return page.evaluate(([n, dir, e]) => window.harness.openAs(n, dir, { createDirs: true, exclusive: e }), [
    name,
    DIR,
    exclusive,
  ] as const);
}

/** Opens a writer and reports how it settled and how long that took. */
async function timedOpenWriter(page: Page, name: string, exclusive = false) {
  const started = Date.now();
  const settled = await openWriter(page, name, exclusive);
  return { settled, ms: Date.now() - started };
}

const LOCKED = { ok: false, code: 'Locked', isLogError: true };

test('beside an exclusive writer, a writer in a second tab rejects Locked at once, and opens after it closes its log', async ({
  page,
  newHarnessPage,
}) => {
  expect(await openWriter(page, 'a', true)).toMatchObject({ ok: true });
  await page.evaluate(() => window.harness.log('a').publish([{ value: window.harness.bytes('from A') }]));

  const tabB = await newHarnessPage();
  const refused = await timedOpenWriter(tabB, 'b');
  expect(refused.settled).toMatchObject(LOCKED);
  expect(refused.ms).toBeLessThan(PROMPTLY_MS);

  // The refused open left A's log working.
  expect(await page.evaluate(() => window.harness.log('a').publish([{ value: window.harness.bytes('A again') }]))).toBe(
    2,
  );

  await page.evaluate(() => window.harness.log('a').close());
  expect(await openWriter(tabB, 'b')).toMatchObject({ ok: true });
  const values = await tabB.evaluate(async () => {
    const { harness } = window;
    const batch = await harness.log('b').consume(harness.lib.OffsetOldest, 10);
    return batch.messages.map((m) => harness.text(m.value));
  });
  expect(values).toEqual(['from A', 'A again']);

  // Now an exclusive open by A is the one refused, at once: B is a writer.
  const exclusive = await timedOpenWriter(page, 'a2', true);
  expect(exclusive.settled).toMatchObject(LOCKED);
  expect(exclusive.ms).toBeLessThan(PROMPTLY_MS);
});

test('closing the tab that holds the exclusive writer releases the lock', async ({ page, newHarnessPage }) => {
  expect(await openWriter(page, 'a', true)).toMatchObject({ ok: true });
  const tabB = await newHarnessPage();
  expect(await openWriter(tabB, 'b')).toMatchObject(LOCKED);

  await page.close(); // no close() of the log: the tab just goes away

  // The lock is released as the tab's worker is torn down: allow that a moment.
  await expect
    .poll(async () => (await openWriter(tabB, 'b')).ok, { timeout: 10_000, intervals: [100, 250, 500] })
    .toBe(true);
  expect(await tabB.evaluate(() => window.harness.log('b').publish([{ value: window.harness.bytes('B') }]))).toBe(1);
});

test('beside an exclusive writer, a second writer in the same tab rejects Locked; after close the tab can open it again', async ({
  page,
}) => {
  expect(await openWriter(page, 'first', true)).toMatchObject({ ok: true });
  const refused = await timedOpenWriter(page, 'second');
  expect(refused.settled).toMatchObject(LOCKED);
  expect(refused.ms).toBeLessThan(PROMPTLY_MS);

  // A readonly open is not a writer: it is allowed beside the writer.
  const readonly = await page.evaluate((dir) => window.harness.openAs('reader', dir, { readonly: true }), DIR);
  expect(readonly).toMatchObject({ ok: true });

  await page.evaluate(() => window.harness.log('first').close());
  expect(await openWriter(page, 'third')).toMatchObject({ ok: true });
});

test('writers of different logs do not contend', async ({ page, newHarnessPage }) => {
  expect(await page.evaluate(() => window.harness.openAs('a', 'locks/one', { createDirs: true }))).toMatchObject({
    ok: true,
  });
  const tabB = await newHarnessPage();
  expect(await tabB.evaluate(() => window.harness.openAs('b', 'locks/two', { createDirs: true }))).toMatchObject({
    ok: true,
  });
  // Nor a log whose name merely starts with another's.
  expect(await tabB.evaluate(() => window.harness.openAs('c', 'locks/one-more', { createDirs: true }))).toMatchObject({
    ok: true,
  });
});

/** A writer open's options, as `open` takes them. */
type WriterOptions = { exclusive?: boolean };

/**
 * The sequence of the "health" issue, in one tab and one `page.evaluate` (no
 * round trip to the test between steps, which would give a lock time to go):
 * an exclusive writer publishes and syncs, three exclusive opens are refused
 * `Locked`, a reader opens and closes, the writer publishes again and closes;
 * then, at once, `open(dir, first)`, and after that log's close, at once,
 * `open(dir, second)`. After each close the origin's locks that name the log
 * (`navigator.locks.query()`, which sees the page's and its workers') are
 * listed: none may be held or waited for. The query is sent before the next
 * open asks for its locks, and the lock manager answers in order, so it
 * shows what the close left.
 */
function healthSequence(page: Page, dir: string, first: WriterOptions, second: WriterOptions) {
  return page.evaluate(
    async ([dir, first, second]) => {
      const { harness } = window;
      const { lib } = harness;
      const value = harness.bytes('health');
      const ours = async () => {
        const { held = [], pending = [] } = await navigator.locks.query();
        return [...held, ...pending].map((l) => `${l.mode} ${l.name}`).filter((n) => n.endsWith(`:${dir}`));
      };
      /** Lists the locks and opens the log, both at once after the close before. */
      const queryAndOpen = async (options: WriterOptions) => {
        const [locksLeft, opened] = await Promise.all([ours(), harness.settle(lib.open(dir, options))]);
        const log = opened.ok ? (opened.value as Awaited<ReturnType<typeof lib.open>>) : null;
        return { locksLeft, opened: log ? { ok: true } : opened, log };
      };

      const log = await lib.open(dir, { createDirs: true, exclusive: true });
      await log.publish([{ value }]);
      await log.sync();
      const refused = [];
      for (let i = 0; i < 3; i++) refused.push(await harness.settle(lib.open(dir, { exclusive: true })));
      const reader = await lib.open(dir, { readonly: true });
      await reader.close();
      await log.publish([{ value }]);
      await log.close();

      const one = await queryAndOpen(first);
      if (!one.log)
        return {
          refused,
          first: { locksLeft: one.locksLeft, opened: one.opened, next: null },
          second: null,
          locksAtEnd: null,
        };
      const next = await one.log.publish([{ value }]);
      await one.log.close();
      const two = await queryAndOpen(second);
      await two.log?.close();
      return {
        refused,
        first: { locksLeft: one.locksLeft, opened: one.opened, next },
        second: { locksLeft: two.locksLeft, opened: two.opened },
        locksAtEnd: await ours(),
      };
    },
    [dir, first, second] as const,
  );
}

const ORDERS: [WriterOptions, WriterOptions][] = [
  [{}, { exclusive: true }],
  [{ exclusive: true }, {}],
];

for (const [first, second] of ORDERS) {
  const kind = (o: WriterOptions) => (o.exclusive ? 'an exclusive writer' : 'a writer');
  test(`right after an exclusive writer's close() (the health issue's sequence), ${kind(first)} opens, then ${kind(second)}, and no lock is left`, async ({
    page,
  }) => {
    const result = await healthSequence(page, DIR, first, second);
    expect(result.refused).toEqual(Array(3).fill(expect.objectContaining(LOCKED)));
    expect(result.first.opened).toEqual({ ok: true });
    expect(result.first.locksLeft).toEqual([]);
    expect(result.first.next).toBe(3);
    expect(result.second).toEqual({ locksLeft: [], opened: { ok: true } });
    expect(result.locksAtEnd).toEqual([]);
  });
}
