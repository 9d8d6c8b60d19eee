#!/usr/bin/env node
// `npm run bench`: opfs-log against Dexie 4, SQLite-WASM and raw OPFS in one
// browser run (Debian's Chromium, or Firefox with `--browser firefox`, on a
// persistent profile), medians of 3 runs. Prints a table and writes
// bench/out/results.json (results-firefox.json for Firefox; ignored by git);
// with `--record` (`npm run bench -- --record`) also the tracked
// bench/results*.json and BENCHMARKS.md, so an exploratory run leaves the
// working tree clean. `--scaling` runs only the scaling run (bench/scaling.mjs);
// `--projection` only the projection rows (bench/projection.mjs), written to
// bench/out/projection*.json, and with `--record` put in place of those rows
// of the recorded results (the rest kept as recorded). `--backends` runs only
// opfs-log's publish and read rows on its two storage backends, side by side,
// written to bench/out/backends*.json. `--service-worker` runs only a
// registered service worker's publish latency, with a tab owning the log and
// with none (bench/service-worker.mjs), written to bench/out/service-worker*.json
// and with `--record` merged into the recorded results as `--projection` is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { BROWSER_NAMES, browserPath, launchBrowser } from '../scripts/browsers.mjs';
import { TARGETS, evaluateTargets, median } from './targets.mjs';
import { renderTable, reportFiles, saveReport, writeFile, writeMarkdown } from './report.mjs';
import { projectionNotes, projectionWorkloads } from './projection.mjs';
import { workerHeapMeter } from './heap.mjs';
import { jetstreamWorkloads } from './jetstream.mjs';
import { scalingRun } from './scaling.mjs';
import { SW_ROW, serviceWorkerWorkloads } from './service-worker.mjs';
import { benchServiceWorker } from './service-worker/plugin.mjs';
import { staticWorker } from './static-worker.mjs';
import { webkitBackendsRun, webkitMeasures } from './webkit.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG = Number(process.env.BENCH_BIG ?? 1_000_000);
const PORT = Number(process.env.BENCH_PORT ?? 5188);
// A partial run, to measure a few rows quickly (e.g. BENCH_WORKLOADS=publishAndRead BENCH_SYSTEMS='opfs-log,Dexie 4'):
// only those workloads of those systems, none of the rows run apart (other tab, JetStream, reopen, projection,
// service worker). Never recorded: BENCHMARKS.md tells whole runs.
const ONLY = {
  workloads: process.env.BENCH_WORKLOADS?.split(','),
  systems: process.env.BENCH_SYSTEMS?.split(','),
};
const partial = ONLY.workloads !== undefined || ONLY.systems !== undefined;

const say = (...a) => console.error(...a);

// Parsed before the minutes-long run, so a mistyped flag fails at once.
const { values: flags } = parseArgs({
  options: {
    record: { type: 'boolean', default: false },
    browser: { type: 'string', default: 'chromium' },
    scaling: { type: 'boolean', default: false },
    projection: { type: 'boolean', default: false },
    backends: { type: 'boolean', default: false },
    'service-worker': { type: 'boolean', default: false },
  },
});
// WebKitGTK's MiniBrowser is no Playwright browser: only `--backends` runs there (bench/webkit.mjs).
const otherMode = flags.scaling || flags.projection || flags['service-worker'];
if (flags.browser === 'webkit' && (!flags.backends || otherMode)) {
  say('--browser webkit: only `--backends` runs in WebKitGTK');
  process.exit(2);
}
if (partial && flags.record) {
  say('BENCH_WORKLOADS / BENCH_SYSTEMS: a partial run is never recorded');
  process.exit(2);
}
if (!BROWSER_NAMES.includes(flags.browser) && flags.browser !== 'webkit') {
  say(`--browser ${flags.browser}: expected one of ${[...BROWSER_NAMES, 'webkit (--backends only)'].join(', ')}`);
  process.exit(2);
}

/**
 * What the bench changes in each browser beyond scripts/browsers.mjs, and why
 * (written into the report). Firefox rounds performance.now() to 1 ms, which
 * would turn sub-millisecond latencies into 0 or 1 ms; without the rounding
 * it steps by 20 µs, still coarser than Chromium's 5-100 µs.
 */
