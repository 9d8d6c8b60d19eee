// A page that dies in the middle of a stream of publishes: when the log is
// opened again, everything published and synced before is there, and only
// whole batches are (publish is atomic per batch), whatever the tail held.
// Three ways to die: the tab is closed, its renderer crashes, the whole
// browser is killed (then it is relaunched on the same profile). Each on both
// storage backends: on the asynchronous one, whose commits replace files whole,
// every publish that resolved survives too, wherever in a commit death came.
import { test, expect, gotoHarness, crashRenderer } from './fixtures.ts';
import type { BrowserName } from '../../scripts/browsers.mjs';
import type { BrowserContext, Page } from '@playwright/test';

// Each test here closes tabs, crashes the renderer or kills the browser: a browser of its own, on a fresh profile.
test.use({ browserPerTest: true });

declare global {
  interface Window {
    /** Progress of the publishes started by `startStream`. */
    stream?: { resolved: number; rejected: number; lastError: string | null };
  }
}

const DIR = 'crash/events';
const BATCH = 50; // messages per batch; a partial batch shows as an offset that isn't a multiple
const VALUE_BYTES = 200;
const SYNCED_BATCHES = 10;
const STREAMED_BATCHES = 1_000; // far more than get done before the page dies
// Many segments, so a crash may hit a rollover; indexes on, so their IndexedDB
// side may lag the segments at the crash and must be repaired on open.
const OPTIONS = { createDirs: true, rollover: 64 * 1024, keyIndex: true, timeIndex: true };

async function publishAndSync(page: Page) {
  return page.evaluate(
    async ([batches, size, bytes]) => {
      const { harness } = window;
      const log = harness.log('w');
      for (let id = 0; id < batches; id++) await log.publish(harness.numberedBatch(id, size, bytes));
      return log.sync();
    },
    [SYNCED_BATCHES, BATCH, VALUE_BYTES] as const,
  );
}

/** Starts publishing batch after batch without waiting for any. */
async function startStream(page: Page) {
  await page.evaluate(
    ([first, count, size, bytes]) => {
      const { harness } = window;
      const log = harness.log('w');
      const stream = (window.stream = { resolved: 0, rejected: 0, lastError: null as string | null });
      for (let id = first; id < first + count; id++) {
        log.publish(harness.numberedBatch(id, size, bytes)).then(
          // Told to the test as it happens, so it knows what had resolved when the page died.
          () => console.debug(`resolved ${++stream.resolved}`),
          (err: unknown) => {
            stream.rejected++;
            stream.lastError = String(err);
          },
        );
      }
    },
    [SYNCED_BATCHES, STREAMED_BATCHES, BATCH, VALUE_BYTES] as const,
  );
  // Die with publishes done, in flight and queued.
  await page.waitForFunction(() => (window.stream?.resolved ?? 0) >= 3, undefined, { polling: 10 });
  const progress = await page.evaluate(() => window.stream!);
  expect(progress.rejected, progress.lastError ?? '').toBe(0);
  expect(progress.resolved).toBeLessThan(STREAMED_BATCHES);
  return progress.resolved;
}

/**
 * Opens the log in `page`, waiting a little while a dead page's lock is still
 * held; resolves to the number of `Locked` refusals before it opened.
 */
async function openLog(page: Page, options: object = OPTIONS): Promise<number> {
  const started = Date.now();
  for (let refusals = 0; ; refusals++) {
    const settled = await page.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const);
    if (settled.ok || settled.code !== 'Locked' || Date.now() - started > 10_000) {
      expect(settled).toMatchObject({ ok: true });
      return refusals;
    }
    await page.waitForTimeout(200);
  }
}

/**
 * Has `page`'s content process hold an OPFS file open, from a worker of its
 * own: how crashRenderer finds the process to kill in Firefox. The async
 * backend holds no file open (its writes are the parent process's), so a log
 * on it would not mark the tab's process itself.
 */
async function markContentProcess(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const source = `navigator.storage.getDirectory()
      .then((d) => d.getFileHandle('content-process-marker', { create: true }))
      .then((h) => h.createSyncAccessHandle())
      .then(() => postMessage('held'), (e) => postMessage(String(e)));`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    const answer = await new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data)));
    if (answer !== 'held') throw new Error(`the marker worker could not hold its file: ${String(answer)}`);
  });
}

type Death = (ctx: {
  page: Page;
  context: BrowserContext;
  engine: BrowserName;
  profileDir: string;
  killBrowser: (context: BrowserContext) => Promise<void>;
  relaunch: () => Promise<{ page: Page }>;
  backend: 'auto' | 'async';
}) => Promise<Page>;

