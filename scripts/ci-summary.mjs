#!/usr/bin/env node
// Sums up a CI run of `npm test` and the consumer tier from their JSON reports and ends
// with exactly one line "N passed, M failed". Each check before the unit tier
// (lint, layers, type check, size) counts as one test. A tier that did not
// report (it crashed, or an earlier step failed)
// counts as a failure, never as "0 failed"; so does a tier that ran no test,
// and a non-zero exit of `npm test` that no report explains.
//
//   node scripts/ci-summary.mjs --status <npm test exit code> --log <npm test output>
//                               --vitest <vitest.json> --playwright <playwright.json>
//                               --consumers <consumers.json> [--seconds <CI's wall time so far>]
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    status: { type: 'string', default: '0' },
    log: { type: 'string' },
    vitest: { type: 'string' },
    playwright: { type: 'string' },
    consumers: { type: 'string' },
    seconds: { type: 'string' },
  },
});

function readJson(path) {
  if (!path || !existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** One tier's outcome: counts, what failed (names, for the log) and how long it took (ms, null if unknown). */
function tier(name) {
  return { name, passed: 0, failed: 0, skipped: 0, failures: [], ms: null };
}

const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;

/**
 * Where the browser tier's time goes: each spec file's tests added up per
 * project (with N workers the wall time is about the sum over N), slowest first.
 */
function browserTimes(report) {
  const bySpec = new Map();
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const key = `${test.projectName} ${spec.file ?? suite.file}`;
        const ms = (test.results ?? []).reduce((sum, r) => sum + (r.duration ?? 0), 0);
        bySpec.set(key, (bySpec.get(key) ?? 0) + ms);
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report?.suites ?? []) visit(suite);
  return [...bySpec].sort((a, b) => b[1] - a[1]);
}

/**
 * What the spec files' sums leave out. A test's reported duration leaves out
 * worker fixtures (the browser launches kept per worker), `beforeAll` hooks
 * (the WebKit tier's MiniBrowser runs), worker starts and restarts (each
 * project's workers, a new one after a failure) and the time between tests,
 * so the tier's wall time is more than the sum over the workers. Per worker
 * slot: its tests' durations, the rest of its span, and how long it sat idle
 * at the end while others finished.
 */
function browserSlots(report) {
  const slots = new Map();
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        for (const r of test.results ?? []) {
          const start = Date.parse(r.startTime);
          if (!Number.isFinite(start) || r.parallelIndex === undefined) continue;
          const slot = slots.get(r.parallelIndex) ?? { tests: 0, end: 0 };
          slot.tests += r.duration ?? 0;
          slot.end = Math.max(slot.end, start + (r.duration ?? 0));
          slots.set(r.parallelIndex, slot);
        }
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report?.suites ?? []) visit(suite);
  const began = Date.parse(report?.stats?.startTime ?? '');
  if (!Number.isFinite(began) || slots.size === 0) return [];
  const lastEnd = Math.max(...[...slots.values()].map((s) => s.end));
  return [...slots]
    .sort((a, b) => a[0] - b[0])
    .map(([index, s]) => ({ index, tests: s.tests, other: s.end - began - s.tests, idleAtEnd: lastEnd - s.end }));
}

/** The checks `npm test` runs before the unit tier, in its order (scripts/test.mjs). */
const CHECKS = ['lint', 'check:layers', 'typecheck', 'size'];

/**
 * The checks lane before the unit tier: one result a check. scripts/test.mjs
 * stops at the first that fails and says which ("npm run X failed"); the
 * checks after it did not run, and count neither way.
 */
function checksTier(log, vitestReport) {
  const t = tier(`checks (${CHECKS.join(', ')})`);
  const text = log && existsSync(log) ? readFileSync(log, 'utf8') : '';
  const stopped = /npm run (\S+) failed \(exit (\d+)\)/.exec(text);
  const at = stopped ? CHECKS.indexOf(stopped[1]) : -1;
  if (at >= 0) {
    t.passed = at;
    t.failed = 1;
    const errors = text.split('\n').filter((line) => /error TS\d+:/.test(line));
    if (stopped[1] === 'typecheck' && errors.length > 0) {
      t.failures.push(...errors.slice(0, 10), ...(errors.length > 10 ? [`… and ${errors.length - 10} more`] : []));
    } else {
      t.failures.push(`npm run ${stopped[1]} failed (exit ${stopped[2]}): its output is above`);
    }
  } else if (vitestReport) {
    t.passed = CHECKS.length; // npm test runs the unit tier only after every check passed
  } else {
    t.failed = 1;
    t.failures.push('did not finish (no check said it failed, but the unit tier did not run)');
  }
  return t;
}

