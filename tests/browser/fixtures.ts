// Browser tests run in real Chromium and Firefox (one Playwright project
// each) with *persistent* profiles: Playwright's default (incognito-like)
// contexts keep OPFS in memory behind IPC, 20-30x slower per call (measured
// in Chromium: 1000 small writes ~700 ms against ~25 ms) and not what users run.
//
// Each Playwright worker keeps one browser on a profile of its own, which its
// tests share (a launch per test costs ~1.5 s in Chromium, ~1.5-4 s and more
// CPU in Firefox):
// - `test`: each test gets its tabs on a fresh origin (OPFS, IndexedDB and
//   local and session storage wiped, no Web Lock held); its tabs are closed
//   after it, but for its first one, into which the next test loads the
//   harness again, and up to three more that `newHarnessPage` opened, which
//   the next test of the same file gets from `newHarnessPage` (a new
//   document each, cheaper than a new tab in Firefox). A test that kills or
//   relaunches the browser, crashes a renderer, changes quota or prefs,
//   works on the profile's files or downloads asks for a browser of its own
//   on a fresh profile: `test.use({ browserPerTest: true })`.
// - `contractTest`: the contract cases, many and short; a case that passed
//   leaves its tab (wiped again) to the next.
import { test as base, expect } from '@playwright/test';
import type { BrowserContext, ConsoleMessage, Page, TestInfo } from '@playwright/test';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../../scripts/browsers.mjs';
import type { BrowserName } from '../../scripts/browsers.mjs';

export { CHROMIUM_ARGS } from '../../scripts/browsers.mjs';

/** The page that loads `open` and the contract cases (tests/browser/harness.ts). */
export const HARNESS = '/tests/browser/harness.html';

/**
 * Firefox preferences of every launch here, over scripts/browsers.mjs's: fewer
 * processes per browser (no content process launched ahead for a tab that may
 * never come, no socket, privileged-content or extensions process: their work
 * runs where it is needed or in the parent). A launch with two tabs took
 * ~3.2 s of CPU and 12 processes without them, ~2.6 s and 7 with them
 * (measured here), and the tier launches Firefox some 60 times. The tests do
 * not see them: each tab of the site still gets a content process of its own
 * (up to 4).
 */
const FIREFOX_TEST_PREFS = {
  'dom.ipc.processPrelaunch.enabled': false,
  'network.process.enabled': false,
  'browser.tabs.remote.separatePrivilegedContentProcess': false,
  'extensions.webextensions.remote': false,
};

/** `launchBrowser` with `FIREFOX_TEST_PREFS` under the test's own. */
function launchFor(
  engine: BrowserName,
  profileDir: string,
  options: {
    baseURL?: string;
    downloadsPath?: string;
    firefoxUserPrefs?: Record<string, string | number | boolean>;
  } = {},
): Promise<BrowserContext> {
  return launchBrowser(engine, profileDir, {
    ...options,
    firefoxUserPrefs: { ...FIREFOX_TEST_PREFS, ...options.firefoxUserPrefs },
  });
}

/**
 * Ends a browser whose profile is deleted next. Firefox is killed: its
 * graceful shutdown writes the session and its databases for a profile that
 * is about to go (~0.5 s of CPU and ~0.7 s each, measured here). Chromium's
 * close is cheap.
 */
async function discardBrowser(context: BrowserContext, engine: BrowserName, profileDir: string): Promise<void> {
  const closed = new Promise((resolve) => context.once('close', resolve));
  let pid: number | null = null;
  try {
    if (engine === 'firefox') pid = browserPid(profileDir);
  } catch {} // gone already, or not found: closed below
  if (pid === null) return context.close().catch(() => {});
  process.kill(pid, 'SIGKILL');
  await closed;
}

let firefoxTemplate: Promise<string> | null = null;

/**
 * A Firefox profile that Firefox has started on once and closed: no site
 * data, but its first-run work done. A new profile copied from it starts in
 * ~1.5 s and ~3.5 s of CPU, against ~3.3 s and ~5.5 s from nothing (measured
 * here), which adds up over a browser tier that launches Firefox per test.
 * One per Playwright worker process, removed when it exits.
 */
