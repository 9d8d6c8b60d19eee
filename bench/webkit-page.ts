/**
 * The bench page's side of `npm run bench -- --backends --browser webkit`
 * (bench/webkit.mjs): in WebKitGTK's MiniBrowser, which Playwright cannot
 * drive, the page (bench/index.html?webkit) fetches the plan of steps from the
 * WebKit tier's report server and reports each step as it runs
 * (tests/webkit/page-steps.ts). A step's measures go to the bench's own vite
 * server (WEBKIT_MEASURES_PATH), same-origin through that server's proxy.
 */
import { runPlan } from '../tests/webkit/page-steps.ts';
import type { Measure } from './workloads.ts';

/** POST: `{ step, measures, userAgent, timerStepMs }` as JSON (bench/webkit.mjs keeps them). */
export const WEBKIT_MEASURES_PATH = '/__bench/webkit-measures';

/** What the steps need of the bench page's `window.bench`. */
interface Bench {
  run(system: string, workload: string): Promise<Measure[]>;
  wipe(): Promise<void>;
}

/** A step is `run <n>: wipe` or `run <n>: <workload> on <system>` (bench/webkit.mjs names them). */
const STEP = /^run \d+: (?:wipe|(\w+) on (.+))$/;

/**
 * The smallest step performance.now() takes here (ms), from 20 steps in a
 * busy loop: the grain of every figure (WebKit coarsens the clock).
 */
function timerStepMs(): number {
  let smallest = Number.POSITIVE_INFINITY;
  let last = performance.now();
  for (let seen = 0, spins = 0; seen < 20 && spins < 50_000_000; spins++) {
    const now = performance.now();
    if (now === last) continue;
    smallest = Math.min(smallest, now - last);
    [last, seen] = [now, seen + 1];
  }
  return smallest;
}

async function post(step: string, measures: Measure[]): Promise<void> {
  const res = await fetch(WEBKIT_MEASURES_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ step, measures, userAgent: navigator.userAgent, timerStepMs: timerStepMs() }),
  });
  if (!res.ok) throw new Error(`posting the measures of "${step}": HTTP ${res.status}`);
}

/** Runs the plan's steps on `bench` and posts each workload's measures before its step's result. */
export function runWebKitPlan(bench: Bench): Promise<void> {
  return runPlan(async () => async (step) => {
    const m = STEP.exec(step);
    if (!m) return { ok: false, error: `not a bench step: ${step}` };
    const [, workload, system] = m;
    if (workload === undefined || system === undefined) {
      await bench.wipe();
      return { ok: true };
    }
    await post(step, await bench.run(system, workload));
    return { ok: true };
  });
}
