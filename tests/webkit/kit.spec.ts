// The event-sourcing kit's cases (tests/contract/kit/) in WebKitGTK's
// MiniBrowser: one Playwright test per case, as in Chromium and Firefox, all
// run first in one MiniBrowser on run.html through the browser tier's harness.
import { test } from '@playwright/test';
import { kitCases } from '../contract/kit/all.ts';
import { webkitRun } from './suite.ts';

const run = webkitRun(
  'kit',
  '/tests/webkit/run.html',
  kitCases.map(({ name }) => name),
);

for (const { name } of kitCases) {
  test(name, () => run.expectPassed(name));
}
