// The contract suite (tests/contract/cases.ts) in WebKitGTK's MiniBrowser: one
// Playwright test per case, as in Chromium and Firefox, all run first in one
// MiniBrowser on run.html through the browser tier's harness (the library as a
// page uses it: the engine in its worker, on OPFS and IndexedDB).
import { test } from '@playwright/test';
import { contractCases } from '../contract/cases.ts';
import { webkitRun } from './suite.ts';

const run = webkitRun(
  'contract',
  '/tests/webkit/run.html',
  contractCases.map(({ name }) => name),
);

for (const { name } of contractCases) {
  test(name, () => run.expectPassed(name));
}