const deaths: Record<string, Death> = {
  'the tab is closed': async ({ page, context }) => {
    await page.close();
    const next = await context.newPage();
    await gotoHarness(next);
    return next;
  },
  'the renderer crashes': async ({ page, context, engine, profileDir, backend }) => {
    if (engine === 'firefox' && backend === 'async') await markContentProcess(page);
    await crashRenderer(page, context, engine, profileDir);
    await page.close();
    const next = await context.newPage();
    await gotoHarness(next);
    return next;
  },
  'the browser is killed': async ({ context, killBrowser, relaunch }) => {
    await killBrowser(context);
    return (await relaunch()).page;
  },
};

/**
 * The async backend's logs roll at 1 MiB, past what a run streams before it
 * dies: a roll commits the head, so with rolls every few batches a build
 * that forgot the commit of each publish would lose nothing here. A death
 * in the middle of a roll is the unit tier's (tests/unit/staged.test.ts).
 */
const BACKENDS = [
  { title: '', backend: 'auto', rollover: OPTIONS.rollover },
  { title: ' (async backend)', backend: 'async', rollover: 1024 * 1024 },
] as const;

for (const [how, die] of Object.entries(deaths)) {
  for (const { title, backend, rollover } of BACKENDS) {
    test(`when ${how} mid-publish, synced batches survive and no batch is partial${title}`, async ({
      page,
      context,
      engine,
      profileDir,
      killBrowser,
      relaunch,
    }, testInfo) => {
      // Firefox (ESR 140) does not keep the asynchronous backend's commits across a kill of the whole
      // browser: after the relaunch the head file was missing or empty, synced batches and all, in 9 of ~27
      // runs, at this commit and before it (the open then found no segment, or a bare file, and started
      // afresh). A tab closed or its renderer crashed loses nothing (the cases above run in Firefox). The
      // README says so under "Storage backends".
      test.skip(
        engine === 'firefox' && backend === 'async' && how === 'the browser is killed',
        'Firefox loses the async backend commits of a killed browser',
      );
      const options = { ...OPTIONS, backend, rollover };
      await openLog(page, options);
      expect(await publishAndSync(page)).toBe(SYNCED_BATCHES * BATCH);
      let resolvedBeforeDeath = 0;
      page.on('console', (m) => {
        const resolved = /^resolved (\d+)$/.exec(m.text());
        if (resolved) resolvedBeforeDeath = Math.max(resolvedBeforeDeath, Number(resolved[1]));
      });
      await startStream(page);

      const after = await die({ page, context, engine, profileDir, killBrowser, relaunch, backend });

      const refusals = await openLog(after, options);
      const found = await after.evaluate((size) => window.harness.checkNumbered('w', size), BATCH);
      testInfo.annotations.push({
        type: 'survived',
        description:
          `${found.next / BATCH} batches (${SYNCED_BATCHES} synced, ${resolvedBeforeDeath}+ streamed resolved before death); ` +
          `${refusals} Locked refusals before the lock was released`,
      });
      expect(found.problem).toBeNull();
      expect(found.next).toBeGreaterThanOrEqual(SYNCED_BATCHES * BATCH);
      // Committed before it resolved (the sync backend's are in the file too, but only a sync promises it).
      if (backend === 'async')
        expect(found.next).toBeGreaterThanOrEqual((SYNCED_BATCHES + resolvedBeforeDeath) * BATCH);
      // The key index knows the last batch that survived, and no later one.
      const lastId = found.next / BATCH - 1;
      const byKey = await after.evaluate(async (id) => {
        const { harness } = window;
        const log = harness.log('w');
        return {
          last: await harness.settle(log.offsetByKey(harness.bytes(`batch-${id}`))),
          later: await harness.settle(log.offsetByKey(harness.bytes(`batch-${id + 1}`))),
        };
      }, lastId);
      expect(byKey.last).toEqual({ ok: true, value: found.next - 1 });
      expect(byKey.later).toMatchObject({ ok: false, code: 'NotFound', isLogError: true });

      // The log goes on from there, and a checked reopen agrees.
      const id = found.next / BATCH;
      const next = await after.evaluate(
        ([i, size, bytes]) => window.harness.log('w').publish(window.harness.numberedBatch(i, size, bytes)),
        [id, BATCH, VALUE_BYTES] as const,
      );
      expect(next).toBe(found.next + BATCH);
      await after.evaluate(() => window.harness.log('w').close());
      await openLog(after, { ...options, check: true });
      expect(await after.evaluate((size) => window.harness.checkNumbered('w', size), BATCH)).toEqual({
        next: found.next + BATCH,
        count: found.next + BATCH,
        problem: null,
      });
    });
  }
}
