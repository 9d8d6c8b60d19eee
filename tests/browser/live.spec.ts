// The event-sourcing kit across tabs, as only a browser shows it: a readonly
// reader in tab B waiting in consumeBlocking or tail wakes on tab A's
// publish (BroadcastChannel between the tabs, each log's engine in its own
// worker); aborting and closing end the waits; durable cursors survive a
// closed tab and a killed browser.
import { test, expect, gotoHarness } from './fixtures.ts';
import type { Page } from '@playwright/test';

declare global {
  interface Window {
    /** What a waiting call in this tab came to (see `startWaiting`). */
    woke?: Promise<{ at: number; offsets: number[] } | { error: string; code: string | undefined; name: string }>;
    /** What a tail in this tab has yielded, and how it ended. */
    tailed?: { offsets: number[]; ended: boolean; error: string | null };
    tailAbort?: AbortController;
  }
}

const DIR = 'live/events';

/** A wall clock with sub-millisecond resolution that two tabs of one browser share. */
function now(page: Page): Promise<number> {
  return page.evaluate(() => performance.timeOrigin + performance.now());
}

async function open(page: Page, name: string, options: object) {
  expect(
    await page.evaluate(([n, dir, o]) => window.harness.openAs(n, dir, o), [name, DIR, options] as const),
  ).toMatchObject({ ok: true });
}

/** Starts `consumeBlocking(offset, 100)` on the log kept as `name` in `page`, without waiting for it. */
async function startWaiting(page: Page, name: string, offset: number, abortAfterMs?: number) {
  await page.evaluate(
    ([n, o, abortMs]) => {
      const signal = abortMs === null ? undefined : AbortSignal.timeout(abortMs);
      window.woke = window.harness
        .log(n)
        .consumeBlocking(o, 100, { signal })
        .then(
          (batch) => ({ at: performance.timeOrigin + performance.now(), offsets: batch.messages.map((m) => m.offset) }),
          (err: { message?: string; code?: string; name?: string }) => ({
            error: String(err?.message),
            code: err?.code,
            name: String(err?.name),
          }),
        );
    },
    [name, offset, abortAfterMs ?? null] as const,
  );
}

function publish(page: Page, name: string, count: number): Promise<number> {
  return page.evaluate(
    ([n, c]) => {
      const { harness } = window;
      return harness
        .log(n)
        .publish(
          Array.from({ length: c }, (_, i) => ({ key: harness.bytes(`k${i}`), value: harness.bytes(`event ${i}`) })),
        );
    },
    [name, count] as const,
  );
}

test('a readonly reader in another tab wakes on the writer tab’s publish within milliseconds', async ({
  page: writer,
  newHarnessPage,
}, testInfo) => {
  await open(writer, 'w', { createDirs: true });
  await publish(writer, 'w', 3);
  const reader = await newHarnessPage();
  await open(reader, 'r', { readonly: true });

  const ROUNDS = 25;
  const latencies: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const next = 3 + round * 2;
    await startWaiting(reader, 'r', next);
    // The reader has looked and is waiting: nothing there yet.
    await reader.waitForTimeout(20);
    expect(
      await reader.evaluate(() =>
        Promise.race([window.woke!.then(() => 'woke'), new Promise((r) => setTimeout(() => r('waiting'), 0))]),
      ),
    ).toBe('waiting');
    const before = await now(writer);
    expect(await publish(writer, 'w', 2)).toBe(next + 2);
    const woke = await reader.evaluate(() => window.woke!);
    expect(woke).toMatchObject({ offsets: [next, next + 1] });
    latencies.push((woke as { at: number }).at - before);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(ROUNDS / 2)]!;
  const max = latencies[ROUNDS - 1]!; // ROUNDS latencies, one per round
  testInfo.annotations.push({
    type: 'cross-tab wake-up',
    description: `publish in tab A → consumeBlocking resolved in tab B: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${ROUNDS} rounds`,
  });
  console.log(
    `cross-tab wake-up: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms, all ${latencies.map((l) => l.toFixed(1)).join(' ')}`,
  );
  // The aim is a wake-up within 100 ms; asserted loosely so a loaded CI machine does not flake.
  expect(median).toBeLessThan(1000);
  expect(max).toBeLessThan(1000);
});

