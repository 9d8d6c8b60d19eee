// Runs named steps on a page in WebKitGTK's MiniBrowser and collects what the
// page reports: one report server (report-server.ts) in front of vite, one
// MiniBrowser at a time (minibrowser.ts). A step that reports nothing for
// `stepTimeoutMs`, or during which the browser exits, fails with what the
// browser printed; the steps after it run in a new MiniBrowser.
import { launchMiniBrowser, type MiniBrowser } from './minibrowser.ts';
import type { Report } from './protocol.ts';
import { startReportServer, type ReportServer } from './report-server.ts';

export interface StepOutcome {
  ok: boolean;
  /** Why it failed, and any error nobody caught while it ran. */
  error?: string;
  /** From its start to its result, as the runner saw them. */
  ms: number;
}

export interface RunOptions {
  /** The origin of the vite server that serves the page and the library. */
  upstream: string;
  /** The page's path, e.g. `/tests/webkit/run.html`. */
  page: string;
  steps: readonly string[];
  /** Longest wait for a step's result (default 60 s). */
  stepTimeoutMs?: number;
  /** Longest wait for the page's first report after a launch (default 60 s). */
  startTimeoutMs?: number;
}

/** Launches in one run: a hang or a crash costs one; past this, the rest is not run. */
const MAX_LAUNCHES = 3;

/** The longest a run of `steps` can take, for the Playwright hook that awaits it. */
export function longestRunMs(steps: number, { stepTimeoutMs = 60_000, startTimeoutMs = 60_000 } = {}): number {
  return steps * stepTimeoutMs + MAX_LAUNCHES * (startTimeoutMs + 10_000);
}

export interface RunResult {
  outcomes: Map<string, StepOutcome>;
  /** What the run cost: MiniBrowser's CPU (Xvfb and WebKit's processes included) and the whole run's wall time. */
  cpuSeconds: number;
  wallMs: number;
}

/** Runs `steps` on `page` in MiniBrowser; every step gets an outcome. */
export async function runInMiniBrowser(options: RunOptions): Promise<RunResult> {
  const startedAt = Date.now();
  const server = await startReportServer(options.upstream);
  const outcomes = new Map<string, StepOutcome>();
  let cpuSeconds = 0;
  let remaining = [...options.steps];
  try {
    for (let launch = 1; remaining.length > 0 && launch <= MAX_LAUNCHES; launch++) {
      server.setPlan({ launch, steps: remaining });
      const browser = launchMiniBrowser(`${server.origin}${options.page}`);
      try {
        remaining = await follow(server, browser, remaining, outcomes, options);
      } finally {
        cpuSeconds += await browser.close();
      }
    }
    for (const step of remaining) {
      outcomes.set(step, { ok: false, ms: 0, error: `not run: ${MAX_LAUNCHES} MiniBrowser launches ended early` });
    }
  } finally {
    await server.close();
  }
  return { outcomes, cpuSeconds, wallMs: Date.now() - startedAt };
}

type Event = Report | { type: 'timeout' } | { type: 'exit'; code: number | null; signal: string | null };

/**
 * Follows one launch's reports into `outcomes`. Resolves to the steps still
 * to run in a new MiniBrowser: those after a step that hung or crashed it.
 */
async function follow(
  server: ReportServer,
  browser: MiniBrowser,
  steps: string[],
  outcomes: Map<string, StepOutcome>,
  { stepTimeoutMs = 60_000, startTimeoutMs = 60_000 }: RunOptions,
): Promise<string[]> {
  const exited = browser.exited.then((e): Event => ({ type: 'exit', ...e }));
  let current: string | null = null;
  let startedAt = Date.now();
  let uncaught: string[] = [];
  const fail = (step: string, error: string) => outcomes.set(step, { ok: false, error, ms: Date.now() - startedAt });
  for (let reports = 0; ; reports++) {
    // Counted from the step's start: errors it reports meanwhile do not put its timeout off.
    const limit = reports === 0 ? startTimeoutMs : stepTimeoutMs;
    const wait = Math.max(0, startedAt + limit - Date.now());
    const event: Event = await Promise.race([
      server.nextReport(wait).then((r): Event => r ?? { type: 'timeout' }),
      exited,
    ]);
    if (event.type === 'start') {
      [current, startedAt, uncaught] = [event.step, Date.now(), []];
    } else if (event.type === 'error') {
      uncaught.push(event.text);
    } else if (event.type === 'note') {
    } else if (event.type === 'result') {
      const error = event.ok ? undefined : event.error;
      const extra = uncaught.length ? `\nuncaught while it ran:\n${uncaught.join('\n')}` : '';
      outcomes.set(event.step, { ok: event.ok, error: error && error + extra, ms: Date.now() - startedAt });
      [current, startedAt] = [null, Date.now()];
    } else if (event.type === 'done' || event.type === 'fatal') {
      const why = event.type === 'fatal' ? event.error : 'not run: the page ended without it';
      for (const step of steps) if (!outcomes.has(step)) fail(step, why);
      return [];
    } else {
      const lost = current ?? steps.find((s) => !outcomes.has(s));
      const what =
        event.type === 'timeout'
          ? `no report for ${limit / 1000} s`
          : `MiniBrowser exited (${event.code ?? event.signal})`;
      if (reports === 0 || lost === undefined) {
        for (const step of steps) fail(step, `${what} before the page ran a step. It printed:\n${browser.output()}`);
        return [];
      }
      fail(
        lost,
        `${what} during this step; the steps after it ran in a new MiniBrowser. It printed:\n${browser.output()}`,
      );
      return steps.slice(steps.indexOf(lost) + 1);
    }
  }
}
