// Projections in real browsers (projection-page.ts): the same fold in every
// tab while they all publish, a tab opened later starting from the newest
// snapshot, a reload of a 1M-message projection resuming from its snapshot,
// a version bump folding anew, `apply` throwing, trims and compaction under
// a live projection, and the browser killed while a snapshot is saved.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import type { Info } from './projection-page.ts';

const TOOLS = '/tests/browser/projection-page.ts';
const DIR = 'projection/events';
const WRITER = { createDirs: true, rollover: 256 * 1024 };

async function tab(page: Page, options: object = WRITER): Promise<Page> {
  await page.evaluate(async (url) => {
    await import(/* @vite-ignore */ url);
  }, TOOLS);
  expect(await page.evaluate(([d, o]) => window.harness.openAs('w', d, o), [DIR, options] as const)).toMatchObject({
    ok: true,
  });
  return page;
}

const start = (page: Page, id: string, options: object = {}) =>
  page.evaluate(([i, o]) => window.projections.start(i, 'w', o), [id, options] as const);
const ready = (page: Page, id: string) => page.evaluate((i) => window.projections.ready(i), id);
const info = (page: Page, id: string): Promise<Info> => page.evaluate((i) => window.projections.info(i), id);
const until = (page: Page, id: string, offset: number): Promise<Info> =>
  page.evaluate(([i, o]) => window.projections.until(i, o), [id, offset] as const);
const fold = (page: Page) => page.evaluate(() => window.projections.fold('w'));
const publish = (page: Page, batches: number, size: number) =>
  page.evaluate(([b, s]) => window.projections.publish('w', b, s), [batches, size] as const);
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

test('two tabs fold the same state while both publish; a tab opened later starts from the newest snapshot', async ({
  page,
  newHarnessPage,
}) => {
  const a = await tab(page);
  const b = await tab(await newHarnessPage());
  await start(a, 'p', { every: 500 });
  await start(b, 'p', { every: 500 });
  expect(await ready(a, 'p')).toEqual({ ok: true });
  expect(await ready(b, 'p')).toEqual({ ok: true });
  // Both publish at once: 20 batches of 100 each.
  await Promise.all([publish(a, 20, 100), publish(b, 20, 100)]);
  const [ia, ib] = await Promise.all([until(a, 'p', 4_000), until(b, 'p', 4_000)]);
  const expected = await fold(a);
  expect(total(expected)).toBe(4_000);
  expect(ia.counts).toEqual(expected);
  expect(ib.counts).toEqual(expected);
  // One of the two saved snapshots (the one holding the lock); the other none.
  await expect
    .poll(async () => [(await info(a, 'p')).snapshot, (await info(b, 'p')).snapshot].filter(Boolean).length)
    .toBe(1);
  const saved = (await info(a, 'p')).snapshot ?? (await info(b, 'p')).snapshot;
  expect(saved!.offset).toBeGreaterThan(0);

  const c = await tab(await newHarnessPage());
  await start(c, 'p', { every: 500 });
  expect(await ready(c, 'p')).toEqual({ ok: true });
  const ic = await info(c, 'p');
  expect(ic.counts).toEqual(expected);
  expect(ic.snapshot).not.toBeNull();
  expect(ic.applied).toBe(4_000 - ic.snapshot!.offset);

  // The first tab (the log's owner, and maybe the snapshots' saver) goes: the others publish and fold on,
  // through the handover, nothing folded twice or skipped.
  await a.close();
  await Promise.all([publish(b, 10, 100), publish(c, 10, 100)]);
  const [ib2, ic2] = await Promise.all([until(b, 'p', 6_000), until(c, 'p', 6_000)]);
  const all = await fold(b);
  expect(total(all)).toBe(6_000);
  expect(ib2.counts).toEqual(all);
  expect(ic2.counts).toEqual(all);
  expect(ic2.applied).toBe(6_000 - ic.snapshot!.offset);
});

test('a reload of a 1M-message projection resumes from its snapshot; a new version folds from the oldest message', async ({
  page,
}) => {
  test.setTimeout(120_000); // two folds of 1M messages; Firefox on a loaded machine needs more than the default
  await tab(page);
  expect(await publish(page, 100, 10_000)).toBe(1_000_000);
  await start(page, 'p');
  expect(await ready(page, 'p')).toEqual({ ok: true });
  const first = await info(page, 'p');
  expect(first.applied).toBe(1_000_000);
  expect(await page.evaluate(() => window.projections.save('p'))).toMatchObject({ offset: 1_000_000 });

  await page.reload(); // the tab goes away with the log and the projection open
  await tab(page);
  await start(page, 'p');
  expect(await ready(page, 'p')).toEqual({ ok: true });
  const resumed = await info(page, 'p');
  expect(resumed.snapshot?.offset).toBe(1_000_000);
  expect(resumed.applied).toBe(0);
  expect(resumed.counts).toEqual(first.counts);

  await start(page, 'v2', { version: 2 });
  expect(await ready(page, 'v2')).toEqual({ ok: true });
  const rebuilt = await info(page, 'v2');
  expect(rebuilt.applied).toBe(1_000_000);
  expect(rebuilt.counts).toEqual(first.counts);
});

