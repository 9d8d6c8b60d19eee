// Projections (issue 21): the workloads of bench/projection.ts, driven from
// bench/run.mjs, in a full run or alone (`npm run bench -- --projection`).
// What each figure is, as BENCHMARKS.md says it, is PROJECTION_SETTINGS.
import { median } from './targets.mjs';

const MESSAGES = Number(process.env.BENCH_BIG ?? 1_000_000);
const LATENCY_SAMPLES = 200;

/** How each projection row is taken (BENCHMARKS.md lists it). */
export const PROJECTION_SETTINGS = [
  `A counter per key over 10,000 keys, folded from a ${MESSAGES.toLocaleString('en')}-message log (10-byte keys, 128-byte values; keyIndex + timeIndex) by an \`apply\` over the raw key bytes that counts in place, with \`clone\` (a copy of the 10,000 counters per batch of 5,000). Every fold is checked against the counts the log gives.`,
  '*full replay*: on the log already open, `projection(log, …)` with `snapshots: false` until `ready`; *by hand (the baseline)*: the same fold as apps keep it today, `consume` of 5,000 from the oldest message on every load, no snapshot.',
  '*from a snapshot*: the same, resuming from the snapshot of the whole log (IndexedDB; checksum, anchor and JSON decode included); the by-hand replay it replaces in brackets.',
  "*from a fresh page*: a new tab each time, from `open()` to the projection `ready` from its snapshot; *beyond the reopen*: that less the same log's reopen (`open()` to the first `get()`) in another new tab, the medians of each.",
  `*publish to the state*: ${LATENCY_SAMPLES} publishes of one message, one at a time, each from the publish call until a subscriber sees the state that includes it, in the publishing tab (which owns the log) and in another tab (whose calls are forwarded to the owner); the other tab tells the first over a BroadcastChannel, so its figure includes that hop back (its p50 in brackets, half a ping-pong).`,
  "*saving a 10 MB snapshot*: `saveSnapshot()` of a state of 100,000 small objects (12.6 MB of JSON, the default codec, a slice at a time), with a heartbeat running (scheduler.postTask user-blocking tasks 1 ms apart where the browser has them, else MessageChannel messages): the longest task is the longest `longtask` entry where the browser reports them (Chromium; with none, every task was under 50 ms and the heartbeat's largest gap is the figure), else (Firefox) the heartbeat's largest gap.",
];

/**
 * Runs the projection workloads `runs` times: `page` and `other` are two tabs
 * of the bench page; `freshPage()` opens a new one (closed by the caller's
 * `close`). Returns the measures, as run.mjs records them.
 */
