// Service workers (issue 22 part 2): a real registered service worker
// (service-worker/sw.ts) publishes from its `fetch` and `message` handlers
// into a log that tabs of the origin publish to as well, and is stopped by
// the browser in the middle of it. Every publish that was acknowledged (to
// a tab, or by the service worker to the page that asked it) must be in the
// log once, whole, at the offsets its publish resolved to; one whose answer
// was lost may be there once or not at all; nothing is doubled.
//
// Chromium registers sw.ts as a module service worker, served by vite as it
// is; Firefox ESR, which has no module service workers, the same code bundled
// into a classic script (service-worker/classic-plugin.ts). Chromium stops
// the worker over the DevTools protocol (`ServiceWorker.stopWorker`, the
// version found from `ServiceWorker.workerVersionUpdated`), as it stops an
// idle one; Firefox has no such command over WebDriver BiDi: see `stopper`.
import { test as base, expect } from './fixtures.ts';
import type { BrowserName } from '../../scripts/browsers.mjs';
import type { BrowserContext, CDPSession, Page } from '@playwright/test';
import type { Options } from '../../src/index.ts';
import type { ReadBack, StreamPlan, StreamRecord } from './tabs-page.ts';
import type { SwKind, SwPlan, SwStreamRecord, Via } from './service-worker/page.ts';
import type { SwRequest } from './service-worker/requests.ts';

const PAGE = '/tests/browser/service-worker/page.html';
/** Small segments: the tests cross rollovers. */
const WRITER = { createDirs: true, keyIndex: true, rollover: 64 * 1024 } satisfies Options;
/** How long a step may take before the test calls it stuck. */
const STUCK_MS = 45_000;

/** Module service workers where the browser has them (not Firefox ESR). */
const kindFor = (engine: BrowserName): SwKind => (engine === 'chromium' ? 'module' : 'classic');

/** Stops the origin's running service worker, as the browser stops an idle one; null where the browser cannot be told to. */
interface Stopper {
  /** Stops the running worker whose script is ours; resolves once it is stopped. */
  stop(): Promise<void>;
  /** How many times it stopped one. */
  stops: number;
}

interface Version {
  versionId: string;
  scriptURL: string;
  runningStatus: string;
}

/**
 * Chromium: `ServiceWorker.stopWorker` on a CDP session of one of its tabs.
 * `ServiceWorker.enable` reports every version and each change of its
 * running status (`workerVersionUpdated`), which is how the running one's id
 * is found and its stop awaited.
 */
async function chromiumStopper(context: BrowserContext, page: Page): Promise<Stopper> {
  const cdp: CDPSession = await context.newCDPSession(page);
  const versions = new Map<string, Version>();
  const changed = new Set<() => void>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: updated }) => {
    for (const v of updated as Version[]) versions.set(v.versionId, v);
    for (const wake of changed) wake();
  });
  await cdp.send('ServiceWorker.enable');
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + STUCK_MS;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`the service worker: ${what} within ${STUCK_MS} ms`);
      await new Promise<void>((resolve) => {
        changed.add(resolve);
        setTimeout(resolve, 200);
      }).finally(() => changed.clear());
    }
  };
  const ours = () => [...versions.values()].filter((v) => v.scriptURL.includes('/service-worker/sw.'));
  const stopper: Stopper = {
    stops: 0,
    async stop() {
      let running: Version | undefined;
      await until(() => (running = ours().find((v) => v.runningStatus === 'running')) !== undefined, 'none running');
      await cdp.send('ServiceWorker.stopWorker', { versionId: running!.versionId });
      await until(() => versions.get(running!.versionId)?.runningStatus === 'stopped', 'not stopped');
      stopper.stops++;
    },
  };
  return stopper;
}

const test = base.extend<{ swPage: () => Promise<Page>; stopper: (page: Page) => Promise<Stopper | null> }>({
  // A service worker stays registered in the profile, and running beside it: a browser of the test's own.
  browserPerTest: true,
  /** A new tab on the page inside the service worker's scope, with its tools loaded. */
  swPage: async ({ context }, use) => {
    await use(async () => {
      const page = await context.newPage();
      await page.goto(PAGE);
      await page.waitForFunction(
        () => window.sw !== undefined && window.harness !== undefined && window.tabs !== undefined,
      );
      return page;
    });
  },
  stopper: async ({ context, engine }, use) => {
    await use(async (page) => (engine === 'chromium' ? chromiumStopper(context, page) : null));
  },
});