function firefoxTemplateDir(): Promise<string> {
  firefoxTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opfs-log-firefox-template-'));
    process.once('exit', () => removeProfileDir(dir));
    await (await launchFor('firefox', dir)).close();
    return dir;
  })();
  return firefoxTemplate;
}

/** An empty profile directory for `engine` (for Firefox, a copy of the template). */
async function newProfileDir(engine: BrowserName): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'opfs-log-profile-'));
  if (engine === 'firefox') cpSync(await firefoxTemplateDir(), dir, { recursive: true });
  return dir;
}

function removeProfileDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** The browser of the running project (playwright.config.ts names one per project). */
function browserOf(name: string | undefined): BrowserName {
  return name === 'firefox' ? 'firefox' : 'chromium';
}

const DOWNLOAD_WAIT_MS = 30_000;
/** Looks, 100 ms apart, for which the new file must stay as it is before it counts as complete. */
const DOWNLOAD_STILL_LOOKS = 5;

/**
 * The file that appears in `dir` (not in `before`) once complete. Firefox
 * writes a download under a temporary name first (`.part`, or a random
 * name with the same extension) and then renames it: a file counts once it
 * is the only new one and its name and size held still for
 * `DOWNLOAD_STILL_LOOKS` looks.
 */
async function waitForNewFile(dir: string, before: Set<string>): Promise<{ path: string; name: string }> {
  const deadline = Date.now() + DOWNLOAD_WAIT_MS;
  let last = '';
  let still = 0;
  while (Date.now() < deadline) {
    const names = readdirSync(dir).filter((n) => !before.has(n));
    let seen = '';
    if (names.length === 1 && !names[0]!.endsWith('.part')) {
      try {
        seen = `${names[0]}:${statSync(join(dir, names[0]!)).size}`;
      } catch {
        // renamed between the listing and the stat: look again
      }
    }
    still = seen !== '' && seen === last ? still + 1 : 0;
    last = seen;
    if (still >= DOWNLOAD_STILL_LOOKS) return { path: join(dir, names[0]!), name: names[0]! };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no download finished in ${dir} within ${DOWNLOAD_WAIT_MS / 1000} s`);
}

/**
 * `page.evaluate(fn, arg)` for a result that is plain JSON (numbers, strings,
 * booleans, null, arrays and objects; an undefined property is left out),
 * handed back as one string. Playwright hands back a structured result value
 * by value: 100k rows of 4 values took 27 s in Firefox and 9 s in Chromium,
 * as JSON 0.8 s and 0.4 s (measured here). For the large results: a log read
 * back whole, a run's history.
 */
export async function evaluateJson<R, A>(page: Page, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  // Playwright sends a function to the page as its source, so the wrapper is built from fn's source.
  const wrapper = new Function(
    'arg',
    `return (async () => JSON.stringify((await (${fn.toString()})(arg)) ?? null))();`,
  );
  return JSON.parse(await page.evaluate(wrapper as (arg: unknown) => Promise<string>, arg as unknown)) as R;
}

/** Loads the harness page and waits until its module has run. */
export async function gotoHarness(page: Page): Promise<void> {
  await page.goto(HARNESS);
  await page.waitForFunction(() => window.harness !== undefined);
}

/** Collects the console of `context`'s tabs; attaches it to the test if it failed. */
function recordConsole(context: BrowserContext, testInfo: TestInfo): () => Promise<void> {
  const lines: string[] = [];
  const onConsole = (m: ConsoleMessage) => lines.push(`[${m.type()}] ${m.text()}`);
  const onError = (e: Error) => lines.push(`[pageerror] ${e.stack ?? e.message}`);
  const onCrash = () => lines.push('[crash]');
  const watched: Page[] = [];
  const watch = (page: Page) => {
    page.on('console', onConsole);
    page.on('pageerror', onError);
    page.on('crash', onCrash);
    watched.push(page);
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return async () => {
    context.off('page', watch);
    for (const page of watched) {
      page.off('console', onConsole);
      page.off('pageerror', onError);
      page.off('crash', onCrash);
    }
    if (testInfo.status !== testInfo.expectedStatus && lines.length > 0) {
      await testInfo.attach('browser console', { body: lines.join('\n'), contentType: 'text/plain' });
    }
  };
}

export interface Fixtures {
  /**
   * A browser of this test's own, on a fresh profile, instead of the
   * worker's shared one (`test.use({ browserPerTest: true })`): for tests that
   * kill or relaunch the browser, crash a renderer, change quota or prefs,
   * read the profile's files or download. Needed by `profileDir`, `launch`,
   * `relaunch`, `killBrowser`, `download` and `firefoxPrefs`, which say so if it is missing.
   */
  browserPerTest: boolean;
  /** The profile directory of this test; a relaunch with `launch()` reuses it. */
  profileDir: string;
  /** Launches this project's browser on `profileDir`; every context launched is closed after the test. */
  launch: () => Promise<BrowserContext>;
  /** Which browser this project runs: 'chromium' or 'firefox'. */
  engine: BrowserName;
  /** Firefox preferences for this test's launches (`test.use({ firefoxPrefs })`); Chromium ignores them. */
  firefoxPrefs: Record<string, string | number | boolean>;
  /** Where this test's browser saves downloads (empty at the start). */
  downloadsDir: string;
  /**
   * Runs `trigger` (which makes `page` download a file, e.g. an `<a download>`
   * click) and resolves to the saved file's path and name. Chromium reports
   * the download to Playwright; Firefox (stock, over WebDriver BiDi) does not
   * for a `blob:` URL, but saves the file into `downloadsDir` under its name,
   * so there the file itself is awaited until complete.
   */
  download: (page: Page, trigger: () => Promise<unknown>) => Promise<{ path: string; name: string }>;
  /**
   * A tab of `context` (or of the given one) on the harness, on a document of
   * its own: in the shared browser maybe one an earlier test of the same file
   * used (see `SharedBrowser.spares`), else a new tab.
   */
  newHarnessPage: (context?: BrowserContext) => Promise<Page>;
  /** Kills this test's browser (SIGKILL to its main process, found by its profile) and waits until `context` is gone. */
  killBrowser: (context: BrowserContext) => Promise<void>;
  /** Launches the browser again on `profileDir` and resolves to its first tab, on the harness. */
  relaunch: () => Promise<{ context: BrowserContext; page: Page }>;
  /**
   * "Another device": this project's browser on a profile of its own (its
   * own OPFS, IndexedDB and locks), on the harness; closed and deleted after the test.
   */
  anotherDevice: () => Promise<Page>;
}

/** The browser the tests of one Playwright worker share (`test` unless `browserPerTest`, and `contractTest`). */
interface SharedBrowser {
  /** Its context: launched on first use, and again if a test took the browser down. */
  context: () => Promise<BrowserContext>;
  /** Its profile directory. */
  profileDir: string;
  /** The harness tab a contract case that passed leaves for the next one (see `contractTest`). */
  kept: Page | null;
  /** The first tab of a `test` that passed, left for the next test to load the harness into again (see `test`'s `page`). */
  reusable: Page | null;
  /** That tab once the next test's `context` loaded the harness into it again, for its `page` to take. */
  reloaded: Page | null;
  /**
   * Other tabs that `newHarnessPage` opened for a test that passed, for the
   * next test of the same file (`sparesFile`): its `context` loads the harness
   * into them again, and its `newHarnessPage` calls take them.
   */
  spares: Page[];
  sparesFile: string;
}

/** How many tabs besides the first the shared browser keeps: the reader specs ask for one more, tabs.spec for up to three. */
const MAX_SPARES = 3;

/**
 * The worker-scoped part, one for `test` and `contractTest` alike: with the
 * same worker fixtures they run in the same worker processes, which keep
 * their browser from one spec file to the next.
 */
const shared = base.extend<Record<never, never>, { sharedBrowser: SharedBrowser }>({
  sharedBrowser: [
    async ({}, use, workerInfo) => {
      const engine = browserOf(workerInfo.project.use.browserName);
      const profileDir = await newProfileDir(engine);
      const baseURL = workerInfo.project.use.baseURL;
      const state: { launched: Promise<BrowserContext> | null } = { launched: null };
      const browser: SharedBrowser = {
        context: () => {
          state.launched ??= launchFor(engine, profileDir, { baseURL }).then((context) => {
            context.on('close', () => {
              state.launched = null;
              browser.kept = null;
              browser.reusable = null;
              browser.reloaded = null;
              browser.spares = [];
            });
            return context;
          });
          return state.launched;
        },
        profileDir,
        kept: null,
        reusable: null,
        reloaded: null,
        spares: [],
        sparesFile: '',
      };
      await use(browser);
      if (state.launched) await discardBrowser(await state.launched, engine, profileDir);
      removeProfileDir(profileDir);
    },
    { scope: 'worker' },
  ],
});

const needsOwnBrowser = (what: string) =>
  new Error(`${what} needs a browser of the test's own: test.use({ browserPerTest: true }) in its file or describe()`);

/**
 * `test`: by default a test runs in the browser its Playwright worker shares
 * with the tests before it, in tabs of its own, on an origin wiped of what
 * they left (OPFS, IndexedDB, localStorage, with no Web Lock held): a fresh
 * origin, as a fresh profile would give, without launching a browser per test
 * (~1.5 s in Chromium, ~1.5–4 s and more CPU in Firefox). Every tab a test
 * opened is closed after it. With `browserPerTest`, it gets a browser of its
 * own on a fresh profile, deleted afterwards.
 */
export const test = shared.extend<Fixtures>({
  browserPerTest: [false, { option: true }],

  profileDir: async ({ engine, browserPerTest, sharedBrowser }, use) => {
    // A shared browser's profile holds what earlier tests left (wiped from its origin, but
    // there): a test that reads or changes the profile itself has a browser of its own.
    if (!browserPerTest) return use(sharedBrowser.profileDir);
    const dir = await newProfileDir(engine);
    await use(dir);
    removeProfileDir(dir);
  },

  engine: async ({ browserName }, use) => {
    await use(browserOf(browserName));
  },

  firefoxPrefs: [{}, { option: true }],

  downloadsDir: async ({}, use, testInfo) => {
    const dir = testInfo.outputPath('downloads');
    mkdirSync(dir, { recursive: true });
    await use(dir);
  },

  download: async ({ engine, downloadsDir, browserPerTest }, use, testInfo) => {
    // The shared browser was launched without this test's downloads folder.
    if (!browserPerTest) throw needsOwnBrowser('download');
    await use(async (page, trigger) => {
      if (engine === 'chromium') {
        const [dl] = await Promise.all([page.waitForEvent('download'), trigger()]);
        const path = testInfo.outputPath(dl.suggestedFilename());
        await dl.saveAs(path);
        return { path, name: dl.suggestedFilename() };
      }
      const before = new Set(readdirSync(downloadsDir));
      await trigger();
      return waitForNewFile(downloadsDir, before);
    });
  },

  launch: async ({ browserPerTest, profileDir, baseURL, engine, firefoxPrefs, downloadsDir }, use) => {
    let open: BrowserContext | null = null; // one at a time: a launch on a profile in use fails
    await use(async () => {
      if (!browserPerTest) throw needsOwnBrowser('launch (and relaunch)');
      const context = await launchFor(engine, profileDir, {
        baseURL,
        downloadsPath: downloadsDir,
        firefoxUserPrefs: firefoxPrefs,
      });
      open = context;
      context.once('close', () => {
        if (open === context) open = null;
      });
      return context;
    });
    if (open) await discardBrowser(open, engine, profileDir);
  },

  context: async ({ browserPerTest, launch, sharedBrowser, firefoxPrefs }, use, testInfo) => {
    if (!browserPerTest && Object.keys(firefoxPrefs).length > 0) throw needsOwnBrowser('firefoxPrefs');
    const context = browserPerTest ? await launch() : await sharedBrowser.context();
    // The last test's tabs get new documents before anything of this test runs: their
    // workers, logs, locks and timers go with the old ones (see `page` and `newHarnessPage`).
    if (!browserPerTest) {
      const [reloaded] = await Promise.all([
        reloadReusable(sharedBrowser, context),
        reloadSpares(sharedBrowser, context, testInfo.file),
      ]);
      sharedBrowser.reloaded = reloaded;
    }
    const attachConsole = recordConsole(context, testInfo);
    await use(context);
    await attachConsole();
    sharedBrowser.reloaded = null;
    // The shared browser goes on to the next test with none of this one's tabs but those
    // left for the next tests (its first one and the spares), which get new documents.
    if (!browserPerTest) {
      const closing = context
        .pages()
        .filter((page) => page !== sharedBrowser.reusable && !sharedBrowser.spares.includes(page));
      await Promise.all(closing.map((page) => page.close().catch(() => {})));
    }
  },

  /**
   * The first tab, on the harness. In the shared browser, every other tab but
   * the spares is closed (a contract case's kept tab too) and the origin
   * wiped; the tab is the last test's first one with the harness loaded again
   * (a new document: what the last test ran in it is gone), or a new tab
   * where there is none. A new tab costs Firefox a new content process (~0.8
   * s of CPU), a load into an open tab does not. A tab is left to the next test only if its
   * test passed and gave it no listener, exposed function or route of its own.
   */
  page: async ({ browserPerTest, context, sharedBrowser }, use, testInfo) => {
    if (browserPerTest) {
      const page = context.pages()[0] ?? (await context.newPage());
      await gotoHarness(page);
      await use(page);
      return;
    }
    sharedBrowser.kept = null;
    const reloaded = sharedBrowser.reloaded;
    sharedBrowser.reloaded = null;
    await Promise.all(
      context
        .pages()
        .filter((page) => page !== reloaded && !sharedBrowser.spares.includes(page))
        .map((page) => page.close().catch(() => {})),
    );
    const page = reloaded ?? (await context.newPage());
    if (!reloaded) await gotoHarness(page);
    await wipeOrigin(page);
    const before = pageState(page);
    await use(page);
    if (testInfo.status === testInfo.expectedStatus && !page.isClosed() && pageState(page) === before)
      sharedBrowser.reusable = page;
  },

  killBrowser: async ({ browserPerTest, profileDir }, use) => {
    await use(async (context) => {
      if (!browserPerTest) throw needsOwnBrowser('killBrowser');
      const closed = new Promise((resolve) => context.once('close', resolve));
      process.kill(browserPid(profileDir), 'SIGKILL');
      await closed;
    });
  },

  relaunch: async ({ launch }, use) => {
    await use(async () => {
      const context = await launch();
      const page = context.pages()[0] ?? (await context.newPage());
      await gotoHarness(page);
      return { context, page };
    });
  },

  anotherDevice: async ({ engine, baseURL }, use) => {
    const launched: { context: BrowserContext; dir: string }[] = [];
    await use(async () => {
      const dir = await newProfileDir(engine);
      const context = await launchFor(engine, dir, { baseURL });
      launched.push({ context, dir });
      const page = context.pages()[0] ?? (await context.newPage());
      await gotoHarness(page);
      return page;
    });
    for (const { context, dir } of launched) {
      await discardBrowser(context, engine, dir);
      removeProfileDir(dir);
    }
  },

  /**
   * In the shared browser, a spare tab (see `spares`: on a new harness
   * document since this test began), else a new one. After a test that passed,
   * each tab it got here in the shared browser that is still open and that it
   * gave no listener, exposed function or route is left to the next test of
   * its file, up to `MAX_SPARES`.
   */
  newHarnessPage: async ({ context, browserPerTest, sharedBrowser }, use, testInfo) => {
    const handedOut = new Map<Page, string>(); // each shared tab, with its pageState when handed out
    await use(async (ctx = context) => {
      const shared = !browserPerTest && ctx === context;
      let page = shared ? sharedBrowser.spares.pop() : undefined;
      if (!page) {
        page = await ctx.newPage();
        await gotoHarness(page);
      }
      if (shared) handedOut.set(page, pageState(page));
      return page;
    });
    if (testInfo.status !== testInfo.expectedStatus) return;
    sharedBrowser.sparesFile = testInfo.file;
    for (const [page, state] of handedOut) {
      if (sharedBrowser.spares.length < MAX_SPARES && !page.isClosed() && pageState(page) === state)
        sharedBrowser.spares.push(page);
    }
  },
});

/**
 * What a test may have added to a tab that a new document would keep: listeners of the
 * Page object, exposed functions and routes (the last two from Playwright's client, where it has them).
 */
function pageState(page: Page): string {
  const own = page as unknown as {
    eventNames(): (string | symbol)[];
    listenerCount(name: string | symbol): number;
    _bindings?: Map<string, unknown>;
    _routes?: unknown[];
  };
  const listeners = own.eventNames().map((name) => `${String(name)}:${own.listenerCount(name)}`);
  return JSON.stringify([listeners, own._bindings?.size ?? -1, own._routes?.length ?? -1]);
}

/**
 * Takes the tab the last test left (`reusable`) and loads the harness into it
 * again; null where there is none, it is gone, or the load failed (then it is closed).
 */
async function reloadReusable(shared: SharedBrowser, context: BrowserContext): Promise<Page | null> {
  const page = shared.reusable;
  shared.reusable = null;
  if (!page || page.isClosed() || page.context() !== context) return null;
  try {
    await gotoHarness(page);
    return page;
  } catch {
    await page.close().catch(() => {});
    return null;
  }
}

/**
 * Loads the harness again into the spare tabs, for a test of the file that
 * left them (before its wipe: nothing the last test ran there is left), and
 * closes them for a test of another file, which would seldom use them. A
 * spare that is gone, of another browser or fails to load is dropped.
 */
async function reloadSpares(shared: SharedBrowser, context: BrowserContext, file: string): Promise<void> {
  const spares = shared.spares;
  shared.spares = [];
  const reloaded = await Promise.all(
    spares.map(async (page) => {
      if (file === shared.sparesFile && !page.isClosed() && page.context() === context) {
        try {
          await gotoHarness(page);
          // The tab's own sessionStorage outlives its documents (the explorer reopens its last log from there).
          await page.evaluate(() => sessionStorage.clear());
          return page;
        } catch {}
      }
      await page.close().catch(() => {});
      return null;
    }),
  );
  shared.spares = reloaded.filter((page) => page !== null);
}

/** Like `wipeStorage`, with one attempt: false where something still holds a file. */
async function tryWipe(page: Page): Promise<boolean> {
  return (await wipeAttempts(page, 1)) === null;
}

/**
 * Deletes everything in the origin's OPFS and every IndexedDB database. The
 * previous test's tab is closed, but its worker may hold files a moment
 * longer: a failed attempt is retried for a while.
 */
async function wipeStorage(page: Page): Promise<void> {
  const error = await wipeAttempts(page, 20);
  if (error !== null) throw new Error(`could not wipe OPFS and IndexedDB before the test: ${error}`);
}

/** Up to `attempts` tries, 100 ms apart; resolves to null once one succeeded, else the last error. */
function wipeAttempts(page: Page, attempts: number): Promise<string | null> {
  return page.evaluate(async (attempts) => {
    let last = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const root = await navigator.storage.getDirectory();
        // `keys()` is not in TypeScript's DOM lib without DOM.AsyncIterable.
        const names: string[] = [];
        for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
        for (const name of names) await root.removeEntry(name, { recursive: true });
        for (const { name } of await indexedDB.databases()) {
          if (name === undefined) continue;
          await new Promise<void>((resolve, reject) => {
            const request = indexedDB.deleteDatabase(name);
            request.onsuccess = () => resolve();
            request.onerror = () => reject(request.error);
          });
        }
        return null;
      } catch (err) {
        last = String(err);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return last;
  }, attempts);
}

/** How long a new test waits for the Web Locks of the tabs closed before it to be let go. */
const LOCKS_FREE_MS = 10_000;

/**
 * A fresh origin in the shared browser: OPFS and IndexedDB wiped, localStorage
 * cleared (the explorer keeps each log's options there), and no Web Lock held
 * or asked for: the closed tabs' workers let theirs go a moment after the tab
 * closes, and a writer lock still held would make the test's first open wait.
 */
async function wipeOrigin(page: Page): Promise<void> {
  await wipeStorage(page);
  const left = await page.evaluate(async (ms) => {
    localStorage.clear();
    sessionStorage.clear(); // the tab's own, which a tab the last test used still has
    const deadline = Date.now() + ms;
    for (;;) {
      const { held = [], pending = [] } = await navigator.locks.query();
      if (held.length + pending.length === 0) return null;
      if (Date.now() > deadline) return [...held, ...pending].map((lock) => `${lock.name} (${lock.mode})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, LOCKS_FREE_MS);
  if (left !== null)
    throw new Error(
      `Web Locks still held ${LOCKS_FREE_MS / 1000} s after the last test's tabs closed: ${left.join(', ')}`,
    );
}

/**
 * `contractTest`: the contract cases, many and short, in the worker's shared
 * browser. After a case that passed, the next one gets the same tab: each
 * case works in directories of its own and closes its logs, as the unit tier
 * runs them all in one process; a new tab costs more than the case (worse in
 * Firefox). After a failure, or where the wipe finds files still held, it is
 * a new tab.
 */
export const contractTest = shared.extend({
  context: async ({ sharedBrowser }, use) => {
    await use(await sharedBrowser.context());
  },

  page: async ({ context, sharedBrowser }, use, testInfo) => {
    // A `test`'s tabs left for the next tests may still run its logs: closed.
    const left = [sharedBrowser.reusable, ...sharedBrowser.spares];
    sharedBrowser.reusable = null;
    sharedBrowser.spares = [];
    await Promise.all(left.map((page) => page?.close().catch(() => {})));
    let page = sharedBrowser.kept;
    sharedBrowser.kept = null;
    if (page && (page.isClosed() || page.context() !== context || !(await tryWipe(page)))) {
      await page.close().catch(() => {});
      page = null;
    }
    if (!page) {
      page = await context.newPage();
      await gotoHarness(page);
      await wipeStorage(page);
    }
    const attachConsole = recordConsole(context, testInfo);
    await use(page);
    await attachConsole();
    if (testInfo.status === testInfo.expectedStatus && !page.isClosed()) sharedBrowser.kept = page;
    else await page.close().catch(() => {});
  },
});

/**
 * Whether `argv` is the main process of a browser on `profileDir`: Chromium
 * names it `--user-data-dir=DIR` (its helpers add `--type=…`), Firefox
 * `--profile DIR` (its content processes start with `-contentproc`).
 */
function isBrowserProcess(argv: string[], profileDir: string): boolean {
  if (argv.includes(`--user-data-dir=${profileDir}`)) return !argv.some((a) => a.startsWith('--type='));
  const at = argv.findIndex((a) => a === '--profile' || a === '-profile');
  return at >= 0 && argv[at + 1] === profileDir && !argv.includes('-contentproc');
}

/** The pid of the browser process (not a renderer or helper) running on `profileDir`. */
export function browserPid(profileDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (isBrowserProcess(argv, profileDir)) return Number(entry);
  }
  throw new Error(`no browser process for ${profileDir}`);
}

export { expect };

/** The files under `dir` that process `pid` has open (from /proc/<pid>/fd; none if it is gone or not ours). */
function filesUnder(pid: number | string, dir: string): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith(dir) ? [target.slice(dir.length + 1)] : [];
    } catch {
      return [];
    }
  });
}