function vitestTier(report) {
  const t = tier('unit (vitest)');
  if (!report) {
    t.failed = 1;
    t.failures.push('no report: the unit tier did not run or crashed');
    return t;
  }
  if (report.startTime) t.ms = Math.max(0, ...(report.testResults ?? []).map((f) => f.endTime ?? 0)) - report.startTime;
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    for (const test of tests) {
      if (test.status === 'passed') t.passed++;
      else if (test.status === 'failed') {
        t.failed++;
        t.failures.push(`${file.name.replace(`${process.cwd()}/`, '')} › ${test.fullName ?? test.title}`);
      } else t.skipped++;
    }
    // A file that failed without a failing test did not load (syntax, import, setup).
    if (file.status === 'failed' && !tests.some((test) => test.status === 'failed')) {
      t.failed++;
      t.failures.push(`${file.name.replace(`${process.cwd()}/`, '')}: ${(file.message ?? 'failed').split('\n')[0]}`);
    }
  }
  if (t.passed + t.failed === 0) {
    t.failed = 1;
    t.failures.push('ran no test');
  }
  return t;
}

function playwrightTier(report) {
  const t = tier('browser (playwright)');
  if (!report) {
    t.failed = 1;
    t.failures.push('no report: the browser tier did not run or crashed');
    return t;
  }
  t.ms = report.stats?.duration ?? null;
  const workers = report.config?.metadata?.actualWorkers ?? report.config?.workers;
  if (workers) t.name = `browser (playwright, ${workers} workers)`;
  const visit = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const title = [...path, spec.title].filter(Boolean).join(' › ');
        if (test.status === 'expected' || test.status === 'flaky') t.passed++;
        else if (test.status === 'skipped') t.skipped++;
        else {
          t.failed++;
          t.failures.push(title);
        }
      }
    }
    for (const child of suite.suites ?? []) visit(child, [...path, child.title]);
  };
  for (const suite of report.suites ?? []) visit(suite, [suite.title]);
  // Errors outside any test: a spec file that did not load, the web server not starting, …
  for (const error of report.errors ?? []) {
    t.failed++;
    t.failures.push(`error outside tests: ${String(error.message ?? error.value ?? 'unknown').split('\n')[0]}`);
  }
  if (t.passed + t.failed === 0) {
    t.failed = 1;
    t.failures.push('ran no test');
  }
  return t;
}

/** tests/consumers/run.mjs's report: { passed, failed, results: [{ name, title, ok, ms, error? }] }. */
function consumersTier(report) {
  const t = tier('consumers (packed tarball)');
  if (!report || !Array.isArray(report.results)) {
    t.failed = 1;
    t.failures.push('no report: the consumer tier did not run or crashed');
    return t;
  }
  t.ms = report.results.reduce((sum, r) => sum + (r.ms ?? 0), 0);
  for (const result of report.results) {
    if (result.ok === true) t.passed++;
    else {
      t.failed++;
      t.failures.push(`${result.name}: ${String(result.error ?? 'failed').split('\n')[0]}`);
    }
  }
  if (t.passed + t.failed === 0) {
    t.failed = 1;
    t.failures.push('ran no test');
  }
  return t;
}

const vitestReport = readJson(args.vitest);
const playwrightReport = readJson(args.playwright);
const tiers = [
  checksTier(args.log, vitestReport),
  vitestTier(vitestReport),
  playwrightTier(playwrightReport),
  consumersTier(readJson(args.consumers)),
];

const slowest = browserTimes(playwrightReport);
if (slowest.length > 0) {
  console.log('browser spec files, time added up per project (slowest first):');
  for (const [spec, ms] of slowest) console.log(`  ${seconds(ms).padStart(6)}  ${spec}`);
}

const slots = browserSlots(playwrightReport);
if (slots.length > 0) {
  console.log(
    'browser tier per worker slot: tests / outside tests (launches, hooks, worker starts, between tests) / idle at the end:',
  );
  for (const s of slots) {
    console.log(`  slot ${s.index}: ${seconds(s.tests)} / ${seconds(s.other)} / ${seconds(s.idleAtEnd)}`);
  }
}

if (args.seconds) console.log(`CI took ${args.seconds} s (npm ci, setup and every tier)`);
const status = Number(args.status);
let passed = 0;
let failed = 0;
for (const t of tiers) {
  passed += t.passed;
  failed += t.failed;
  const skipped = t.skipped ? `, ${t.skipped} skipped` : '';
  const took = t.ms === null ? '' : ` (${seconds(t.ms)})`;
  console.log(`${t.name}: ${t.passed} passed, ${t.failed} failed${skipped}${took}`);
  for (const failure of t.failures) console.log(`  ✗ ${failure}`);
}
if (status !== 0 && failed === 0) {
  failed = 1;
  console.log(`npm test exited ${status}, though no report shows a failure`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