// ---------------------------------------------------------------------------
// Driving the tabs and the service worker

async function register(page: Page, kind: SwKind): Promise<void> {
  await page.evaluate((k) => window.sw.register(k), kind);
}

async function mustOpen(page: Page, dir: string, options: Options = WRITER): Promise<void> {
  expect(await page.evaluate(([d, o]) => window.harness.openAs('w', d, o), [dir, options] as const)).toMatchObject({
    ok: true,
  });
}

function startTab(page: Page, tag: string, plan: StreamPlan) {
  return page.evaluate(([t, p]) => window.tabs.start('w', t, p), [tag, plan] as const);
}

function startSw(page: Page, tag: string, via: Via, plan: SwPlan) {
  return page.evaluate(([t, v, p]) => window.sw.start(t, v, p), [tag, via, plan] as const);
}

/** Waits until the service worker's stream `tag` has `count` acknowledged publishes. */
async function swDone(page: Page, tag: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([t, c]) => window.sw.record(t).published.length >= c || !window.sw.record(t).running,
    [tag, count] as const,
    { polling: 20, timeout: STUCK_MS },
  );
}

// ---------------------------------------------------------------------------
// Judging a log read back

interface Promised {
  size: number;
  /**
   * Acknowledged publishes, by `tag:batch`: the next offset each resolved to
   * and, for the service worker's, the run that answered. Each is there once, whole.
   */
  present: Map<string, { next: number; run?: string }>;
  /** Batches whose outcome is unknown: there once, whole, or not at all. */
  maybe: Set<string>;
  /** Tags of tabs that went away: their batches from this one on are unknown (the record went with the tab). */
  goneFrom?: Map<string, number>;
}

function promisedBy(tabs: StreamRecord[], sws: SwStreamRecord[], size: number): Promised {
  const present: Promised['present'] = new Map();
  const maybe = new Set<string>();
  for (const r of tabs) {
    for (const d of r.published) present.set(`${r.tag}:${d.batch}`, { next: d.next });
    for (const f of r.failures) maybe.add(`${r.tag}:${f.batch}`);
  }
  for (const r of sws) {
    for (const d of r.published) present.set(`${r.tag}:${d.batch}`, { next: d.next, run: String(d.run) });
    for (const u of r.unknown) maybe.add(`${r.tag}:${u.batch}`);
  }
  return { size, present, maybe };
}

interface Verdict {
  /** Everything wrong with the log (at most 25 lines); empty if it is right. */
  problems: string[];
  /**
   * Batches the service worker published in two of its runs: the browser ran
   * the handler again for one request after stopping the worker in it
   * (Chromium dispatches a fetch event again once when its worker stopped
   * before answering). Two publish calls, each in the log once.
   */
  again: string[];
}

