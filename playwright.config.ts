import { defineConfig } from '@playwright/test';

// The browser tier: real Chromium and Firefox (Debian's, never a Playwright
// download), one project each, on persistent profiles (see
// tests/browser/fixtures.ts), and WebKitGTK's MiniBrowser (tests/webkit);
// pages served by vite on their own port so `npm run demo` can run beside the
// tests. `--project=chromium`, `--project=firefox` or `--project=webkit` runs
// one of them.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

// OPFS_LOG_TEST_PORT lets two test runs on one machine keep to their own servers.
const PORT = Number(process.env.OPFS_LOG_TEST_PORT ?? 5199);
const jsonReport = process.env.PLAYWRIGHT_JSON_OUTPUT_NAME; // set by .ci/run
/**
 * Four workers on CI's 2 cores: a worker's tests mostly wait on their browser
 * (a run of 1 worker used 0.33 (Chromium) to 0.43 (Firefox) of a core, its
 * browser included), so more workers overlap those waits. Measured with
 * `.ci/run` on clean clones of one tree (two README commits apart):
 * 3 workers took the browser tier 946 s (CI 1,014 s, with other work running
 * beside it), 4 workers 714 s (CI 785 s, nothing else), every test passing.
 * OPFS_LOG_TEST_WORKERS sets another count.
 */
const WORKERS = Number(process.env.OPFS_LOG_TEST_WORKERS ?? 4);

export default defineConfig({
  testDir: 'tests/browser',
  testMatch: '*.spec.ts',
  fullyParallel: true,
  workers: WORKERS,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  reporter: jsonReport ? [['list'], ['json']] : 'list',
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'off',
  },
  // The fixtures in tests/browser/fixtures.ts launch their own persistent
  // contexts of the project's browser (scripts/browsers.mjs finds it).
  // Firefox first: the workers take tests in project order, and Firefox's
  // are the longer (~60% of the tier's test time, its slowest files among
  // them), so they start early and Chromium's shorter ones fill the end.
  projects: [
    // WebKitGTK's MiniBrowser, which Playwright cannot drive: its specs start it
    // themselves (tests/webkit/runner.ts), one run per spec file. One worker, each
    // file's tests in order: one MiniBrowser at a time. First, so that its serial
    // run overlaps the others' tests instead of trailing them.
    { name: 'webkit', testDir: 'tests/webkit', workers: 1, fullyParallel: false },
    // The pool-of-two run proves reopening sync access handles on real OPFS once; Firefox's
    // handles take the same paths, and the unit tier runs it on both file kinds.
    { name: 'firefox', use: { browserName: 'firefox' }, testIgnore: 'contract-pool.spec.ts' },
    { name: 'chromium', use: { browserName: 'chromium' } },
  ],
  webServer: {
    command: `npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/tests/browser/harness.html`,
    reuseExistingServer: !process.env.CI,
    env: { OPFS_LOG_TEST_SERVER: '1' }, // no browser tab, no hot reload (vite.config.ts)
    stdout: 'ignore',
    stderr: 'pipe',
    timeout: 60_000,
  },
});