/** The pids of processes with a file open under `dir`. */
function pidsWithFilesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && filesUnder(entry, dir).length > 0)
    .map(Number);
}

/** Whether process `pid` has ended (gone, or a zombie its parent has not reaped yet). */
function processEnded(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Crashes the renderer of `page`, the tab whose worker owns a log, and waits
 * until it is gone. Chromium is told to over the DevTools protocol
 * (`Page.crash`) and Playwright reports the crash. Firefox has no such
 * command, so its content process is killed (SIGKILL), the way a real crash
 * ends it: the process that holds this profile's OPFS files open
 * (`storage/default/<origin>/fs/`), which is the one running the owner's
 * worker. Firefox puts each tab of a site in its own process, up to
 * `dom.ipc.processCount.webIsolated` (4 by default), so with up to 4 tabs the
 * others live on; Playwright reports no crash there (the tab shows Firefox's
 * crash page), so this waits for the process to end.
 */
export async function crashRenderer(
  page: Page,
  context: BrowserContext,
  engine: BrowserName,
  profileDir: string,
): Promise<void> {
  if (engine === 'chromium') {
    const cdp = await context.newCDPSession(page);
    const crashed = page.waitForEvent('crash');
    void cdp.send('Page.crash').catch(() => {}); // never answers: the renderer is gone
    await crashed;
    return;
  }
  const storage = join(profileDir, 'storage', 'default');
  const main = browserPid(profileDir);
  const holders = pidsWithFilesUnder(storage).filter((pid) => pid !== main);
  if (holders.length !== 1) {
    const held = holders.map((pid) => `${pid}: ${filesUnder(pid, storage).join(' ')}`).join('\n');
    throw new Error(
      `expected one content process holding OPFS files under ${storage}, found ${holders.length}:\n${held}`,
    );
  }
  const [pid] = holders as [number];
  process.kill(pid, 'SIGKILL');
  while (!processEnded(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}