test('a tail in a readonly tab follows the writer tab, and ends when aborted', async ({
  page: writer,
  newHarnessPage,
}) => {
  await open(writer, 'w', { createDirs: true });
  await publish(writer, 'w', 4);
  const reader = await newHarnessPage();
  await open(reader, 'r', { readonly: true });
  await reader.evaluate(() => {
    const tailed = (window.tailed = { offsets: [] as number[], ended: false as boolean, error: null as string | null });
    const controller = (window.tailAbort = new AbortController());
    void (async () => {
      try {
        for await (const batch of window.harness
          .log('r')
          .tail(-2 /* OffsetOldest */, { maxCount: 3, signal: controller.signal })) {
          tailed.offsets.push(...batch.messages.map((m) => m.offset));
        }
      } catch (err) {
        tailed.error = String(err);
      }
      tailed.ended = true;
    })();
  });
  await reader.waitForFunction(() => window.tailed!.offsets.length === 4);
  for (let i = 0; i < 5; i++) await publish(writer, 'w', 2);
  await reader.waitForFunction(() => window.tailed!.offsets.length === 14, undefined, { timeout: 5000 });
  expect(await reader.evaluate(() => window.tailed!.offsets)).toEqual(Array.from({ length: 14 }, (_, i) => i));

  await reader.evaluate(() => window.tailAbort!.abort());
  await reader.waitForFunction(() => window.tailed!.ended, undefined, { timeout: 2000 });
  expect(await reader.evaluate(() => window.tailed!.error)).toBeNull();
  // Publishes after the abort reach no one, and break nothing.
  expect(await publish(writer, 'w', 1)).toBe(15);
  expect(await reader.evaluate(() => window.tailed!.offsets.length)).toBe(14);
});

test('in a reader tab, aborting rejects a waiting consumeBlocking with the signal’s reason; closing rejects it Closed', async ({
  page: writer,
  newHarnessPage,
}) => {
  await open(writer, 'w', { createDirs: true });
  const reader = await newHarnessPage();
  await open(reader, 'r', { readonly: true });

  await startWaiting(reader, 'r', 0, 150);
  expect(await reader.evaluate(() => window.woke!)).toMatchObject({ name: 'TimeoutError' }); // AbortSignal.timeout's reason

  await startWaiting(reader, 'r', 0);
  await reader.waitForTimeout(50);
  await reader.evaluate(() => window.harness.log('r').close());
  expect(await reader.evaluate(() => window.woke!)).toMatchObject({ code: 'Closed' });

  // The writer is none the worse.
  expect(await publish(writer, 'w', 2)).toBe(2);
});

/** Opens the log as the writer, waiting while a dead tab's lock is still held. */
async function openWhenFree(page: Page) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const settled = await page.evaluate((dir) => window.harness.openAs('w', dir, {}), DIR);
    if (settled.ok) return;
    expect(settled).toMatchObject({ code: 'Locked' });
    await page.waitForTimeout(200);
  }
  throw new Error('the log stayed locked');
}

function position(page: Page, cursor: string): Promise<number> {
  return page.evaluate((c) => window.harness.log('w').cursor(c).position(), cursor);
}

test.describe(() => {
  test.use({ browserPerTest: true }); // it kills the browser

  test('a committed cursor survives its tab being closed and the browser being killed', async ({
    page,
    context,
    killBrowser,
    relaunch,
  }) => {
    await open(page, 'w', { createDirs: true });
    await publish(page, 'w', 10);
    await page.evaluate(() => window.harness.log('w').cursor('projection').commit(7));
    await page.close(); // the log is never closed: its worker dies with the tab

    const second = await context.newPage();
    await gotoHarness(second);
    await openWhenFree(second);
    expect(await position(second, 'projection')).toBe(7);
    await second.evaluate(() => window.harness.log('w').cursor('projection').commit(10));

    await killBrowser(context);
    const { page: third } = await relaunch();
    await openWhenFree(third);
    expect(await position(third, 'projection')).toBe(10);
    expect(await position(third, 'other')).toBe(-2); // OffsetOldest: never committed
    await third.evaluate(() => window.harness.log('w').close());
  });
});
