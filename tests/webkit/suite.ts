// A spec file of the WebKit tier: one MiniBrowser run (runner.ts) for all of
// its steps, before its tests; each test then reports one step's outcome.
//
// The run's outcomes are kept on disk for the rest of the Playwright run:
// after a failed test Playwright goes on in a new worker process, whose
// `beforeAll` would otherwise start MiniBrowser all over again.
import { test, expect } from '@playwright/test';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longestRunMs, runInMiniBrowser, type RunResult, type StepOutcome } from './runner.ts';

const RESULTS_PREFIX = 'opfs-log-webkit-results-';

/** The Playwright run this worker belongs to: its runner process (the workers' parent), by pid and start time. */
function playwrightRun(): string {
  let started = '';
  try {
    started = readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] ?? '';
  } catch {}
  return `${process.ppid}-${started}`;
}

/** Removes what runs that have ended left behind (their runner's pid is gone). */
function removeStaleResults(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(RESULTS_PREFIX)) continue;
    const pid = Number(name.slice(RESULTS_PREFIX.length).split('-')[0]);
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

type Saved = { outcomes: [string, StepOutcome][] } | { error: string };

/** One line for the test log: what the tier costs CI. */
function say(key: string, { outcomes, cpuSeconds, wallMs }: RunResult): void {
  const passed = [...outcomes.values()].filter((o) => o.ok).length;
  const cost = `${(wallMs / 1000).toFixed(1)} s, MiniBrowser CPU ${cpuSeconds.toFixed(1)} s`;
  console.log(`webkit ${key}: ${passed}/${outcomes.size} passed in MiniBrowser (${cost})`);
}

/** `run`'s outcomes, or those an earlier worker of this Playwright run saved under `key`. */
async function outcomesOnce(key: string, run: () => Promise<RunResult>) {
  const dir = join(tmpdir(), `${RESULTS_PREFIX}${playwrightRun()}`);
  const file = join(dir, `${key}.json`);
  let saved: Saved;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
  } catch {
    removeStaleResults();
    saved = await run().then(
      (result) => {
        say(key, result);
        return { outcomes: [...result.outcomes] };
      },
      (err: unknown) => ({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(saved));
  }
  if ('error' in saved) throw new Error(saved.error);
  return new Map(saved.outcomes);
}

/** A spec file's MiniBrowser run, as its tests see it. */
export interface WebKitRun {
  /** Passes if `step` passed in the run; fails with the page's error otherwise. */
  expectPassed(step: string): void;
}

/**
 * Runs `steps` in order on `page` in one MiniBrowser before the spec file's
 * tests (a `beforeAll`); `key` names the file's saved outcomes.
 */
export function webkitRun(key: string, page: string, steps: readonly string[]): WebKitRun {
  let outcomes = new Map<string, StepOutcome>();
  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(longestRunMs(steps.length));
    const upstream = testInfo.project.use.baseURL;
    if (!upstream) throw new Error('the webkit project needs use.baseURL: the vite server');
    outcomes = await outcomesOnce(key, () => runInMiniBrowser({ upstream, page, steps }));
  });
  return {
    expectPassed(step) {
      const outcome = outcomes.get(step) ?? { ok: false, error: 'no outcome: not in the run', ms: 0 };
      test.info().annotations.push({ type: 'webkit ms', description: String(outcome.ms) });
      expect(outcome.ok ? { ok: true } : { ok: false, error: outcome.error }).toEqual({ ok: true });
    },
  };
}