test('apply throwing fails the projection at that offset with the state of the last whole batch; trims and compaction keep what was folded', async ({
  page,
}) => {
  await tab(page);
  await publish(page, 10, 100);
  await start(page, 'p');
  await start(page, 'poisoned', { failOn: 'poison' });
  expect(await ready(page, 'p')).toEqual({ ok: true });
  expect(await ready(page, 'poisoned')).toEqual({ ok: true });
  const before = await info(page, 'poisoned');

  // One batch, the poisoned message in its middle.
  const next = await page.evaluate(() => {
    const { harness } = window;
    const batch = Array.from({ length: 9 }, (_, i) => ({ key: harness.bytes(`k${i}`), value: harness.bytes('v') }));
    batch.splice(4, 0, { key: harness.bytes('k0'), value: harness.bytes('poison') });
    return harness.log('w').publish(batch);
  });
  const failed = await until(page, 'poisoned', next);
  expect(failed).toMatchObject({ status: 'failed', code: 'Internal', failedAt: 1_004, offset: 1_000 });
  expect(failed.error).toContain('offset 1004');
  expect(failed.counts).toEqual(before.counts);

  // Trims and compaction under the live one: what it folded stays; a rebuild folds what remains.
  const live = await until(page, 'p', next);
  await page.evaluate(async () => {
    const { harness } = window;
    await harness.lib.trimByCount(harness.log('w'), 600);
    await harness.lib.compact(harness.log('w'), 0);
  });
  const after = await page.evaluate(() => window.harness.log('w').publish([{ key: window.harness.bytes('late') }]));
  const kept = await until(page, 'p', after);
  expect(kept.counts).toEqual({ ...live.counts, late: 1 });
  await page.evaluate(() => window.projections.rebuild('p'));
  await until(page, 'p', after);
  expect((await info(page, 'p')).counts).toEqual(await fold(page));
  expect(total(await fold(page))).toBeLessThan(total(kept.counts));
});

test('an import that replaces the log removes its snapshots: the projection folds the imported log, even one with the same offsets and times', async ({
  page,
}) => {
  await tab(page);
  // Two logs alike in offsets and times, not in keys: only the removed snapshots tell them apart.
  const publishTimed = (dir: string, key: (i: number) => string) =>
    page.evaluate(
      async ([d, keys]) => {
        const { harness } = window;
        const log = await harness.lib.open(d, { createDirs: true });
        await log.publish(keys.map((k, i) => ({ key: harness.bytes(k), value: harness.bytes('v'), time: 1_000 + i })));
        await log.close();
      },
      [dir, Array.from({ length: 100 }, (_, i) => key(i))] as const,
    );
  await page.evaluate(() => window.harness.log('w').close());
  await page.evaluate(async () => {
    const { harness } = window;
    const log = await harness.lib.open('projection/events');
    const keys = Array.from({ length: 100 }, (_, i) => harness.bytes(`k${i % 10}`));
    await log.publish(keys.map((key, i) => ({ key, value: harness.bytes('v'), time: 1_000 + i })));
    harness.logs.set('w', log);
  });
  await start(page, 'p');
  expect(await ready(page, 'p')).toEqual({ ok: true });
  expect(await page.evaluate(() => window.projections.close('p'))).toBeUndefined(); // saves at 100
  await publishTimed('projection/other', () => 'other');
  await page.evaluate(async () => {
    const { harness } = window;
    const other = await harness.lib.open('projection/other');
    const archive = await harness.lib.exportArchive(other);
    await other.close();
    await harness.log('w').close();
    await harness.lib.importArchive('projection/events', archive, { overwrite: true });
    harness.logs.set('w', await harness.lib.open('projection/events'));
  });
  await start(page, 'p');
  expect(await ready(page, 'p')).toEqual({ ok: true });
  expect(await info(page, 'p')).toMatchObject({ counts: { other: 100 }, applied: 100, snapshot: null });
});

test.describe('the browser killed', () => {
  test.use({ browserPerTest: true });

  test('while a snapshot of a large state is saved and messages keep coming: the relaunched page shows the right state', async ({
    page,
    context,
    killBrowser,
    relaunch,
  }) => {
    test.setTimeout(120_000);
    await tab(page);
    // ~7 MB of JSON: a save takes a while, and the fold goes on meanwhile.
    await start(page, 'p', { pad: 1_000_000, every: 200 });
    expect(await ready(page, 'p')).toEqual({ ok: true });
    await publish(page, 10, 100);
    await until(page, 'p', 1_000);
    // The first save of 7 MB, encoded a slice at a time: seconds on a loaded machine (a wait, not a speed check).
    await expect
      .poll(async () => (await info(page, 'p')).snapshot?.offset ?? 0, { timeout: 45_000 })
      .toBeGreaterThan(0);
    // Publishing on (each publish folds and may start a save), then the kill in the middle of it.
    await page.evaluate(() => void window.projections.publish('w', 1_000, 20));
    await page.waitForTimeout(300);
    await killBrowser(context);

    const { page: again } = await relaunch();
    await tab(again);
    const expected = await fold(again);
    await start(again, 'p', { pad: 1_000_000 });
    expect(await ready(again, 'p')).toEqual({ ok: true });
    const resumed = await info(again, 'p');
    expect(resumed.snapshot).not.toBeNull();
    expect(resumed.counts).toEqual(expected);
    expect(resumed.applied).toBe(total(expected) - resumed.snapshot!.offset);
  });
});
