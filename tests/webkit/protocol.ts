// What a page of the WebKit tier and its runner say to each other over HTTP,
// same-origin through the runner's server (report-server.ts): MiniBrowser
// cannot be driven, so the page asks what to run and reports as it goes.

/** GET: the plan of the current MiniBrowser launch. */
export const PLAN_PATH = '/__webkit/plan';
/** POST, a `Report` as JSON. */
export const REPORT_PATH = '/__webkit/report';

/** The steps (contract or kit case names, or the demo's steps) a page runs, in order. */
export interface Plan {
  /** Tells one launch's reports from those of a launch that was killed. */
  launch: number;
  steps: string[];
}

/**
 * Posted by the page: `start` before each step (so a hang names its step),
 * `result` after it, `done` after the last; `error` for an error nobody
 * caught (kept with the step that was running); `fatal` when the page
 * cannot run at all (its modules did not load); `note` for what a step
 * tells its test as it goes (a crash test's progress, what it found).
 */
export type Report = { launch: number } & (
  | { type: 'start'; step: string }
  | { type: 'result'; step: string; ok: true }
  | { type: 'result'; step: string; ok: false; error: string }
  | { type: 'error'; text: string }
  | { type: 'note'; data: unknown }
  | { type: 'done' }
  | { type: 'fatal'; error: string }
);
