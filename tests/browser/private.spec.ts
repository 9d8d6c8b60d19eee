// A private window. Firefox gives it no origin private file system
// (`getDirectory()` throws SecurityError), so every open rejects
// `Unsupported`, saying why. Chromium's incognito windows have one, kept in
// memory and gone with the window: a log works there as usual.
import { chromium } from '@playwright/test';
import { test, expect, gotoHarness } from './fixtures.ts';
import { browserPath, CHROMIUM_ARGS } from '../../scripts/browsers.mjs';

// Firefox: every window of the profile is private (a pref, so a browser of its own).
test.use({ browserPerTest: true, firefoxPrefs: { 'browser.privatebrowsing.autostart': true } });

const UNSUPPORTED = { ok: false, code: 'Unsupported', isLogError: true };

const FIREFOX_ONLY = "Firefox only: Chromium's incognito windows have OPFS";
const CHROMIUM_ONLY = 'Chromium only: Firefox has no OPFS in private windows';

test.describe(() => {
  // Skipped before the page's browser is launched.
  test.skip(({ browserName }) => browserName !== 'firefox', FIREFOX_ONLY);
  test(`in a private window, Firefox has no OPFS: open rejects Unsupported and says so (${FIREFOX_ONLY})`, async ({
    page,
  }) => {
    for (const options of [{ createDirs: true }, { createDirs: true, exclusive: true }, { readonly: true }]) {
      const settled = await page.evaluate((o) => window.harness.openAs('w', 'private/events', o), options);
      expect(settled, JSON.stringify(options)).toMatchObject(UNSUPPORTED);
      expect(settled.ok ? '' : settled.error).toContain('private window');
    }
  });
});

test(`in an incognito window, Chromium keeps OPFS in memory: a log works (${CHROMIUM_ONLY})`, async ({
  engine,
  baseURL,
}) => {
  test.skip(engine !== 'chromium', CHROMIUM_ONLY);
  const browser = await chromium.launch({ executablePath: browserPath('chromium'), args: [...CHROMIUM_ARGS] });
  try {
    const page = await (await browser.newContext({ baseURL })).newPage();
    await gotoHarness(page);
    const read = await page.evaluate(async () => {
      const { harness } = window;
      const log = await harness.lib.open('private/events', { createDirs: true });
      await log.publish([{ value: harness.bytes('secret') }]);
      const value = harness.text((await log.get(0)).value);
      await log.close();
      return value;
    });
    expect(read).toBe('secret');
  } finally {
    await browser.close();
  }
});
