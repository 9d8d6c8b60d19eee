// The page MiniBrowser opens for the contract suite and the kit: each step of
// the plan is a case name, run by the browser tier's own harness
// (tests/browser/harness.ts: the library as a page imports it, the engine in
// its worker), so WebKit runs exactly the cases Chromium and Firefox run.
import { runPlan } from './page-steps.ts';

void runPlan(async () => {
  await import('../browser/harness.ts'); // puts `window.harness` on the page
  return (name) => window.harness.runCase(name);
});
