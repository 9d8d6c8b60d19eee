// `npm run bench -- --scaling [--record] [--browser firefox]`: how
// opfs-log's costs grow with the log. For each size a fresh log is
// published, read back, reopened, weighed and looked up by key (the page
// side is bench/scaling.ts), then removed. Writes bench/out/scaling.json and
// its chart (scaling-firefox.* for Firefox); with --record also the tracked
// bench/scaling.json and bench/scaling.svg, and re-renders BENCHMARKS.md.
import { cpus, loadavg, totalmem } from 'node:os';
import { workerHeapMeter } from './heap.mjs';
import { reportFiles, writeFile, writeMarkdown } from './report.mjs';
import { SCALING_HEADER, scalingChart, scalingFiles, scalingRows, scalingSentences } from './scaling-report.mjs';
import { median } from './targets.mjs';

export const DEFAULT_SIZES = [10_000, 100_000, 1_000_000, 10_000_000];
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
/** An untimed log of this size goes first, so the page's code is warm before the first size is timed. */
const WARM_UP = 10_000;

/** The sizes to run: BENCH_SCALING_SIZES (comma-separated message counts) or the default four. */
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
  `*reopen*: after close(), from open() until the first get() resolved.`,
  `*worker heap*: right after the reopen; B/message over an empty log's heap.`,
  `*getByKey*: ${count(LOOKUPS)} random existing keys, each verified, after ${count(LOOKUPS)} others looked up since the reopen ` +
    `(the first lookups also build each segment's key order; their figure is in brackets).`,
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
  const meter = workerHeapMeter(browser);
  if (meter.unavailable) say(`worker heap: not measured in ${browser}: ${meter.unavailable}`);
  const baseline = meter.measure ? await emptyLogHeap(page, meter) : undefined;
  await measureSize(page, WARM_UP, meter, baseline);
  const results = [];
  for (const messages of sizes) {
    const runs = [];
    for (let run = 0; run < (messages <= SMALL ? SMALL_RUNS : 1); run++)
      runs.push(await measureSize(page, messages, meter, baseline));
    const result = mediansOf(runs);
    say(
      `${messages.toLocaleString('en')} messages, ${runs.length === 1 ? 'one run' : `medians of ${runs.length} runs`}: ${scalingRows(
        { sizes: [result] },
      )[0]
        .slice(1)
        .join('; ')}`,
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
    sizes: results,
  };
  const files = scalingFiles(browser);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const chart = scalingChart(report);
  const written = [writeFile(files.out, json), writeFile(files.outSvg, chart)];
  if (record)
    written.push(writeFile(files.json, json), writeFile(files.svg, chart), writeMarkdown(reportFiles(browser)));
  console.log([SCALING_HEADER, ...scalingRows(report)].map((r) => r.join(' | ')).join('\n'));
  console.log(scalingSentences(report));
  say(
    `whole run ${report.seconds} s; wrote ${written.join(', ')}${record ? '' : '; BENCHMARKS.md is unchanged (--record updates it)'}`,
  );
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
      : Object.fromEntries(Object.keys(values[0]).map((key) => [key, merge(values.map((v) => v[key]))]));
  return { ...merge(runs), runs: runs.length, seconds: runs.reduce((sum, r) => sum + r.seconds, 0) };
}

/** One run of one size, on a log of its own that is removed at the end. */
async function measureSize(page, messages, meter, baseline) {
  const dir = `bench/scaling-${messages}`;
  const started = Date.now();
  const publishMs = await page.evaluate(([d, n]) => window.bench.scaling.publish(d, n), [dir, messages]);
  const {
    ms: consumeMs,
    read,
    stretches,
  } = await page.evaluate(([n, max]) => window.bench.scaling.consume(n, max), [messages, CONSUME_MAX]);
  await page.evaluate(() => window.bench.scaling.close());
  const reopenMs = await page.evaluate(([d, n]) => window.bench.scaling.reopen(d, n), [dir, messages]);
  const heapBytes = meter.measure ? await meter.measure(page) : undefined;
  const lookups = ([n, count, seed]) => window.bench.scaling.getByKey(n, count, seed);
  const afterReopenMs = await page.evaluate(lookups, [messages, LOOKUPS, 2]);
  const getByKeyMs = await page.evaluate(lookups, [messages, LOOKUPS, 3]);
  await page.evaluate((d) => window.bench.scaling.remove(d), dir);
  return {
    messages,
    seconds: (Date.now() - started) / 1000,
    publish: { usPerMessage: (publishMs * 1000) / messages, msgPerSecond: messages / (publishMs / 1000) },
    consume: { read, stretches, usPerMessage: (consumeMs * 1000) / read, msgPerSecond: read / (consumeMs / 1000) },
    getByKey: { usPerOp: (getByKeyMs * 1000) / LOOKUPS, afterReopenUsPerOp: (afterReopenMs * 1000) / LOOKUPS },
    reopen: { ms: reopenMs },
    ...(heapBytes === undefined
      ? {}
      : { heap: { MiB: heapBytes / 2 ** 20, bytesPerMessage: (heapBytes - baseline) / messages } }),
  };
}
