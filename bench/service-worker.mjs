// A service worker's publish latency (issue 22): the workloads of
// bench/service-worker/ (sw.ts, the service worker; page.ts, the bench page's
// side), driven from bench/run.mjs (`npm run bench -- --service-worker`).
// What each figure is, as BENCHMARKS.md says it, is SERVICE_WORKER_SETTINGS.

const COUNT = Number(process.env.BENCH_SW_PUBLISHES ?? 200);

/** The rows' names; ROW matches both. */
export const SW_ROWS = {
  forwarding: `publish ${COUNT} singly, from a service worker, a tab owns the log`,
  owning: `publish ${COUNT} singly, from a service worker, no tab: it owns the files`,
};
export const SW_ROW = /, from a service worker/;

/** How the service-worker rows are taken (BENCHMARKS.md lists it). */
export const SERVICE_WORKER_SETTINGS = [
  `A registered service worker (bench/service-worker/sw.ts, bundled as a classic script in both browsers with the built \`opfs-log/service-worker\`) opens a log (keyIndex + timeIndex) and publishes ${COUNT} messages one at a time (10-byte keys, 128-byte values), one \`message\` event each; each publish is timed inside the service worker, from the \`publish\` call to its resolve (the page's round trip to the service worker is not counted). p50, with p90 and p99 beside it.`,
  '*a tab owns the log*: a bench tab opened the log for writing first, so its dedicated worker owns the files (sync access handles) and the service worker forwards each publish to it (over a BroadcastChannel, to the tab and on to its worker).',
  '*no tab: it owns the files*: then the tab closes the log, the service worker takes the files over (waited for, not timed) and writes them itself on the asynchronous backend: each publish commits the head segment whole (written under a new name and moved over the old one) before it resolves.',
  'Every publish is checked as it resolves (the next offset, and whether the service worker owned or forwarded it), and the service worker reads the log back at the end: exactly the messages published, once each.',
];

/**
 * Runs both set-ups `runs` times in `page` (a bench tab), each run on a fresh
 * log. Returns the measures, as run.mjs records them.
 */
export async function serviceWorkerWorkloads(page, { runs, say }) {
  const out = [];
  await page.evaluate(() => window.bench.serviceWorker.register());
  for (let run = 1; run <= runs; run++) {
    const dir = `bench/service-worker-${Date.now()}-${run}`;
    // (a) The tab opens the log first and owns it; the service worker forwards.
    const tabOwns = await page.evaluate((d) => window.bench.tabs.openLog(d), dir);
    const swOwns = await page.evaluate((d) => window.bench.serviceWorker.openLog(d), dir);
    if (!tabOwns || swOwns)
      throw new Error(`${dir}: the tab must own the log and the service worker forward (owns: ${tabOwns}, ${swOwns})`);
    const forwarding = await page.evaluate(
      ([d, n, row]) => window.bench.serviceWorker.publish(d, 0, n, false, row),
      [dir, COUNT, SW_ROWS.forwarding],
    );
    // (b) The tab closes the log: the service worker takes the files over and writes them itself.
    await page.evaluate(() => window.bench.tabs.closeLog());
    const takeoverMs = await page.evaluate((d) => window.bench.serviceWorker.untilOwner(d), dir);
    const owning = await page.evaluate(
      ([d, n, row]) => window.bench.serviceWorker.publish(d, n, n, true, row),
      [dir, COUNT, SW_ROWS.owning],
    );
    await page.evaluate(([d, n]) => window.bench.serviceWorker.verify(d, 2 * n), [dir, COUNT]);
    await page.evaluate((d) => window.bench.serviceWorker.closeLog(d), dir);
    const measures = [forwarding, owning];
    out.push(...measures);
    say(
      `run ${run}/${runs} service worker: ${measures.map((m) => `${m.value.toFixed(2)} ${m.unit} (p90 ${m.extra.p90.toFixed(2)}, p99 ${m.extra.p99.toFixed(2)})`).join(' with a tab owning, ')} owning itself (took over in ${takeoverMs.toFixed(0)} ms)`,
    );
  }
  return out;
}
