// A crash test of the async backend in WebKitGTK, as tests/browser/crash.spec.ts
// is for Chromium and Firefox: a page in MiniBrowser (crash.ts) streams
// numbered batches into a log, on `backend: 'auto'`, which picks the async
// backend there by itself; mid-stream, while commits run, the test kills WebKit
// (its network process, which does the storage work, or the whole MiniBrowser),
// then relaunches MiniBrowser on the same profile and has the page check the
// log: no partial batch, every publish that resolved before the kill there, and
// the log goes on (one more publish, then a checked reopen agrees).
//
// WebKit's writable `close()` truncates its target and refills it in place,
// so this is what shows the backend's commit (a new file moved over the old
// name: src/storage/opfs-async.ts) is what keeps a commit whole there.
import { test, expect } from '@playwright/test';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchMiniBrowser, newProfile, type MiniBrowser } from './minibrowser.ts';
import type { Report } from './protocol.ts';
import { startReportServer, type ReportServer } from './report-server.ts';
import { BATCH, CHECK_STEP, FIRST_BATCHES, STREAM_STEP, type CrashNote, type Found } from './crash-setup.ts';

const PAGE = '/tests/webkit/crash.html';
/** Longest wait for what a launch's page is to say next (its modules load first). */
const WAIT_MS = 60_000;
/** Kill once this many streamed publishes have resolved: commits are then running one after another. */
const KILL_AFTER = 10;
/**
 * And after up to this many ms more, at random: a commit of the head here
 * (~8 MB) takes longer than that, and a kill the moment a publish resolved
 * lands before the next commit's writable closes; spread, it also lands in
 * WebKit's copy of a closed writable into its target.
 */
const KILL_SPREAD_MS = 100;
/** `comm` of WebKitGTK's network process (at most 15 characters of `WebKitNetworkProcess`). */
const NETWORK_PROCESS = 'WebKitNetworkPr';

/**
 * Follows the launch's reports until `wanted` returns something; throws on a
 * step that failed, a page that could not run, MiniBrowser exiting, or
 * nothing for WAIT_MS.
 */
async function until<T>(
  server: ReportServer,
  browser: MiniBrowser,
  what: string,
  wanted: (note: CrashNote) => T | undefined,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  const exited = browser.exited.then(() => 'exited' as const);
  const uncaught: string[] = [];
  for (;;) {
    const report: Report | null | 'exited' = await Promise.race([
      server.nextReport(Math.max(0, deadline - Date.now())),
      exited,
    ]);
    const fail = (why: string) =>
      new Error(
        `waiting for ${what}: ${why}\nuncaught: ${uncaught.join('\n')}\nMiniBrowser printed:\n${browser.output()}`,
      );
    if (report === null) throw fail(`nothing for ${WAIT_MS / 1000} s`);
    if (report === 'exited') throw fail('MiniBrowser exited');
    if (report.type === 'fatal') throw fail(report.error);
    if (report.type === 'result' && !report.ok) throw fail(`${report.step} failed: ${report.error}`);
    if (report.type === 'error') uncaught.push(report.text);
    if (report.type === 'note') {
      const value = wanted(report.data as CrashNote);
      if (value !== undefined) return value;
    }
  }
}

/** The files WebKit leaves behind for each writable it closed: one per commit of the async backend. */
function writableLeftovers(profile: string): number {
  return readdirSync(join(profile, 'tmp')).filter((n) => n.startsWith('FileSystemWritableStream-')).length;
}

const kills: Record<string, (browser: MiniBrowser) => Promise<unknown>> = {
  "WebKit's network process is killed": async (browser) => {
    const found = browser.processes().filter((p) => p.command === NETWORK_PROCESS);
    const all = browser.processes().map((p) => `${p.pid} ${p.command}`);
    expect(found, `one ${NETWORK_PROCESS} among MiniBrowser's processes: ${all.join(', ')}`).toHaveLength(1);
    process.kill(found[0]!.pid, 'SIGKILL');
  },
  'MiniBrowser is killed': (browser) => browser.kill(),
};

for (const [how, kill] of Object.entries(kills)) {
  test(`when ${how} mid-commit, every publish that resolved survives and no batch is partial (async backend, chosen by auto)`, async ({}, testInfo) => {
    testInfo.setTimeout(4 * WAIT_MS);
    const upstream = testInfo.project.use.baseURL;
    if (!upstream) throw new Error('the webkit project needs use.baseURL: the vite server');
    const server = await startReportServer(upstream);
    const profile = newProfile();
    const browsers: MiniBrowser[] = [];
    const launch = (n: number, step: string) => {
      server.setPlan({ launch: n, steps: [step] });
      const browser = launchMiniBrowser(`${server.origin}${PAGE}`, { profile });
      browsers.push(browser);
      return browser;
    };
    try {
      const first = launch(1, STREAM_STEP);
      let resolved = 0;
      await until(server, first, `${KILL_AFTER} streamed publishes resolved`, (note) => {
        if ('resolved' in note) resolved = Math.max(resolved, note.resolved);
        return resolved >= KILL_AFTER || undefined;
      });
      const delay = Math.floor(Math.random() * KILL_SPREAD_MS);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await kill(first);
      // WebKit reloads a page whose network process died: that page must not write again.
      server.setPlan({ launch: 0, steps: [] });
      await first.close();
      // Async backend: every commit closed a writable (and left its file behind). The sync one closes none.
      const commits = writableLeftovers(profile);
      expect(commits).toBeGreaterThanOrEqual(FIRST_BATCHES + resolved);

      const second = launch(2, CHECK_STEP);
      const { found, refusals } = await until(server, second, 'what the reopened log holds', (note) =>
        'found' in note ? note : undefined,
      );
      const { after, next } = await until(server, second, 'a checked reopen', (note) =>
        'after' in note ? note : undefined,
      );
      testInfo.annotations.push({
        type: 'survived',
        description:
          `${found.next / BATCH} batches (${FIRST_BATCHES} first, ${resolved}+ streamed resolved before the kill); ` +
          `killed ${delay} ms after hearing that; ${commits} writables closed; ${refusals} Locked refusals`,
      });
      expect(found.problem).toBeNull();
      expect(found.next).toBeGreaterThanOrEqual((FIRST_BATCHES + resolved) * BATCH);
      expect(next).toBe(found.next + BATCH);
      const agreed: Found = { next: found.next + BATCH, count: found.next + BATCH, problem: null };
      expect(after).toEqual(agreed);
    } finally {
      for (const browser of browsers) await browser.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    }
  });
}
