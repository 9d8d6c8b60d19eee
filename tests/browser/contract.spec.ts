// The contract suite (tests/contract/cases.ts) against the real backend: one
// Playwright test per case, each run in the harness page through the worker,
// OPFS and IndexedDB. The unit tier runs the same cases on the in-memory backend.
import { contractTest as test, expect } from './fixtures.ts';
import { contractCases } from '../contract/cases.ts';

for (const { name } of contractCases) {
  test(name, async ({ page }) => {
    const result = await page.evaluate((n) => window.harness.runCase(n), name);
    expect(result).toEqual({ ok: true });
  });
}