/** Judges the log `read` (page.ts's readAll: `tag:batch:index:run` per message) against what was promised. */
function judge(read: ReadBack, { size, present, maybe, goneFrom }: Promised): Verdict {
  const problems: string[] = [];
  const note = (line: string) => problems.length < 25 && problems.push(line);
  if (read.entries.length !== read.next)
    note(`read ${read.entries.length} messages, but the next offset is ${read.next}`);
  const gap = read.entries.findIndex(([offset], i) => offset !== i);
  if (gap >= 0) note(`offsets are not dense from 0: message ${gap} has offset ${read.entries[gap]![0]}`);
  // Each batch's copies, by the run that published them (a tab's messages have one "run").
  const batches = new Map<string, Map<string, [number, string][]>>();
  for (const [offset, head] of read.entries) {
    const [tag, batch, , run = ''] = head.split(':');
    const runs = batches.get(`${tag}:${batch}`) ?? new Map<string, [number, string][]>();
    batches.set(`${tag}:${batch}`, runs.set(run, [...(runs.get(run) ?? []), [offset, head]]));
  }
  const again: string[] = [];
  for (const [key, runs] of batches) {
    if (runs.size > 1) again.push(key);
    for (const [run, messages] of runs) {
      const first = messages[0]![0];
      const copies = messages.filter(([, h]) => h.startsWith(`${key}:0:`)).length;
      const whole = messages.every(([o, h], j) => o === first + j && h.startsWith(`${key}:${j}:`));
      if (copies > 1)
        note(`batch ${key} is in the log ${copies} times (offsets ${messages.map(([o]) => o).join(',')})`);
      else if (!whole || messages.length !== size)
        note(`batch ${key} is not whole and contiguous: ${messages.map(([o, h]) => `${o}=${h}`).join(' ')}`);
      const acked = present.get(key);
      if (acked && (acked.run === undefined || acked.run === run) && acked.next !== first + size)
        note(`batch ${key} is at ${first}, but its publish resolved to ${acked.next}`);
    }
    const [tag, batch] = key.split(':');
    const unknown = maybe.has(key) || Number(batch) >= (goneFrom?.get(tag!) ?? Number.POSITIVE_INFINITY);
    if (!present.has(key) && !unknown) note(`batch ${key} is in the log but was never published`);
  }
  for (const [key, { run }] of present) {
    if (!batches.get(key)?.has(run ?? batches.get(key)!.keys().next().value!))
      note(`acknowledged batch ${key}${run ? ` (run ${run})` : ''} is missing`);
  }
  return { problems, again };
}

function readAll(page: Page): Promise<ReadBack> {
  return page.evaluate(() => window.sw.readAll('w'));
}

// ---------------------------------------------------------------------------
// With tabs open: one more writer among them

test('a service worker among tabs, publishing from fetch and message, stopped mid-publish, taking over when the tabs go: every acknowledged publish once', async ({
  swPage,
  stopper,
  engine,
}, testInfo) => {
  const dir = 'sw/with-tabs';
  const size = 5;
  const driver = await swPage(); // drives the service worker; never opens the log
  await register(driver, kindFor(engine));
  const stops = await stopper(driver);
  const [a, b] = [await swPage(), await swPage()];
  await mustOpen(a, dir); // first: the owner
  await mustOpen(b, dir);
  const tabPlan: StreamPlan = { batches: 1_000_000, size, bytes: 60, sync: false, parallel: 2 };
  const swPlan: SwPlan = { dir, options: WRITER, batches: 1_000_000, size, bytes: 60 };
  await startTab(a, 'a', tabPlan);
  await startTab(b, 'b', tabPlan);
  await startSw(driver, 'f', 'fetch', swPlan);
  await startSw(driver, 'm', 'message', swPlan);
  const acked = () => driver.evaluate(() => window.sw.record('f').published.length);
  const after = async (more: number) => swDone(driver, 'f', (await acked()) + more);

  await after(10);
  await stops?.stop(); // a forwarder stopped mid-publish
  await after(10);
  // The owner tab closes mid-publish: its publishes in flight are unknown, the other tab takes over.
  const left = await a.evaluate(() => window.tabs.record('a'));
  await a.close();
  await after(10);
  // The last tab closes its log: the service worker is next in line and owns the files.
  const bRecord = await b.evaluate(() => window.tabs.stop('b'));
  await b.evaluate(() => window.harness.log('w').close());
  await driver.waitForFunction(() => window.sw.record('f').published.at(-1)?.owner === true, null, {
    timeout: STUCK_MS,
  });
  await after(10);
  await stops?.stop(); // stopped mid-publish while it owns the files
  await after(10);
  const [f, m] = [await driver.evaluate(() => window.sw.stop('f')), await driver.evaluate(() => window.sw.stop('m'))];
  expect(bRecord.failures, "the other tab's publishes").toEqual([]);
  expect(f.published.some((d) => d.owner) && f.published.some((d) => !d.owner)).toBe(true);

  // A tab opened now takes the files over and reads the log.
  const reader = await swPage();
  await mustOpen(reader, dir);
  // What the closed tab published from its first batch not in the record read before it closed is unknown.
  const recorded = new Set(left.published.map((d) => d.batch));
  let firstUnknown = 0;
  while (recorded.has(firstUnknown)) firstUnknown++;
  const goneFrom = new Map([['a', firstUnknown]]);
  const { problems, again } = judge(await readAll(reader), { ...promisedBy([left, bRecord], [f, m], size), goneFrom });
  expect(problems).toEqual([]);
  const runs = new Set([...f.published, ...m.published].map((d) => d.run)).size;
  if (stops) expect(runs, 'runs of the service worker that answered').toBeGreaterThan(1);
  testInfo.annotations.push({
    type: 'service worker',
    description: `${stops?.stops ?? 0} stops, ${runs} runs; acknowledged ${f.published.length} by fetch (${f.published.filter((d) => d.owner).length} as the owner) and ${m.published.length} by message; lost answers ${f.unknown.length + m.unknown.length}; published again by the browser ${again.join(' ') || 'none'}`,
  });
});

