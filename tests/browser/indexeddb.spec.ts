// The indexes in IndexedDB are derived data: whatever another script of the
// origin does to our database (upgrades it to a higher version, drops our
// stores), a log whose segment files are intact opens and reads every
// message, in real Chromium, through the worker. Cursors, which need
// IndexedDB, reject Unsupported when it cannot hold them.
import { test, expect } from './fixtures.ts';
import type { Page } from '@playwright/test';

const DIR = 'idb/events';
const COUNT = 300;

/** Writes COUNT messages over several segments with the page's harness, then closes the log. */
async function writeLog(page: Page): Promise<void> {
  const result = await page.evaluate(
    async ([dir, count]) => {
      const { harness } = window;
      const log = await harness.lib.open(dir, { createDirs: true, keyIndex: true, timeIndex: true, rollover: 4096 });
      for (let i = 0; i < count; i += 50) await log.publish(harness.numberedBatch(i / 50, 50, 64));
      const stat = await log.stat();
      await log.cursor('c').commit(17);
      await log.close();
      return stat;
    },
    [DIR, COUNT] as const,
  );
  expect(result.messages).toBe(COUNT);
  expect(result.segments).toBeGreaterThan(2);
}

/** Another script of the origin opens our database at `version`, changing stores; returns the stores it then has. */
function otherScript(page: Page, version: number, drop: string[]): Promise<string[]> {
  return page.evaluate(
    ([v, names]) =>
      new Promise<string[]>((resolve, reject) => {
        const req = indexedDB.open('opfs-log', v);
        req.onupgradeneeded = () => {
          req.result.createObjectStore('theirs');
          for (const name of names) req.result.deleteObjectStore(name);
        };
        // Kept open, as their app would keep it; it closes only if asked to upgrade.
        req.onsuccess = () => {
          req.result.onversionchange = () => req.result.close();
          resolve([...req.result.objectStoreNames]);
        };
        req.onerror = () => reject(req.error);
      }),
    [version, drop] as const,
  );
}

/** Opens the log, reads it all, and reports what a reader and a cursor see. */
function openAndRead(page: Page) {
  return page.evaluate(
    async ([dir, size]) => {
      const { harness } = window;
      const opened = await harness.openAs('r', dir, { keyIndex: true, timeIndex: true, rollover: 4096 });
      if (!opened.ok) return { opened };
      const log = harness.log('r');
      const check = await harness.checkNumbered('r', size);
      const last = await log.get(-1);
      const byKey = await harness.settle(log.getByKey(last.key!));
      const cursor = await harness.settle(log.cursor('c').position());
      // The next whole batch, so that the log stays one checkNumbered can read.
      const published = await harness.settle(log.publish(harness.numberedBatch(check.next / size, size, 64)));
      await log.close();
      return { opened, check, lastOffset: last.offset, byKey, cursor, published };
    },
    [DIR, 50] as const,
  );
}

test('a database upgraded to a higher version by another script: the log opens and reads every message', async ({
  page,
}) => {
  await writeLog(page);
  expect(await otherScript(page, 7, [])).toEqual(
    expect.arrayContaining(['segments', 'cursors', 'summaryPages', 'filters', 'keyFilters', 'knownFiles', 'theirs']),
  );
  const seen = await openAndRead(page);
  expect(seen.opened).toEqual({ ok: true, value: 'opened' });
  expect(seen.check).toEqual({ next: COUNT, count: COUNT, problem: null });
  expect(seen.lastOffset).toBe(COUNT - 1);
  expect(seen.byKey).toMatchObject({ ok: true, value: { offset: COUNT - 1 } });
  expect(seen.cursor).toEqual({ ok: true, value: 17 }); // our stores are still there: cursors work
  expect(seen.published).toEqual({ ok: true, value: COUNT + 50 });
  // And again, now that the log wrote to the database at its new version.
  const again = await openAndRead(page);
  expect(again.check).toEqual({ next: COUNT + 50, count: COUNT + 50, problem: null });
  expect(again.cursor).toEqual({ ok: true, value: 17 });
});

test('a database whose stores another script dropped: the log opens from its segments, cursors reject Unsupported', async ({
  page,
}) => {
  await writeLog(page);
  expect(
    await otherScript(page, 8, ['segments', 'cursors', 'summaryPages', 'filters', 'keyFilters', 'knownFiles']),
  ).toEqual(['theirs']);
  const seen = await openAndRead(page);
  expect(seen.opened).toEqual({ ok: true, value: 'opened' });
  expect(seen.check).toEqual({ next: COUNT, count: COUNT, problem: null });
  expect(seen.byKey).toMatchObject({ ok: true, value: { offset: COUNT - 1 } });
  expect(seen.cursor).toMatchObject({ ok: false, code: 'Unsupported', isLogError: true });
  expect(seen.published).toEqual({ ok: true, value: COUNT + 50 });
});