const LAUNCH = {
  chromium: { options: {}, settings: '' },
  firefox: {
    options: { firefoxUserPrefs: { 'privacy.reduceTimerPrecision': false } },
    settings: 'privacy.reduceTimerPrecision off, so performance.now() steps by 20 µs rather than 1 ms',
  },
};

/** Finds (or apt-installs) the one browser this run uses, as the browser tier does for both. */
function ensureBrowser(name) {
  const script = new URL('../scripts/browser.mjs', import.meta.url).pathname;
  const { status } = spawnSync(process.execPath, [script, '--check', name], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}

async function main() {
  const browser = flags.browser;
  ensureBrowser(browser);
  // opfs-log is measured as users install it, built (bench/package.ts).
  execFileSync(process.execPath, [new URL('../scripts/build.mjs', import.meta.url).pathname], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // What the page posts from WebKitGTK's MiniBrowser (bench/webkit.mjs).
  const measures = browser === 'webkit' ? webkitMeasures() : null;
  // Vite's pre-bundled dependencies in a directory of this run's own: in the shared node_modules/.vite another
  // vite server (the browser tier, another clone's bench) rewrites them while this run's pages still load them,
  // and a tab opened late in a run (the scaling run's cold start) then never became ready.
  const viteCache = mkdtempSync(join(tmpdir(), 'opfs-log-bench-vite-'));
  process.on('exit', () => rmSync(viteCache, { recursive: true, force: true }));
  const server = await createServer({
    configFile: new URL('../vite.config.ts', import.meta.url).pathname,
    cacheDir: viteCache,
    server: { port: PORT, strictPort: true, open: false, hmr: false },
    // The bench's service worker, bundled as a classic script (bench/service-worker/plugin.mjs); the built
    // worker served as it is (bench/static-worker.mjs).
    plugins: [staticWorker(new URL('..', import.meta.url)), benchServiceWorker(), ...(measures ? [measures] : [])],
    logLevel: 'error',
  });
  await server.listen();
  if (measures) {
    const started = Date.now();
    const loadAtStart = loadavg()[0];
    try {
      const helpers = { mediansOf, summary, fmt };
      return await webkitBackendsRun(server, {
        measures,
        port: PORT,
        runs: RUNS,
        say,
        loadAtStart,
        started,
        ...helpers,
      });
    } finally {
      await server.close();
    }
  }
  const version = execFileSync(browserPath(browser), ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
  const profile = mkdtempSync(join(tmpdir(), 'opfs-log-bench-'));
  const context = await launchBrowser(browser, profile, LAUNCH[browser].options);
  const started = Date.now();
  // The machine is shared: the 1-minute load average at both ends says how quiet it was.
  const loadAtStart = loadavg()[0];
  try {
    const page = await benchPage(context.pages()[0] ?? (await context.newPage()));
    if (flags.scaling)
      return await scalingRun(page, {
        browser,
        version,
        settings: LAUNCH[browser].settings,
        record: flags.record,
        say,
      });
    const runInfo = () => ({
      date: new Date().toISOString(),
      browser: { name: browser, version, ...(LAUNCH[browser].settings ? { settings: LAUNCH[browser].settings } : {}) },
      seconds: Math.round((Date.now() - started) / 1000),
      load: { start: loadAtStart, end: loadavg()[0] },
    });
    if (flags['service-worker']) {
      const samples = {};
      for (const m of await serviceWorkerWorkloads(page, { runs: RUNS, say }))
        ((samples['opfs-log'] ??= {})[m.workload] ??= []).push(m);
      return recordPart(PARTS.serviceWorker, { ...runInfo(), medians: mediansOf(samples), notes: {} });
    }
    // A second tab of the same profile, for the workloads that publish into a log the first tab owns.
    const otherTab = await benchPage(await context.newPage());
    await page.evaluate(() => window.bench.wipe());
    const systems = await page.evaluate(() => window.bench.systems());
    const samples = {}; // system → workload → [{ value, unit, extra }]
    const record = (system, measures) => {
      for (const m of measures) ((samples[system] ??= {})[m.workload] ??= []).push(m);
    };
    // A new tab of the same profile, for the rows timed from a fresh page.
    const freshPage = async () => {
      const tab = await benchPage(await context.newPage());
      return { page: tab, close: () => tab.close() };
    };
    const notes = {};
    if (flags.projection) {
      record('opfs-log', await projectionWorkloads(page, otherTab, freshPage, { runs: RUNS, say }));
      Object.assign(notes, await projectionNotes(page));
      return recordPart(PARTS.projection, { ...runInfo(), medians: mediansOf(samples), notes });
    }
    if (flags.backends) return await backendsRun(page, { browser, version, loadAtStart, started, record, samples });
    for (let run = 1; run <= RUNS; run++) {
      for (const { name } of systems) {
        if (ONLY.systems && !ONLY.systems.includes(name)) continue;
        for (const workload of ['publishAndRead', 'publishSingly', 'publishLarge']) {
          if (ONLY.workloads && !ONLY.workloads.includes(workload)) continue;
          if (workload === 'publishSingly' && name === 'raw OPFS') continue;
          if (workload === 'publishLarge' && name !== 'opfs-log' && name !== 'raw OPFS') continue;
          const t = Date.now();
          const measures = await page.evaluate(([s, w]) => window.bench.run(s, w), [name, workload]);
          record(name, measures);
          say(
            `run ${run}/${RUNS} ${name} ${workload}: ${summary(measures)} (${((Date.now() - t) / 1000).toFixed(1)} s)`,
          );
        }
      }
      if (!partial) {
        const t = Date.now();
        const measures = await otherTabWorkloads(page, otherTab, run);
        record('opfs-log', measures);
        say(
          `run ${run}/${RUNS} opfs-log from another tab: ${summary(measures)} (${((Date.now() - t) / 1000).toFixed(1)} s)`,
        );
      }
      await page.evaluate(() => window.bench.wipe());
    }
    if (partial) {
      const machine = { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
      const medians = mediansOf(samples);
      return console.log(renderTable({ ...runInfo(), machine, runs: RUNS, systems, medians, notes, targets: [] }));
    }
    // Replication to NATS JetStream and back, beside the NATS client alone (bench/jetstream.mjs; its own nats-server).
    record('opfs-log', await jetstreamWorkloads(page, { runs: RUNS, say }));
    const heapMeter = workerHeapMeter(browser);
    if (heapMeter.unavailable) say(`1M open, worker heap: not measured in ${browser}: ${heapMeter.unavailable}`);
    record('opfs-log', await reopenWorkload(page, heapMeter));
    // Projections (issue 21): a counter per key folded from a 1M-message log, live in two tabs, a 10 MB snapshot.
    await page.evaluate(() => window.bench.wipe());
    record('opfs-log', await projectionWorkloads(page, otherTab, freshPage, { runs: RUNS, say }));
    Object.assign(notes, await projectionNotes(page));
    // A registered service worker's publishes, with a tab owning the log and with none (bench/service-worker.mjs).
    record('opfs-log', await serviceWorkerWorkloads(page, { runs: RUNS, say }));
    const medians = mediansOf(samples);
    const report = {
      date: new Date().toISOString(),
      browser: { name: browser, version, ...(LAUNCH[browser].settings ? { settings: LAUNCH[browser].settings } : {}) },
      machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      runs: RUNS,
      seconds: Math.round((Date.now() - started) / 1000),
      load: { start: loadAtStart, end: loadavg()[0] },
      systems,
      medians,
      // What a row counts in this browser, or why it has no figure (then shown as "–").
      notes: { '1M open, worker heap': heapMeter.how ?? `not measured: ${heapMeter.unavailable}`, ...notes },
      // The targets are Chromium's (issue 14); other browsers' figures are compared, not judged.
      targets: browser === 'chromium' ? evaluateTargets(medians, TARGETS) : [],
    };
    const written = saveReport(report, { record: flags.record });
    console.log(renderTable(report));
    say(
      `wrote ${written.join(', ')}${flags.record ? '' : '; BENCHMARKS.md is unchanged (npm run bench -- --record updates it)'}`,
    );
  } finally {
    await context.close().catch(() => undefined);
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The two storage backends' publish and read rows, RUNS times each, printed side by side with their ratio. */
async function backendsRun(page, { browser, version, loadAtStart, started, record, samples }) {
  const names = ['opfs-log', 'opfs-log, async backend'];
  for (let run = 1; run <= RUNS; run++) {
    for (const name of names) {
      for (const workload of ['publishAndRead', 'publishSingly']) {
        const measures = await page.evaluate(([s, w]) => window.bench.run(s, w), [name, workload]);
        record(name, measures);
        say(`run ${run}/${RUNS} ${name} ${workload}: ${summary(measures)}`);
      }
    }
    await page.evaluate(() => window.bench.wipe());
  }
  const medians = mediansOf(samples);
  const [sync, async] = names.map((n) => medians[n]);
  for (const [workload, m] of Object.entries(sync)) {
    const a = async[workload];
    console.log(
      `${workload}: sync ${fmt(m.value)} ${m.unit}, async ${fmt(a.value)} ${a.unit} (async/sync ${(a.value / m.value).toFixed(2)})`,
    );
  }
  const report = {
    date: new Date().toISOString(),
    browser: { name: browser, version },
    runs: RUNS,
    seconds: Math.round((Date.now() - started) / 1000),
    load: { start: loadAtStart, end: loadavg()[0] },
    medians,
  };
  const file = new URL(`./out/backends${browser === 'chromium' ? '' : `-${browser}`}.json`, import.meta.url);
  say(`wrote ${writeFile(file, `${JSON.stringify(report, null, 2)}\n`)}`);
}

function fmt(value) {
  return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(2);
}

/** Each workload's median of its samples (and of each extra figure), by system. */
function mediansOf(samples) {
  const medians = {};
  for (const [system, byWorkload] of Object.entries(samples)) {
    for (const [workload, list] of Object.entries(byWorkload)) {
      const value = median(list.map((m) => m.value));
      const extra = {};
      for (const key of Object.keys(list[0].extra ?? {})) extra[key] = median(list.map((m) => m.extra[key]));
      (medians[system] ??= {})[workload] = {
        value,
        unit: list[0].unit,
        samples: list.map((m) => m.value),
        ...(Object.keys(extra).length ? { extra } : {}),
      };
    }
  }
  return medians;
}

/**
 * The modes that run a part of the rows alone: which rows (`rows`), the file
 * they are written to (bench/out/`out`*.json) and the key of the recorded
 * results that says when they were measured (`key`, which report.mjs reads).
 */
const PARTS = {
  projection: { rows: /^projection/, out: 'projection', key: 'projection' },
  serviceWorker: { rows: SW_ROW, out: 'service-worker', key: 'serviceWorker' },
};

/**
 * A run of one part (`--projection`, `--service-worker`): writes
 * bench/out/<part>*.json and prints its rows and targets; with `--record`,
 * puts them in place of that part's rows of this browser's recorded results
 * (the other rows stay as recorded, and the report says when each part was
 * measured) and renders BENCHMARKS.md.
 */
function recordPart(part, run) {
  const judged = run.browser.name === 'chromium';
  const ours = TARGETS.filter((t) => part.rows.test(t.workload));
  const targets = judged ? evaluateTargets(run.medians, ours) : [];
  const files = reportFiles(run.browser.name);
  const name = run.browser.name === 'chromium' ? part.out : `${part.out}-${run.browser.name}`;
  const written = [writeFile(new URL(`./out/${name}.json`, import.meta.url), `${JSON.stringify(run, null, 2)}\n`)];
  if (flags.record) {
    const recorded = existsSync(files.results) ? JSON.parse(readFileSync(files.results, 'utf8')) : null;
    const base = recorded ?? {
      date: run.date,
      browser: run.browser,
      machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      runs: RUNS,
      seconds: run.seconds,
      load: run.load,
      systems: [],
      medians: {},
      notes: {},
    };
    const keep = (entries) => Object.fromEntries(Object.entries(entries ?? {}).filter(([w]) => !part.rows.test(w)));
    base.medians['opfs-log'] = { ...keep(base.medians['opfs-log']), ...run.medians['opfs-log'] };
    base.notes = { ...keep(base.notes), ...run.notes };
    // When this part's rows were measured, if not with the rest.
    base[part.key] = {
      date: run.date,
      version: run.browser.version,
      seconds: run.seconds,
      load: run.load,
      runs: RUNS,
    };
    base.targets = judged ? evaluateTargets(base.medians, TARGETS) : [];
    const json = `${JSON.stringify(base, null, 2)}\n`;
    written.push(writeFile(files.out, json), writeFile(files.results, json), writeMarkdown(files));
  }
  console.log(
    renderTable({
      ...run,
      machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      runs: RUNS,
      targets,
    }),
  );
  say(`wrote ${written.join(', ')}${flags.record ? '' : '; BENCHMARKS.md is unchanged (--record updates it)'}`);
}

/** Loads the bench page into `page` (a tab) and waits until `window.bench` is there. */
async function benchPage(page) {
  page.on('pageerror', (e) => say('[page error]', e.message));
  await page.goto(`http://localhost:${PORT}/bench/index.html`);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
  return page;
}

const summary = (measures) => measures.map((m) => `${m.workload} ${m.value.toFixed(1)} ${m.unit}`).join(', ');

/**
 * publishAndRead's publish and publishSingly, from `other`, a tab that does
 * not own the log: `owner` opens a fresh log first (so its worker runs the
 * engine), `other` opens it too and its calls are forwarded to `owner`. Once
 * `other` closed, `owner` reads back what it wrote.
 */
async function otherTabWorkloads(owner, other, run) {
  const out = [];
  for (const [workload, count] of [
    ['publishBatches', 100_000],
    ['publishSingly', 1000],
  ]) {
    const dir = `bench/other-tab-${run}-${workload}`;
    const owns = await owner.evaluate((d) => window.bench.tabs.openLog(d), dir);
    const otherOwns = await other.evaluate((d) => window.bench.tabs.openLog(d), dir);
    if (!owns || otherOwns)
      throw new Error(`${dir}: the first tab must own the log and the other forward (owns: ${owns}, ${otherOwns})`);
    out.push(...(await other.evaluate((w) => window.bench.tabs[w](), workload)));
    // The other tab closes first: had the owner closed first, the other would have taken over.
    await other.evaluate(() => window.bench.tabs.closeLog());
    await owner.evaluate((n) => window.bench.tabs.verify(n), count);
    await owner.evaluate(() => window.bench.tabs.closeLog());
  }
  return out;
}

/**
 * Build a BIG-message log once, reopen it RUNS times (timed) and read the
 * worker heap while it is open, where `heapMeter` can (see bench/heap.mjs).
 */
async function reopenWorkload(page, heapMeter) {
  const dir = 'bench/reopen-1m';
  const t = Date.now();
  await page.evaluate(([d, n]) => window.bench.reopen.build(d, n), [dir, BIG]);
  say(`built a ${BIG}-message log in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  let baseline;
  if (heapMeter.measure) {
    await page.evaluate(() => window.bench.reopen.holdEmpty('bench/empty'));
    baseline = await heapMeter.measure(page);
    await page.evaluate(() => window.bench.reopen.release());
  }
  const out = [];
  for (let run = 1; run <= RUNS; run++) {
    const ms = await page.evaluate((d) => window.bench.reopen.reopen(d), dir);
    const messages = await page.evaluate(() => window.bench.reopen.heldMessages());
    if (messages !== BIG) throw new Error(`verification failed: reopened log has ${messages} messages, not ${BIG}`);
    const heap = heapMeter.measure ? await heapMeter.measure(page) : undefined;
    await page.evaluate(() => window.bench.reopen.release());
    out.push({ workload: 'reopen 1M, first get', value: ms, unit: 'ms' });
    if (heap === undefined) {
      say(`reopen ${run}/${RUNS}: ${ms.toFixed(0)} ms to first get`);
      continue;
    }
    const perMessage = (heap - baseline) / BIG;
    say(
      `reopen ${run}/${RUNS}: ${ms.toFixed(0)} ms to first get; worker heap ${(heap / 2 ** 20).toFixed(1)} MiB (${perMessage.toFixed(1)} B/message over an empty log's ${(baseline / 2 ** 20).toFixed(1)} MiB)`,
    );
    out.push({ workload: '1M open, worker heap', value: perMessage, unit: 'B/message' });
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
