// `npm run bench -- --backends --browser webkit`: the `--backends` rows
// (publish 100k in batches of 1,000, consume 100k, get/getByKey/getByTime
// random, publish 1k singly) for opfs-log in WebKitGTK's MiniBrowser. There
// only the asynchronous backend exists (WebKitGTK refuses sync access
// handles), so the 'opfs-log' system runs as is and `open`'s `auto` picks that
// backend; no second column. Playwright cannot drive MiniBrowser, so the WebKit
// tier's runner (tests/webkit/runner.ts) starts it under xvfb-run on a fresh
// profile with OPFS switched on, in front of the bench's own vite server
// (report-server.ts proxies to it): the bench page (bench/index.html?webkit,
// bench/webkit-page.ts) runs the plan's steps and posts each workload's
// measures to WEBKIT_MEASURES_PATH, which `webkitMeasures()` (a vite plugin)
// collects. opfs-log is the built package there as in the other browsers
// (bench/package.ts).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { writeFile } from './report.mjs';

/** As bench/webkit-page.ts posts to; answered by the bench's vite server. */
const WEBKIT_MEASURES_PATH = '/__bench/webkit-measures';
/** The longest a step may run without a report: the async backend commits once per publish. */
const STEP_TIMEOUT_MS = Number(process.env.BENCH_WEBKIT_STEP_TIMEOUT_MS ?? 600_000);
const SYSTEM = 'opfs-log';
const WORKLOADS = ['publishAndRead', 'publishSingly'];

/** A vite plugin that keeps the measures the page posts, by step; `take(step)` hands them over once. */
export function webkitMeasures() {
  const byStep = new Map();
  let userAgent = '';
  let timerStepMs = null;
  return {
    name: 'opfs-log-bench-webkit-measures',
    configureServer(server) {
      server.middlewares.use(WEBKIT_MEASURES_PATH, (req, res) => {
        if (req.method !== 'POST') return res.writeHead(405).end();
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            byStep.set(body.step, body.measures);
            userAgent = body.userAgent ?? userAgent;
            timerStepMs = body.timerStepMs ?? timerStepMs;
            res.writeHead(204).end();
          } catch {
            res.writeHead(400).end();
          }
        });
      });
    },
    take(step) {
      const measures = byStep.get(step);
      byStep.delete(step);
      return measures;
    },
    userAgent: () => userAgent,
    timerStepMs: () => timerStepMs,
  };
}

/** WebKitGTK's version as Debian packaged it, or null where there is no dpkg. */
function webkitVersion() {
  try {
    // "libwebkit2gtk-4.1-0:amd64<TAB>2.50.6-1~deb12u2"
    const line = execFileSync('dpkg-query', ['-W', 'libwebkit2gtk-4.1-0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    return `WebKitGTK ${line.toString().trim().split('\t')[1]} (MiniBrowser, under xvfb-run)`;
  } catch {
    return null;
  }
}

/**
 * Runs the rows RUNS times in one MiniBrowser (a new one, on a fresh profile,
 * only if a step hangs or crashes it), prints them as a table and writes
 * bench/out/backends-webkit.json. `server` is the bench's vite server with
 * `measures` (webkitMeasures()) among its plugins; mediansOf, summary and fmt
 * are run.mjs's, so the figures are summarised as the other browsers' are.
 */
export async function webkitBackendsRun(
  server,
  { measures, port, runs, say, loadAtStart, started, mediansOf, summary, fmt },
) {
  // The WebKit tier's runner is TypeScript: vite (already running) loads it for Node.
  const { runInMiniBrowser } = await server.ssrLoadModule(
    new URL('../tests/webkit/runner.ts', import.meta.url).pathname,
  );
  const steps = [];
  for (let run = 1; run <= runs; run++) {
    for (const workload of WORKLOADS) steps.push(`run ${run}: ${workload} on ${SYSTEM}`);
    steps.push(`run ${run}: wipe`);
  }
  say(`WebKitGTK: ${steps.length} steps in MiniBrowser (each up to ${STEP_TIMEOUT_MS / 1000} s)`);
  const { outcomes, cpuSeconds, wallMs } = await runInMiniBrowser({
    upstream: `http://localhost:${port}`,
    page: '/bench/index.html?webkit',
    steps,
    stepTimeoutMs: STEP_TIMEOUT_MS,
    // The first load transforms the bench page's modules (SQLite-WASM's among them).
    startTimeoutMs: 180_000,
  });
  const samples = {};
  const failed = [];
  for (const step of steps) {
    const outcome = outcomes.get(step);
    if (!outcome?.ok) {
      failed.push(`${step}: ${outcome?.error ?? 'no outcome'}`);
      continue;
    }
    const got = measures.take(step);
    if (step.endsWith('wipe')) continue;
    if (!got) {
      failed.push(`${step}: it passed but posted no measures`);
      continue;
    }
    for (const m of got) ((samples[SYSTEM] ??= {})[m.workload] ??= []).push(m);
    say(`${step}: ${summary(got)} (${(outcome.ms / 1000).toFixed(1)} s)`);
  }
  if (failed.length) throw new Error(`WebKitGTK: ${failed.length} step(s) failed:\n${failed.join('\n')}`);
  const medians = mediansOf(samples);
  const rows = Object.entries(medians[SYSTEM]).map(([workload, m]) => [
    workload,
    `${fmt(m.value)} ${m.unit}`,
    m.samples.map(fmt).join(', '),
    m.extra
      ? Object.entries(m.extra)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')
      : '',
  ]);
  const all = [[`${SYSTEM} (async backend, by auto)`, `median of ${runs}`, 'runs', 'beside'], ...rows];
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const clock = `performance.now() steps by ${Number(measures.timerStepMs()?.toPrecision(3))} ms here: every timing is a whole number of steps`;
  console.log([...all.map(line), clock].join('\n'));
  const report = {
    date: new Date().toISOString(),
    browser: { name: 'webkit', version: webkitVersion() ?? measures.userAgent(), userAgent: measures.userAgent() },
    runs,
    seconds: Math.round((Date.now() - started) / 1000),
    load: { start: loadAtStart, end: loadavg()[0] },
    // MiniBrowser's process group (Xvfb and WebKit's processes) over the whole run.
    miniBrowser: { cpuSeconds, wallSeconds: Math.round(wallMs / 1000) },
    notes: {
      [SYSTEM]:
        "the 'opfs-log' system as is (open's backend 'auto'): WebKitGTK refuses sync access handles, so auto picks the asynchronous backend; there is no sync column to compare with",
      clock,
    },
    medians,
  };
  say(
    `wrote ${writeFile(new URL('./out/backends-webkit.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`)}`,
  );
}
