// The log's storage removed under open logs: the user clears the site's data
// (Chromium: CDP Storage.clearDataForOrigin, what "Clear site data" does;
// Firefox: the profile's storage of the origin removed), or another tab
// removes the directory of a log that only readers have open. A writer's
// sync access handles go on writing files that are gone, so before this an
// open log acknowledged publishes and syncs into nothing. Now every tab's
// log rejects `StorageRemoved` (a writer at the latest at `sync`), and an
// open afterwards starts a new log.
import { test, expect } from './fixtures.ts';
import type { BrowserContext, Page } from '@playwright/test';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

// Each test here removes the origin's storage (Firefox: from the profile's files): a browser of its own, on a fresh profile.
test.use({ browserPerTest: true });

const DIR = 'removed/events';
const REMOVED = { ok: false, code: 'StorageRemoved', isLogError: true };

const openAs = (page: Page, name: string, options: object) =>
  page.evaluate(([n, d, o]) => window.harness.openAs(n, d, o), [name, DIR, options] as const);

const publish = (page: Page, name: string, text: string) =>
  page.evaluate(
    ([n, t]) => window.harness.settle(window.harness.log(n).publish([{ value: window.harness.bytes(t) }])),
    [name, text] as const,
  );

const sync = (page: Page, name: string) =>
  page.evaluate((n) => window.harness.settle(window.harness.log(n).sync()), name);

/** How each call of the log kept as `name` settles now. */
function everyCall(page: Page, name: string) {
  return page.evaluate(async (n) => {
    const log = window.harness.log(n);
    const { bytes } = window.harness;
    const settle = (p: Promise<unknown>) =>
      window.harness.settle(
        Promise.race([p, new Promise((_, j) => setTimeout(() => j(new Error('no answer in 10 s')), 10_000))]),
      );
    return {
      nextOffset: await settle(log.nextOffset()),
      consume: await settle(log.consume(0, 10)),
      get: await settle(log.get(0)),
      stat: await settle(log.stat()),
      sync: await settle(log.sync()),
      publish: log.isOwner === undefined ? null : await settle(log.publish([{ value: bytes('after') }])),
    };
  }, name);
}

async function expectEveryCallRemoved(page: Page, name: string, readonly = false) {
  const calls = await everyCall(page, name);
  for (const [call, settled] of Object.entries(calls)) {
    if (call === 'publish' && readonly) continue;
    expect(settled, `${name}.${call}`).toMatchObject(REMOVED);
  }
  expect(
    await page.evaluate((n) => window.harness.settle(window.harness.log(n).close()), name),
    `${name}.close`,
  ).toMatchObject({ ok: true });
}

/** What "Clear site data" does: the origin's file systems and IndexedDB go, under the open logs. */
async function clearOrigin(engine: string, context: BrowserContext, page: Page, profileDir: string, baseURL: string) {
  if (engine === 'chromium') {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', {
      origin: new URL(baseURL).origin,
      storageTypes: 'file_systems,indexeddb',
    });
    await cdp.detach();
    return;
  }
  // Firefox keeps an origin's storage in the profile, one folder per origin.
  const storage = join(profileDir, 'storage', 'default');
  const port = new URL(baseURL).port;
  const origin = readdirSync(storage).find((d) => d === `http+++localhost+${port}`);
  expect(origin, `the origin's folder in ${storage}`).toBeDefined();
  rmSync(join(storage, origin!), { recursive: true, force: true });
}

