// The consumer tier: the shared self-test (copied here as src/self-test.ts by tests/consumers/run.mjs).
import { selfTest, type SelfTestResult } from './self-test';

declare global {
  interface Window {
    selfTest?: SelfTestResult;
  }
}

selfTest().then((result) => {
  document.getElementById('result')!.textContent = JSON.stringify(result, null, 2);
  window.selfTest = result;
});