// ---------------------------------------------------------------------------
// No tab open: the service worker owns the files, then hands them to a tab

function swAsk(page: Page, via: Via, request: SwRequest) {
  return page.evaluate(([v, r]) => window.sw.call(v, r), [via, request] as const);
}

test('with no tab open the service worker owns the log; a tab that opens it later sees its messages and takes the files over', async ({
  swPage,
  stopper,
  engine,
}, testInfo) => {
  const dir = 'sw/alone';
  const size = 4;
  const page = await swPage(); // registers the service worker; never opens the log
  await register(page, kindFor(engine));
  const stops = await stopper(page);
  const plan: SwPlan = { dir, options: WRITER, batches: 30, size, bytes: 60 };

  // Alone: the service worker opens the log and owns its files (the asynchronous backend).
  await startSw(page, 'f', 'fetch', plan);
  await swDone(page, 'f', 10);
  await stops?.stop(); // stopped mid-publish while it owns the files
  const alone = await page.evaluate(() => window.sw.finish('f'));
  expect(alone.published.length).toBeGreaterThan(20);
  expect(alone.published.filter((d) => !d.owner)).toEqual([]);
  // A readonly log in the service worker reads what it wrote.
  const readonly = await swAsk(page, 'message', { op: 'read', dir, options: { readonly: true } });
  expect(readonly).toMatchObject({ ok: true, owner: false });

  // A tab opens the log while the service worker publishes: it sees everything so far and takes the files over.
  await startSw(page, 'm', 'message', { ...plan, batches: 1_000_000 }); // until stopped
  await swDone(page, 'm', 5);
  const tab = await swPage();
  await mustOpen(tab, dir);
  // Its first publishes go to the service worker, which steps down meanwhile.
  await startTab(tab, 't', { batches: 30, size, bytes: 60, sync: false, parallel: 2 });
  await tab.waitForFunction(() => window.harness.log('w').isOwner(), null, { timeout: STUCK_MS });
  const seen = await readAll(tab);
  const mine = (read: ReadBack, tag: string) => read.entries.filter(([, h]) => h.startsWith(`${tag}:`)).length;
  expect(mine(seen, 'f')).toBeGreaterThanOrEqual(alone.published.length * size);
  const handed = await page.evaluate(() => window.sw.record('m').published.length);
  await swDone(page, 'm', handed + 10);
  const [m, t] = await Promise.all([
    page.evaluate(() => window.sw.stop('m')),
    tab.evaluate(() => window.tabs.finish('t')),
  ]);
  expect(t.failures).toEqual([]);
  expect(m.unknown, 'publishes across the hand-over').toEqual([]);
  // From then on the service worker forwards to the tab.
  const handedAt = m.published.findIndex((d) => !d.owner);
  expect(handedAt, 'a service worker publish answered by the tab').toBeGreaterThan(0);
  expect(m.published.slice(handedAt).filter((d) => d.owner)).toEqual([]);
  expect(await swAsk(page, 'fetch', { op: 'owns', dir, options: WRITER })).toMatchObject({ ok: true, owner: false });

  const { problems } = judge(await readAll(tab), promisedBy([t], [alone, m], size));
  expect(problems).toEqual([]);
  expect((readonly as { entries: [number, string][] }).entries.length).toBeGreaterThanOrEqual(
    alone.published.length * size,
  );
  testInfo.annotations.push({
    type: 'service worker',
    description: `alone: ${alone.published.length} acknowledged, ${alone.unknown.length} lost, ${stops?.stops ?? 0} stops; handed over after ${handedAt} of ${m.published.length}`,
  });
});
