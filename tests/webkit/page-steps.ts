// The page's side of a WebKit tier run: fetch the plan, run its steps one
// after another, and post each as it starts and ends (protocol.ts), so the
// runner sees every result as it comes and, if the page hangs, which step
// it hangs in.
import { PLAN_PATH, REPORT_PATH, type Plan, type Report } from './protocol.ts';

/** What a step resolves to: the shape of the harness's `runCase`. */
export type StepResult = { ok: true } | { ok: false; error: string };

type Body = Report extends infer R ? (R extends { launch: number } ? Omit<R, 'launch'> : never) : never;

let launch = 0;

async function post(report: Body): Promise<void> {
  await fetch(REPORT_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...report, launch }),
  });
}

/** Tells the runner `data` (as JSON) now, in the middle of a step: a crash test's progress, say. */
export function note(data: unknown): Promise<void> {
  return post({ type: 'note', data });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

/** Errors nobody caught go to the runner, which keeps them with the step that was running. */
function reportUncaught(): void {
  addEventListener('error', (event) => void post({ type: 'error', text: describe(event.error ?? event.message) }));
  addEventListener('unhandledrejection', (event) => void post({ type: 'error', text: describe(event.reason) }));
}

/**
 * Runs the plan's steps with `run`, one at a time. `load` is the page's own
 * set-up (importing the harness, say): if it throws, the runner hears
 * `fatal` instead of a result per step.
 */
export async function runPlan(load: () => Promise<(step: string) => Promise<StepResult>>): Promise<void> {
  const plan = (await (await fetch(PLAN_PATH, { cache: 'no-store' })).json()) as Plan;
  launch = plan.launch;
  reportUncaught();
  let run: (step: string) => Promise<StepResult>;
  try {
    run = await load();
  } catch (err) {
    await post({ type: 'fatal', error: `the page did not load: ${describe(err)}` });
    return;
  }
  for (const step of plan.steps) {
    await post({ type: 'start', step });
    let result: StepResult;
    try {
      result = await run(step);
    } catch (err) {
      result = { ok: false, error: describe(err) };
    }
    await post({ type: 'result', step, ...result });
  }
  await post({ type: 'done' });
}
