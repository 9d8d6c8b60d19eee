// Quota exhaustion, made real: the origin's quota is made small, publishes go
// on until one is refused; that one must reject `QuotaExceeded`, leave
// nothing behind, and leave the log usable: reads work, and once there is
// room again, so do publishes, also after reopening.
//
// Each browser has its own way to a small quota:
// - Chromium: the DevTools protocol's `Storage.overrideQuotaForOrigin`, set to
//   a little above the usage once the log holds something. It is honoured for
//   OPFS sync-handle writes (they throw QuotaExceededError) and for IndexedDB
//   (the transaction aborts); `navigator.storage.estimate()` still reports the
//   real quota. Lifting the override makes room.
// - Firefox: a small fixed temporary-storage limit for its quota manager (a
//   preference, set at launch); an origin then gets 10 MiB, which
//   `estimate()` reports, and a sync-handle write past it writes 0 bytes.
//   A preference cannot change while Firefox runs: room is made by deleting
//   a ballast file written before the log filled the quota.
import { test, expect } from './fixtures.ts';
import type { Page } from '@playwright/test';

const DIR = 'quota/events';
const BATCH = 64;
const VALUE_BYTES = 4 * 1024; // 256 KiB a batch
const HEADROOM = 3 * 1024 * 1024; // Chromium: quota = usage + this
const BALLAST = 4 * 1024 * 1024; // Firefox: deleted to make room again, more than two batches and their index rows
const MAX_BATCHES = 200; // 50 MiB: if none of these is refused, the quota is not enforced
/** Firefox's whole temporary storage, in KiB; each origin's share is 10 MiB at most. */
const FIREFOX_LIMIT_KIB = 20 * 1024;

test.use({ firefoxPrefs: { 'dom.quotaManager.temporaryStorage.fixedLimit': FIREFOX_LIMIT_KIB } });

/** Writes (or deletes) the ballast file at the root of the origin's OPFS. */
function ballast(page: Page, bytes: number | null) {
  return page.evaluate(async (size) => {
    const root = await navigator.storage.getDirectory();
    if (size === null) return root.removeEntry('ballast');
    const writable = await (await root.getFileHandle('ballast', { create: true })).createWritable();
    await writable.write(new Uint8Array(size).fill(0xba));
    await writable.close();
  }, bytes);
}

function publishBatch(page: Page, id: number) {
  return page.evaluate(
    ([i, size, bytes]) => {
      const { harness } = window;
      return harness.settle(harness.log('w').publish(harness.numberedBatch(i, size, bytes)));
    },
    [id, BATCH, VALUE_BYTES] as const,
  );
}

const nextOffset = (page: Page) => page.evaluate(() => window.harness.log('w').nextOffset());
const check = (page: Page) => page.evaluate((size) => window.harness.checkNumbered('w', size), BATCH);

const variants = [
  // One big segment: the refused write is in the middle of a file.
  { where: 'in the middle of a segment', indexes: false, rollover: 64 * 2 ** 20 },
  // A batch fills a segment: the refused write is the first of a new file.
  { where: 'at a rollover, with key and time indexes', indexes: true, rollover: BATCH * VALUE_BYTES },
];

for (const { where, indexes, rollover } of variants) {
  const options = { createDirs: true, keyIndex: indexes, timeIndex: indexes, rollover };
  test(`publish over quota ${where}: rejects QuotaExceeded, writes nothing, and the log recovers`, async ({
    page,
    context,
    engine,
  }, testInfo) => {
    expect(await page.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const)).toMatchObject({ ok: true });
    for (let id = 0; id < 2; id++) expect(await publishBatch(page, id)).toEqual({ ok: true, value: (id + 1) * BATCH });
    await page.evaluate(() => window.harness.log('w').sync());
    const { usage, quota } = await page.evaluate(() => navigator.storage.estimate());
    const origin = new URL(page.url()).origin;
    const cdp = engine === 'chromium' ? await context.newCDPSession(page) : null;
    const limit = cdp ? `a quota of usage + ${HEADROOM / 2 ** 20} MiB` : `Firefox's ${((quota ?? 0) / 2 ** 20).toFixed(1)} MiB for the origin`;
    if (cdp) await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: (usage ?? 0) + HEADROOM });
    else await ballast(page, BALLAST);

    let id = 2;
    let refused = null;
    let before = await nextOffset(page);
    for (; id < MAX_BATCHES; id++) {
      before = await nextOffset(page);
      const settled = await publishBatch(page, id);
      if (!settled.ok) {
        refused = settled;
        break;
      }
      expect(settled.value).toBe(before + BATCH);
    }
    expect(refused, `no publish refused after ${MAX_BATCHES} batches of 256 KiB over ${limit}`).not.toBeNull();
    expect(refused).toMatchObject({ ok: false, code: 'QuotaExceeded', isLogError: true });
    testInfo.annotations.push({
      type: 'refused',
      description: `batch ${id} at offset ${before}, ${id - 2} batches (${((id - 2) * BATCH * VALUE_BYTES) / 2 ** 20} MiB) into ${limit}: ${refused!.ok ? '' : refused!.error.split('\n')[0]}`,
    });

    // Nothing of the refused batch, everything before it, and reads still work.
    expect(await nextOffset(page)).toBe(before);
    expect(await check(page)).toEqual({ next: before, count: before, problem: null });
    expect(await page.evaluate(() => window.harness.log('w').stat().then((s) => s.messages))).toBe(before);
    // Still out of space: refused again, the same way.
    expect(await publishBatch(page, id)).toMatchObject({ ok: false, code: 'QuotaExceeded', isLogError: true });
    expect(await nextOffset(page)).toBe(before);
    if (indexes) {
      const lookUp = await page.evaluate((key) => {
        const { harness } = window;
        return harness.settle(harness.log('w').offsetByKey(harness.bytes(key)));
      }, `batch-${id}`);
      expect(lookUp, 'the refused batch left a key index entry').toMatchObject({ ok: false, code: 'NotFound' });
    }

    if (cdp) await cdp.send('Storage.overrideQuotaForOrigin', { origin }); // lifted
    else await ballast(page, null);
    expect(await publishBatch(page, id)).toEqual({ ok: true, value: before + BATCH });
    expect(await page.evaluate(() => window.harness.log('w').sync())).toBe(before + BATCH);
    expect(await check(page)).toEqual({ next: before + BATCH, count: before + BATCH, problem: null });
    if (indexes) {
      const found = await page.evaluate(async (key) => {
        const { harness } = window;
        const log = harness.log('w');
        return [await log.offsetByKey(harness.bytes(key)), (await log.getByKey(harness.bytes('batch-0'))).offset];
      }, `batch-${id}`);
      expect(found).toEqual([before + BATCH - 1, BATCH - 1]);
    }

    // And the same after reopening.
    await page.evaluate(() => window.harness.log('w').close());
    expect(await page.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const)).toMatchObject({ ok: true });
    expect(await check(page)).toEqual({ next: before + BATCH, count: before + BATCH, problem: null });
    expect(await publishBatch(page, id + 1)).toEqual({ ok: true, value: before + 2 * BATCH });
    await page.evaluate(() => window.harness.log('w').close());
  });
}
