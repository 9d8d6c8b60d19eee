import { defineConfig } from '@playwright/test';
import { chromiumPath } from './scripts/chromium-path.mjs';

// The browser tier: real Chromium (Debian's, never a Playwright download), a
// persistent profiles (see tests/browser/fixtures.ts), pages served by
// vite on their own port so `npm run demo` can run beside the tests.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

// OPFS_LOG_TEST_PORT lets two test runs on one machine keep to their own servers.
const PORT = Number(process.env.OPFS_LOG_TEST_PORT ?? 5199);
const jsonReport = process.env.PLAYWRIGHT_JSON_OUTPUT_NAME; // set by .ci/run

export default defineConfig({
  testDir: 'tests/browser',
  testMatch: '*.spec.ts',
  fullyParallel: true,
  workers: 2,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  reporter: jsonReport ? [['list'], ['json']] : 'list',
  use: {
    baseURL: `http://localhost:${PORT}`,
    // Only a fallback for a test that asks for the stock `browser` fixture: the
    // fixtures in tests/browser/fixtures.ts launch their own persistent contexts.
    launchOptions: { executablePath: chromiumPath() },
    trace: 'off',
  },
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
