// The contract suite and the event-sourcing kit again, with every log opened
// `maxOpenFiles: 2`: the head and one sealed segment open at a time, so
// nearly every read of a sealed segment closes another's sync access handle
// and opens its own, and every path that opens a segment again runs on OPFS.
import { contractTest as test, expect } from './fixtures.ts';
import { contractCases } from '../contract/cases.ts';
import { kitCases } from '../contract/kit/all.ts';

for (const { name } of [...contractCases, ...kitCases]) {
  test(name, async ({ page }) => {
    const result = await page.evaluate((n) => window.harness.runCase(n, { maxOpenFiles: 2 }), name);
    expect(result).toEqual({ ok: true });
  });
}