test('clearing the site data under a writer tab, a second writer tab and a reader: every tab rejects StorageRemoved, and an open afterwards starts a new log', async ({
  page,
  context,
  newHarnessPage,
  engine,
  profileDir,
  baseURL,
}) => {
  const b = await newHarnessPage();
  const r = await newHarnessPage();
  expect(await openAs(page, 'a', { createDirs: true })).toMatchObject({ ok: true });
  expect(await openAs(b, 'b', { createDirs: true })).toMatchObject({ ok: true });
  expect(await publish(page, 'a', 'from a')).toMatchObject({ ok: true, value: 1 });
  expect(await publish(b, 'b', 'from b')).toMatchObject({ ok: true, value: 2 });
  expect(await sync(page, 'a')).toMatchObject({ ok: true, value: 2 });
  expect(await openAs(r, 'r', { readonly: true })).toMatchObject({ ok: true });

  await clearOrigin(engine, context, page, profileDir, baseURL!);

  // A publish may still be taken before the log finds out; a sync never resolves.
  const first = await publish(page, 'a', 'after the clear');
  if (!first.ok) expect(first).toMatchObject(REMOVED);
  expect(await sync(page, 'a')).toMatchObject(REMOVED);
  await expectEveryCallRemoved(page, 'a');
  await expectEveryCallRemoved(b, 'b');
  // The reader reads through the files by name: it finds them gone. Its first call may still answer
  // from a file snapshot taken before the clear, which Chromium can read for a moment after it (seen
  // once in three CI runs on a loaded machine), so it is asked until it finds out. (Firefox goes on
  // listing files whose folder was removed behind its back, so there the reader's case is the last
  // test's: its directory removed by another tab.)
  if (engine === 'chromium') {
    const nextOffset = () => r.evaluate(() => window.harness.settle(window.harness.log('r').nextOffset()));
    await expect.poll(nextOffset, { timeout: 10_000 }).toMatchObject(REMOVED);
    await expectEveryCallRemoved(r, 'r', true);
  }

  // The owner let go of its locks. Chromium keeps the removed head's sync access handle (its close
  // never returns) until the browser restarts: there the same path stays Locked. Elsewhere an open
  // there starts a new, empty log in each tab.
  if (engine === 'chromium') {
    expect(await openAs(page, 'a2', { createDirs: true })).toMatchObject({ ok: false, code: 'Locked' });
    return;
  }
  expect(await openAs(page, 'a2', { createDirs: true })).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.harness.log('a2').nextOffset())).toBe(0);
  expect(await publish(page, 'a2', 'new log')).toMatchObject({ ok: true, value: 1 });
  expect(await openAs(b, 'b2', { createDirs: true })).toMatchObject({ ok: true });
  expect(await publish(b, 'b2', 'new log, second tab')).toMatchObject({ ok: true, value: 2 });
  expect(await sync(b, 'b2')).toMatchObject({ ok: true, value: 2 });
  expect(
    await page.evaluate(() =>
      window.harness
        .log('a2')
        .close()
        .then(() => 'closed'),
    ),
  ).toBe('closed');
  expect(
    await b.evaluate(() =>
      window.harness
        .log('b2')
        .close()
        .then(() => 'closed'),
    ),
  ).toBe('closed');
});

test('an exclusive writer whose site data is cleared rejects sync StorageRemoved and releases the log', async ({
  page,
  context,
  engine,
  profileDir,
  baseURL,
}) => {
  expect(await openAs(page, 'x', { createDirs: true, exclusive: true, autoSync: true })).toMatchObject({ ok: true });
  expect(await publish(page, 'x', 'one')).toMatchObject({ ok: true, value: 1 });
  await clearOrigin(engine, context, page, profileDir, baseURL!);
  // autoSync: the publish itself promises the message is on disk, so it finds out.
  expect(await publish(page, 'x', 'two')).toMatchObject(REMOVED);
  await expectEveryCallRemoved(page, 'x');
  const x2 = await openAs(page, 'x2', { createDirs: true, exclusive: true });
  if (engine === 'chromium') {
    // See the first test: Chromium keeps the removed head's handle, so the same path stays Locked.
    expect(x2).toMatchObject({ ok: false, code: 'Locked' });
    return;
  }
  // The log let go of its locks: none of the origin's held locks is the log's any more.
  const held = () => page.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name) ?? []);
  await expect.poll(held).not.toContainEqual(expect.stringContaining(DIR));
  // Firefox 153 then refuses this page the origin's file system for good ("Could not create actor"):
  // its origin folder was removed behind it, which is how this test clears it there. Firefox 140 let
  // a new log open; either way, an open says so with a LogError rather than hang or write into nothing.
  if ((x2 as { code?: string }).code === 'Unsupported') {
    expect(x2).toMatchObject({
      ok: false,
      isLogError: true,
      error: expect.stringContaining('origin private file system'),
    });
    return;
  }
  expect(x2).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.harness.log('x2').nextOffset())).toBe(0);
  await page.evaluate(() => window.harness.log('x2').close());
});

test('a readonly log whose directory another tab removes rejects StorageRemoved, and a writer there starts a new log', async ({
  page,
  newHarnessPage,
}) => {
  expect(await openAs(page, 'w', { createDirs: true })).toMatchObject({ ok: true });
  expect(await publish(page, 'w', 'one')).toMatchObject({ ok: true, value: 1 });
  await page.evaluate(() => window.harness.log('w').close());
  const r = await newHarnessPage();
  expect(await openAs(r, 'r', { readonly: true })).toMatchObject({ ok: true });
  expect(await r.evaluate(() => window.harness.log('r').nextOffset())).toBe(1);

  // No writer holds a file: the browser lets another tab remove the directory.
  const removed = await page.evaluate(async (top) => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(top, { recursive: true });
    return 'removed';
  }, DIR.split('/')[0]!);
  expect(removed).toBe('removed');
  await expectEveryCallRemoved(r, 'r', true);

  expect(await openAs(page, 'w2', { createDirs: true })).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.harness.log('w2').nextOffset())).toBe(0);
  await page.evaluate(() => window.harness.log('w2').close());
});
