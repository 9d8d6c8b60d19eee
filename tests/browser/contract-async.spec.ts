// The contract suite and the event-sourcing kit again, with every log opened
// `backend: 'async'`: the asynchronous OPFS backend (staged files committed
// by moving a new file over the old one) where sync access handles exist
// too, so Chromium and Firefox prove it as WebKitGTK, which has only it, needs.
import { contractTest as test, expect } from './fixtures.ts';
import { contractCases } from '../contract/cases.ts';
import { kitCases } from '../contract/kit/all.ts';

for (const { name } of [...contractCases, ...kitCases]) {
  test(name, async ({ page }) => {
    const result = await page.evaluate((n) => window.harness.runCase(n, { backend: 'async' }), name);
    expect(result).toEqual({ ok: true });
  });
}
