// The fixture of the reader specs (readers.spec.ts, model.spec.ts): `page` is
// the writer's tab and `reader` a second tab of the same profile, each with the
// page-side tools of readers-page.ts loaded.
import { test as base } from './fixtures.ts';
import type { Page } from '@playwright/test';

export { expect } from './fixtures.ts';

const TOOLS = '/tests/browser/readers-page.ts';

async function loadTools(page: Page): Promise<void> {
  await page.evaluate(async (url) => {
    await import(/* @vite-ignore */ url);
  }, TOOLS);
  await page.waitForFunction(() => window.readers !== undefined);
}

export const test = base.extend<{ reader: Page }>({
  page: async ({ page }, use) => {
    await loadTools(page);
    await use(page);
  },
  reader: async ({ newHarnessPage }, use) => {
    const page = await newHarnessPage();
    await loadTools(page);
    await use(page);
  },
});
