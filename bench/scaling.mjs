// `npm run bench -- --scaling [--record] [--browser firefox]`: how
// opfs-log's costs grow with the log. For each size that the disk holds a
// fresh log is published, weighed on disk, read back, reopened, weighed in
// the worker's heap, looked up by key and by time, and probed for open file
// handles (the page side is bench/scaling.ts), then removed; then a fresh
// page's cold start on a 10k-message log. Writes bench/out/scaling.json and
// its chart (scaling-firefox.* for Firefox); with --record also the tracked
// bench/scaling.json and bench/scaling.svg, and re-renders BENCHMARKS.md.
import { statfsSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { workerHeapMeter } from './heap.mjs';
import { reportFiles, writeFile, writeMarkdown } from './report.mjs';
import {
  SCALING_HEADER,
  scalingChart,
  scalingFiles,
  scalingRows,
  scalingSentences,
  scalingTargets,
} from './scaling-report.mjs';
import { median } from './targets.mjs';

export const DEFAULT_SIZES = [10_000, 100_000, 1_000_000, 10_000_000, 30_000_000];
/** Above this many messages consume reads this many of them, spread in CONSUME_STRETCHES stretches. */
const CONSUME_MAX = 1_000_000;
/** As bench/scaling.ts's consume spreads them. */
const CONSUME_STRETCHES = 10;
const LOOKUPS = 1000;
/**
 * Sizes up to SMALL take a second or two and time only milliseconds, so they
 * are run SMALL_RUNS times (medians); larger ones, timed over seconds, once.
 */
const SMALL = 100_000;
const SMALL_RUNS = 3;
/**
 * Reopens after the first (which follows the publish and the handle probe
 * at once): the reopen figure is their median. The first is kept beside it:
 * at 30M it ran while the browser was still busy with what the run had just
 * written (traced: the worker's script compiled in 52 ms, 5 at 100k, and the
 * summaries took 141 ms to come from IndexedDB; bench/findings.md).
 */
const REOPENS = 5;
/** An untimed log of this size goes first, so the page's code is warm before the first size is timed. */
const WARM_UP = 10_000;
/**
 * The bound issue 23 sets on a log's open sync access handles: its pool's
 * default (64 open segment files). Before the pool every sealed segment
 * holds one.
 */
export const HANDLE_BOUND = 64;
/**
 * How long the handle probe of one size may take: past it, the files probed
 * so far (an even sample, the head first: bench/stretches.ts's probeOrder)
 * stand for all. Chromium probes a file in well under a millisecond.
 */
const PROBE_BUDGET_MS = Number(process.env.BENCH_PROBE_BUDGET_MS ?? 30_000);
/** The same probe with the log closed, before the reopen: none may refuse; it times a probe that gets its handle. */
const CONTROL_BUDGET_MS = 5_000;
/** Disk a size is assumed to take per message before one has been weighed (10M took ~1.8 GB). */
const BYTES_PER_MESSAGE_GUESS = 250;
/** Room kept free beyond what a size is expected to take. */
const DISK_MARGIN = 1.25;
/** The cold start: a fresh page opens a log of COLD_MESSAGES, COLD_RUNS times after an untimed one. */
const COLD_MESSAGES = 10_000;
const COLD_RUNS = 7;

/** The sizes to run: BENCH_SCALING_SIZES (comma-separated message counts) or the default five. */
export function scalingSizes(env = process.env) {
  const text = env.BENCH_SCALING_SIZES;
  if (!text) return DEFAULT_SIZES;
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_SCALING_SIZES=${text}: expected message counts, e.g. 10000,100000`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

const count = (n) => n.toLocaleString('en');

/** How each figure is taken, as BENCHMARKS.md lists it. */
const SETTINGS = [
  `Medians of ${SMALL_RUNS} runs for sizes up to ${count(SMALL)} messages, one run for larger ones, after an untimed ${count(WARM_UP)}-message warm-up. ` +
    `Each run on a fresh log (keyIndex + timeIndex, otherwise default options, opened from the main thread as bench/systems/opfs-log.ts does) ` +
    `of 10-byte keys and 128-byte values, closed and removed at the end.`,
  `*publish*: batches of 1,000, each made just before its publish (untimed); the publish calls and the final sync() timed.`,
  `*consume*: batches of 1,000, each verified (offsets and checksum); the whole log up to ${count(CONSUME_MAX)} messages, ` +
    `beyond that ${count(CONSUME_MAX)} of it in ${CONSUME_STRETCHES} stretches of ${count(CONSUME_MAX / CONSUME_STRETCHES)} spread evenly from the first message to the last.`,
  `*reopen*: after close(), from open() until the first get() resolved; the median of ${REOPENS} reopens after a first one ` +
    `that follows the publish and the handle probe at once (its figure in brackets).`,
  `*worker heap*: right after the reopen, and again after the lookups below (${count(4 * LOOKUPS)} random reads over the whole log, which load and drop segment indexes: ` +
    `after the reopen alone the indexes a reader loads, and any growth, are not seen); B/message over an empty log's heap.`,
  `*getByKey*: ${count(LOOKUPS)} random existing keys, each verified, after ${count(LOOKUPS)} others looked up since the reopen ` +
    `(the first lookups also build each segment's key order; their figure is in brackets).`,
  `*getByTime*: then ${count(LOOKUPS)} random existing times (message i was published at a time of its own, base + i ms), ` +
    `each verified (offset, time and bytes); *offsetByTime* the same for ${count(LOOKUPS)} others.`,
  `*open handles*: after the lookups, a dedicated worker of the bench page asks for a sync access handle of each segment file ` +
    `of the log itself and closes the ones it gets at once; a file whose handle the log holds refuses (NoModificationAllowedError). ` +
    `Counted from outside the log, nothing hooked in it. Newest segment first, then the rest evenly spread; ` +
    `if the probes of a size pass ${count(PROBE_BUDGET_MS / 1000)} s, the files probed so far are an even sample and the count is scaled to all segments (marked ~). ` +
    `Before the reopen the same probe runs on the closed log (for up to ${CONTROL_BUDGET_MS / 1000} s) as a control: no file may refuse then.`,
  `*disk*: navigator.storage.estimate()'s usage after the publish and sync (the origin's whole usage: the log's OPFS files and its IndexedDB index records; ` +
    `nothing else is stored in the run's profile); each size is skipped if the disk's free space (or the origin's quota) would not hold it.`,
  `*cold start*: a ${count(COLD_MESSAGES)}-message log published and closed, then a new tab of the same profile loads the bench page ` +
    `and is timed from its first open() (which starts the worker) until get(0) resolved; median of ${COLD_RUNS} fresh tabs after an untimed one.`,
];

/**
 * Runs every size in `page` (the bench page, in a profile of the run's own)
 * and writes the report where `record` says. `say` logs progress.
 */
export async function scalingRun(page, { browser, version, settings, record, say }) {
  const sizes = scalingSizes();
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  await page.evaluate(() => window.bench.wipe());
  const freeAtStart = freeDisk();
  const meter = workerHeapMeter(browser);
  if (meter.unavailable) say(`worker heap: not measured in ${browser}: ${meter.unavailable}`);
  const baseline = meter.measure ? await emptyLogHeap(page, meter) : undefined;
  await measureSize(page, WARM_UP, meter, baseline);
  // First, on a profile that has not yet removed gigabytes: after the 30M log was removed a new tab once
  // waited over a minute for its page to load. A cold start that fails is reported, not the end of the run.
  const coldStart = await coldStartRun(page, say).catch((err) => {
    say(`cold start: failed: ${err.message.split('\n')[0]}`);
    return { error: err.message.split('\n')[0] };
  });
  const results = [];
  const skipped = [];
  const refusals = {};
  let bytesPerMessage = BYTES_PER_MESSAGE_GUESS;
  for (const messages of sizes) {
    const room = await diskRoom(page);
    const needs = messages * bytesPerMessage * DISK_MARGIN;
    if (needs > room.bytes) {
      const reason = `needs ~${gb(needs)} (${bytesPerMessage.toFixed(0)} B/message × ${DISK_MARGIN}), ${room.what} has ${gb(room.bytes)}`;
      say(`${messages.toLocaleString('en')} messages: skipped, the disk would not hold it: ${reason}`);
      skipped.push({ messages, reason });
      continue;
    }
    const runs = [];
    for (let run = 0; run < (messages <= SMALL ? SMALL_RUNS : 1); run++) {
      const { errors, ...figures } = await measureSize(page, messages, meter, baseline);
      for (const [name, n] of Object.entries(errors)) refusals[name] = (refusals[name] ?? 0) + n;
      runs.push(figures);
    }
    const result = mediansOf(runs);
    // The largest size weighed so far tells best what the next takes: a small log's fixed part inflates its B/message.
    if (result.disk.bytes > 0) bytesPerMessage = result.disk.bytes / messages;
    say(
      `${messages.toLocaleString('en')} messages, ${runs.length === 1 ? 'one run' : `medians of ${runs.length} runs`}: ${scalingRows(
        { sizes: [result] },
      )[0]
        .slice(1)
        .join('; ')}`,
    );
    if (result.heap)
      say(
        `${messages.toLocaleString('en')} messages: worker heap ${result.heap.bytesPerMessage.toFixed(2)} B/message after the reopen, ${result.heap.afterLookups.bytesPerMessage.toFixed(2)} after the lookups`,
      );
    results.push(result);
  }
  const report = {
    date: new Date().toISOString(),
    browser: { name: browser, version, ...(settings ? { settings } : {}) },
    machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    seconds: Math.round((Date.now() - started) / 1000),
    load: { start: loadAtStart, end: loadavg()[0] },
    settings: SETTINGS,
    heap: meter.how ?? `not measured: ${meter.unavailable}`,
    handles: { bound: HANDLE_BOUND, refusals, budgetMs: PROBE_BUDGET_MS },
    disk: { freeAtStart },
    ...(skipped.length ? { skipped } : {}),
    sizes: results,
    coldStart,
  };
  const files = scalingFiles(browser);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const chart = scalingChart(report);
  const written = [writeFile(files.out, json), writeFile(files.outSvg, chart)];
  if (record)
    written.push(writeFile(files.json, json), writeFile(files.svg, chart), writeMarkdown(reportFiles(browser)));
  console.log([SCALING_HEADER, ...scalingRows(report)].map((r) => r.join(' | ')).join('\n'));
  console.log(scalingSentences(report));
  for (const line of scalingTargets(report)) console.log(`- ${line}`);
  say(
    `whole run ${report.seconds} s; wrote ${written.join(', ')}${record ? '' : '; BENCHMARKS.md is unchanged (--record updates it)'}`,
  );
}

const gb = (bytes) => `${(bytes / 1e9).toFixed(2)} GB`;

/** Free bytes on the disk of the run's profile (a directory in the temporary directory, as run.mjs makes it). */
function freeDisk() {
  const { bavail, bsize } = statfsSync(tmpdir());
  return bavail * bsize;
}

/** The room a size may take: the least of the disk's free space and what the origin's quota leaves. */
async function diskRoom(page) {
  const disk = freeDisk();
  const { usage, quota } = await page.evaluate(() => window.bench.scaling.usage());
  const left = quota > 0 ? quota - usage : Number.POSITIVE_INFINITY;
  return left < disk ? { bytes: left, what: "the origin's quota" } : { bytes: disk, what: `the disk (${tmpdir()})` };
}

/**
 * The cold start: a COLD_MESSAGES log published and closed in `page`, then
 * opened by fresh tabs of the same profile, each timed from its first open()
 * to its first get (bench/scaling.ts's coldStart); the first tab untimed.
 */
async function coldStartRun(page, say) {
  const dir = 'bench/scaling-cold';
  await page.evaluate(([d, n]) => window.bench.scaling.publish(d, n), [dir, COLD_MESSAGES]);
  await page.evaluate(() => window.bench.scaling.close());
  const samples = [];
  for (let run = 0; run <= COLD_RUNS; run++) {
    const tab = await page.context().newPage();
    try {
      tab.on('pageerror', (e) => say('[page error]', e.message));
      await tab.goto(page.url());
      await tab.waitForSelector('body[data-ready="yes"]', { timeout: 120_000 });
      const ms = await tab.evaluate(([d, n]) => window.bench.scaling.coldStart(d, n), [dir, COLD_MESSAGES]);
      if (run > 0) samples.push(ms);
    } finally {
      await tab.close();
    }
  }
  await page.evaluate((d) => window.bench.scaling.remove(d), dir);
  const ms = median(samples);
  say(
    `cold start, ${COLD_MESSAGES.toLocaleString('en')} messages: ${ms.toFixed(1)} ms (median of ${samples.length} fresh tabs: ${samples.map((v) => v.toFixed(1)).join(', ')})`,
  );
  return { messages: COLD_MESSAGES, ms, samples };
}

/** The worker's heap with an empty log open: what each size's heap is counted over. */
async function emptyLogHeap(page, meter) {
  const dir = 'bench/scaling-empty';
  await page.evaluate((d) => window.bench.scaling.holdEmpty(d), dir);
  const bytes = await meter.measure(page);
  await page.evaluate((d) => window.bench.scaling.remove(d), dir);
  return bytes;
}

/** Each figure of `runs` (one size's results) as the median of its runs, as run.mjs takes them; `seconds` their sum. */
function mediansOf(runs) {
  const merge = (values) =>
    typeof values[0] === 'number'
      ? median(values)
      : typeof values[0] === 'boolean'
        ? values[0]
        : Object.fromEntries(Object.keys(values[0]).map((key) => [key, merge(values.map((v) => v[key]))]));
  return { ...merge(runs), runs: runs.length, seconds: runs.reduce((sum, r) => sum + r.seconds, 0) };
}

/** A heap reading in MiB and in bytes a message over `baseline` (an empty log's). */
function heapFigures(bytes, baseline, messages) {
  return { MiB: bytes / 2 ** 20, bytesPerMessage: (bytes - baseline) / messages };
}

/** One run of one size, on a log of its own that is removed at the end. */
async function measureSize(page, messages, meter, baseline) {
  const dir = `bench/scaling-${messages}`;
  const started = Date.now();
  const publishMs = await page.evaluate(([d, n]) => window.bench.scaling.publish(d, n), [dir, messages]);
  const { usage: diskBytes } = await page.evaluate(() => window.bench.scaling.usage());
  const {
    ms: consumeMs,
    read,
    stretches,
  } = await page.evaluate(([n, max]) => window.bench.scaling.consume(n, max), [messages, CONSUME_MAX]);
  await page.evaluate(() => window.bench.scaling.close());
  // The control: with the log closed no file may refuse; and what a probe that gets its handle costs.
  const control = await page.evaluate(
    ([d, budget]) => window.bench.scaling.countHandles(d, budget),
    [dir, CONTROL_BUDGET_MS],
  );
  if (control.refused > 0)
    throw new Error(`${dir}: ${control.refused} segment files refused a handle with the log closed`);
  const reopen = () => page.evaluate(([d, n]) => window.bench.scaling.reopen(d, n), [dir, messages]);
  const firstReopenMs = await reopen();
  const reopens = [];
  for (let i = 0; i < REOPENS; i++) {
    await page.evaluate(() => window.bench.scaling.close());
    reopens.push(await reopen());
  }
  const heapBytes = meter.measure ? await meter.measure(page) : undefined;
  const lookups = ([n, count, seed]) => window.bench.scaling.getByKey(n, count, seed);
  const afterReopenMs = await page.evaluate(lookups, [messages, LOOKUPS, 2]);
  const getByKeyMs = await page.evaluate(lookups, [messages, LOOKUPS, 3]);
  const byTime = ([n, count, seed, offsetOnly]) => window.bench.scaling.getByTime(n, count, seed, offsetOnly);
  const getByTimeMs = await page.evaluate(byTime, [messages, LOOKUPS, 4, false]);
  const offsetByTimeMs = await page.evaluate(byTime, [messages, LOOKUPS, 5, true]);
  const heapAfterLookups = meter.measure ? await meter.measure(page) : undefined;
  const probe = await page.evaluate(
    ([d, budget]) => window.bench.scaling.countHandles(d, budget),
    [dir, PROBE_BUDGET_MS],
  );
  await page.evaluate((d) => window.bench.scaling.remove(d), dir);
  const sampled = probe.probed < probe.segments;
  return {
    messages,
    seconds: (Date.now() - started) / 1000,
    publish: { usPerMessage: (publishMs * 1000) / messages, msgPerSecond: messages / (publishMs / 1000) },
    consume: { read, stretches, usPerMessage: (consumeMs * 1000) / read, msgPerSecond: read / (consumeMs / 1000) },
    getByKey: { usPerOp: (getByKeyMs * 1000) / LOOKUPS, afterReopenUsPerOp: (afterReopenMs * 1000) / LOOKUPS },
    getByTime: { usPerOp: (getByTimeMs * 1000) / LOOKUPS },
    offsetByTime: { usPerOp: (offsetByTimeMs * 1000) / LOOKUPS },
    reopen: { ms: median(reopens), first: firstReopenMs },
    handles: {
      open: sampled ? Math.round((probe.refused * probe.segments) / probe.probed) : probe.refused,
      sampled,
      segments: probe.segments,
      probed: probe.probed,
      refused: probe.refused,
      msPerProbe: probe.msPerProbe,
      closedProbed: control.probed,
      closedMsPerProbe: control.msPerProbe,
    },
    disk: { bytes: diskBytes, fileBytes: probe.fileBytes },
    errors: probe.errors,
    ...(heapBytes === undefined
      ? {}
      : {
          heap: {
            ...heapFigures(heapBytes, baseline, messages),
            afterLookups: heapFigures(heapAfterLookups, baseline, messages),
          },
        }),
  };
}
