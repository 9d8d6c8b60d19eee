// Browser tests run in real Chromium with *persistent* profiles: Playwright's
// default (incognito-like) contexts keep OPFS in memory behind IPC, 20-30x
// slower per call (measured: 1000 small writes ~700 ms against ~25 ms) and not what users run.
//
// - `test`: every test gets its own Chromium on a fresh profile, deleted
//   afterwards: fresh OPFS, IndexedDB and Web Locks. For the browser-only
//   specs, which close tabs, crash renderers, kill the browser, change quota.
// - `contractTest`: the contract cases, many and short, share one Chromium per
//   Playwright worker; each gets a new tab after OPFS and IndexedDB are wiped.
//   (A fresh Chromium per test would cost ~1.5 s of launch and load each.)
import { test as base, chromium, expect } from '@playwright/test';
import type { BrowserContext, Page, TestInfo } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath } from '../../scripts/chromium-path.mjs';

export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The page that loads `open` and the contract cases (tests/browser/harness.ts). */
export const HARNESS = '/tests/browser/harness.html';

function newProfileDir(): string {
  return mkdtempSync(join(tmpdir(), 'opfs-log-profile-'));
}

function removeProfileDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

function launchChromium(profileDir: string, baseURL: string | undefined): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL,
  });
}

/** Loads the harness page and waits until its module has run. */
export async function gotoHarness(page: Page): Promise<void> {
  await page.goto(HARNESS);
  await page.waitForFunction(() => window.harness !== undefined);
}

/** Collects the console of `context`'s tabs; attaches it to the test if it failed. */
function recordConsole(context: BrowserContext, testInfo: TestInfo): () => Promise<void> {
  const lines: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.stack ?? e.message}`));
    page.on('crash', () => lines.push('[crash]'));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return async () => {
    context.off('page', watch);
    if (testInfo.status !== testInfo.expectedStatus && lines.length > 0) {
      await testInfo.attach('browser console', { body: lines.join('\n'), contentType: 'text/plain' });
    }
  };
}

interface Fixtures {
  /** The profile directory of this test; a relaunch with `launch()` reuses it. */
  profileDir: string;
  /** Launches Chromium on `profileDir`; every context launched is closed after the test. */
  launch: () => Promise<BrowserContext>;
  /** Opens a new tab of `context` (or of the given one) on the harness. */
  newHarnessPage: (context?: BrowserContext) => Promise<Page>;
}

export const test = base.extend<Fixtures>({
  profileDir: async ({}, use) => {
    const dir = newProfileDir();
    await use(dir);
    removeProfileDir(dir);
  },

  launch: async ({ profileDir, baseURL }, use) => {
    const launched: BrowserContext[] = [];
    await use(async () => {
      const context = await launchChromium(profileDir, baseURL);
      launched.push(context);
      return context;
    });
    for (const context of launched) await context.close().catch(() => {});
  },

  context: async ({ launch }, use, testInfo) => {
    const context = await launch();
    const attachConsole = recordConsole(context, testInfo);
    await use(context);
    await attachConsole();
  },

  /** The first tab, already on the harness. */
  page: async ({ context }, use) => {
    const page = context.pages()[0] ?? (await context.newPage());
    await gotoHarness(page);
    await use(page);
  },

  newHarnessPage: async ({ context }, use) => {
    await use(async (ctx = context) => {
      const page = await ctx.newPage();
      await gotoHarness(page);
      return page;
    });
  },
});

/**
 * Deletes everything in the origin's OPFS and every IndexedDB database. The
 * previous test's tab is closed, but its worker may hold files a moment
 * longer: a failed attempt is retried for a while.
 */
async function wipeStorage(page: Page): Promise<void> {
  const error = await page.evaluate(async () => {
    let last = '';
    for (let attempt = 0; attempt < 20; attempt++) {
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
  });
  if (error !== null) throw new Error(`could not wipe OPFS and IndexedDB before the test: ${error}`);
}

export const contractTest = base.extend<{}, { sharedContext: () => Promise<BrowserContext> }>({
  sharedContext: [
    async ({}, use, workerInfo) => {
      const profileDir = newProfileDir();
      const baseURL = workerInfo.project.use.baseURL;
      const browser: { context: Promise<BrowserContext> | null } = { context: null };
      await use(() => {
        // Relaunch if a test took the browser down.
        browser.context ??= launchChromium(profileDir, baseURL).then((context) => {
          context.on('close', () => (browser.context = null));
          return context;
        });
        return browser.context;
      });
      if (browser.context) await (await browser.context).close().catch(() => {});
      removeProfileDir(profileDir);
    },
    { scope: 'worker' },
  ],

  context: async ({ sharedContext }, use) => {
    await use(await sharedContext());
  },

  /** A new tab on the harness, after OPFS and IndexedDB are wiped; closed after the test. */
  page: async ({ context }, use, testInfo) => {
    const page = await context.newPage();
    const attachConsole = recordConsole(context, testInfo);
    await gotoHarness(page);
    await wipeStorage(page);
    await use(page);
    await attachConsole();
    await page.close().catch(() => {});
  },
});

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
    if (argv.includes(`--user-data-dir=${profileDir}`) && !argv.some((a) => a.startsWith('--type='))) return Number(entry);
  }
  throw new Error(`no browser process for ${profileDir}`);
}

export { expect };
