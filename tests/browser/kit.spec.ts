// The event-sourcing kit's cases (tests/contract/kit/) against the real
// backend: each in the harness page, on a log whose engine runs in its worker
// on OPFS and IndexedDB; waits, aborts and cursors run on the page's side.
// The unit tier runs the same cases on the in-memory backend.
import { contractTest as test, expect } from './fixtures.ts';
import { kitCases } from '../contract/kit/all.ts';

for (const { name } of kitCases) {
  test(name, async ({ page }) => {
    const result = await page.evaluate((n) => window.harness.runCase(n), name);
    expect(result).toEqual({ ok: true });
  });
}