export async function projectionWorkloads(page, other, freshPage, { runs, say }) {
  const out = [];
  const dir = 'bench/projection-1m';
  let t = Date.now();
  await page.evaluate(([d, n]) => window.bench.projection.build(d, n), [dir, MESSAGES]);
  await page.evaluate((d) => window.bench.projection.openLog(d), dir);
  await page.evaluate((n) => window.bench.projection.saveSnapshot(n), MESSAGES);
  say(`projection: built and snapshotted a ${MESSAGES}-message log in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // Untimed, so the first timed run is not also the page's first fold.
  await page.evaluate((n) => window.bench.projection.timeToState(n, false), MESSAGES);
  await page.evaluate((n) => window.bench.projection.byHand(n), MESSAGES);

  for (let run = 1; run <= runs; run++) {
    const replayMs = await page.evaluate((n) => window.bench.projection.timeToState(n, false), MESSAGES);
    const handMs = await page.evaluate((n) => window.bench.projection.byHand(n), MESSAGES);
    const snapshotMs = await page.evaluate((n) => window.bench.projection.timeToState(n, true), MESSAGES);
    out.push(
      { workload: 'projection 1M, full replay', value: MESSAGES / (replayMs / 1000), unit: 'msg/s' },
      {
        workload: 'projection 1M, full replay, by hand with consume (the baseline)',
        value: MESSAGES / (handMs / 1000),
        unit: 'msg/s',
      },
      { workload: 'projection 1M, from a snapshot', value: snapshotMs, unit: 'ms', extra: { 'by hand': handMs } },
    );
    say(
      `projection run ${run}/${runs}: full replay ${replayMs.toFixed(0)} ms, by hand ${handMs.toFixed(0)} ms, from a snapshot ${snapshotMs.toFixed(1)} ms`,
    );
  }
  await page.evaluate(() => window.bench.projection.closeLog());

  const reopens = [];
  const fresh = [];
  const reopenOnce = () => inFreshPage(freshPage, (d) => window.bench.projection.freshReopen(d), dir);
  const freshOnce = () =>
    inFreshPage(freshPage, ([d, n]) => window.bench.projection.freshProjection(d, n), [dir, MESSAGES]);
  await reopenOnce(); // untimed: the first new tab also warms the browser's caches of the log's files
  for (let run = 1; run <= runs; run++) {
    // Each first in turn, so neither always comes after the other.
    if (run % 2) reopens.push(await reopenOnce());
    fresh.push(await freshOnce());
    if (!(run % 2)) reopens.push(await reopenOnce());
    say(
      `projection run ${run}/${runs}: from a fresh page ${fresh.at(-1).ms.toFixed(0)} ms (open ${fresh.at(-1).openMs.toFixed(0)}), the log's reopen ${reopens.at(-1).ms.toFixed(0)} ms (open ${reopens.at(-1).openMs.toFixed(0)})`,
    );
  }
  const reopen = median(reopens.map((r) => r.ms));
  for (const { ms, openMs } of fresh) {
    out.push(
      {
        workload: 'projection 1M, from a fresh page, open included',
        value: ms,
        unit: 'ms',
        extra: { 'open()': openMs, reopen },
      },
      { workload: 'projection 1M, from a fresh page, beyond the reopen', value: ms - reopen, unit: 'ms' },
    );
  }

  for (let run = 1; run <= runs; run++) {
    const live = `bench/projection-live-${run}`;
    const owns = await page.evaluate((d) => window.bench.projection.openLog(d, true), live);
    const otherOwns = await other.evaluate((d) => window.bench.projection.openLog(d), live);
    if (!owns || otherOwns) throw new Error(`${live}: the first tab must own the log (owns: ${owns}, ${otherOwns})`);
    await page.evaluate(() => window.bench.projection.follow(false));
    await other.evaluate(() => window.bench.projection.follow(true));
    const measures = [
      ...(await page.evaluate((n) => window.bench.projection.publishToState('here', n), LATENCY_SAMPLES)),
      ...(await page.evaluate((n) => window.bench.projection.publishToState('there', n), LATENCY_SAMPLES)),
    ];
    await other.evaluate(() => window.bench.projection.unfollow());
    await page.evaluate(() => window.bench.projection.unfollow());
    await other.evaluate(() => window.bench.projection.closeLog());
    await page.evaluate(() => window.bench.projection.closeLog());
    out.push(...measures);
    say(`projection run ${run}/${runs}: ${measures.map((m) => `${m.workload} ${m.value.toFixed(2)} ms`).join(', ')}`);
  }

  for (let run = 1; run <= runs; run++) {
    t = Date.now();
    const measures = await page.evaluate((r) => window.bench.projection.saveBig('bench/projection-big', r), run);
    out.push(...measures);
    const [m] = measures;
    say(
      `projection run ${run}/${runs}: saving ${m.extra.MB.toFixed(1)} MB took ${m.extra['save ms'].toFixed(0)} ms, longest task ${m.value.toFixed(1)} ms (${m.extra['long tasks']} long tasks, heartbeat gap ${m.extra['heartbeat gap'].toFixed(1)} ms) (${((Date.now() - t) / 1000).toFixed(1)} s)`,
    );
  }
  return out;
}

/** What `saveBig`'s longest task is in this browser (a note in the report). */
export async function projectionNotes(page) {
  const how = await page.evaluate(() => window.bench.projection.taskWatch());
  const heartbeat = how.postTask
    ? "a heartbeat of scheduler.postTask user-blocking tasks 1 ms apart (they go before scheduler.yield's continuations, which the encoder yields with)"
    : 'a MessageChannel heartbeat';
  return {
    'projection, saving a 10 MB snapshot, longest task': how.longtask
      ? `the longest PerformanceObserver 'longtask' entry while it saves (with none, every task was under 50 ms and the figure is the largest gap of ${heartbeat})`
      : `no 'longtask' entries in this browser: the largest gap of ${heartbeat} while it saves`,
  };
}

async function inFreshPage(freshPage, fn, arg) {
  const { page, close } = await freshPage();
  try {
    return await page.evaluate(fn, arg);
  } finally {
    await close();
  }
}
