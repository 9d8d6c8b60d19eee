// The scaling run's report (bench/scaling.mjs writes it): where it goes, its
// table, the sentences BENCHMARKS.md says about it, and its chart.
import { formatValue, smallMultiples } from './chart.mjs';

/** Where a browser's scaling results go: `out` and `outSvg` on every run (ignored by git), `json` and `svg` when recorded. */
export function scalingFiles(browser) {
  const name = browser === 'chromium' ? 'scaling' : `scaling-${browser}`;
  return {
    out: new URL(`./out/${name}.json`, import.meta.url),
    outSvg: new URL(`./out/${name}.svg`, import.meta.url),
    json: new URL(`./${name}.json`, import.meta.url),
    svg: new URL(`./${name}.svg`, import.meta.url),
    /** The chart as BENCHMARKS.md (in the repository's root) links it. */
    image: `bench/${name}.svg`,
  };
}

/**
 * Each cost the sentence on growth follows: its figure in a size's results,
 * and how the sentence puts a change `f` of it.
 */
const COSTS = [
  { key: 'publish', of: (s) => s.publish.usPerMessage, says: (f) => `publish's cost per message changed ${f}` },
  { key: 'consume', of: (s) => s.consume.usPerMessage, says: (f) => `consume's ${f}` },
  { key: 'getByKey', of: (s) => s.getByKey.usPerOp, says: (f) => `getByKey's per lookup ${f}` },
  { key: 'getByTime', of: (s) => s.getByTime?.usPerOp, says: (f) => `getByTime's ${f}` },
  { key: 'reopen', of: (s) => s.reopen.ms, says: (f) => `reopening to the first get took ${f} as long` },
  // Over an empty log's heap: what the log itself costs (the baseline would flatten the small sizes).
  {
    key: 'heap',
    of: (s) => (s.heap ? heapPerMessage(s) * s.messages : undefined),
    says: (f) => `the worker heap above an empty log held ${f} as much`,
  },
  { key: 'handles', of: (s) => s.handles?.open, says: (f) => `the open handles numbered ${f} as many` },
];

/** The size the lookups and the reopen are held to (issue 23: within 2× of their cost here at 10M and 30M). */
export const REFERENCE_SIZE = 100_000;
/** The sizes held to 2× of the reference. */
export const JUDGED_SIZES = [10_000_000, 30_000_000];
/** Issue 23's other targets. */
export const LIMITS = { reopen10M: 200, coldStartMs: 50, heapBytesPerMessage: 12, heapFromSize: 1_000_000 };

const sizeText = (n) => formatValue(n);

/** The figures held to 2× of their 100k cost: how each reads, and the chart's panel title. */
const RELATIVE = [
  { key: 'reopen', name: 'reopen', unit: 'ms', of: (s) => s.reopen.ms },
  { key: 'getByKey', name: 'getByKey', unit: 'µs', of: (s) => s.getByKey.usPerOp },
  { key: 'getByTime', name: 'getByTime', unit: 'µs', of: (s) => s.getByTime?.usPerOp },
  { key: 'offsetByTime', name: 'offsetByTime', unit: 'µs', of: (s) => s.offsetByTime?.usPerOp },
];

/** The bound on open handles a report was judged against (issue 23's pool default, 64). */
const handleBound = (report) => report.handles?.bound ?? 64;

/** What 2× a figure at REFERENCE_SIZE is, or undefined without that size. */
function twiceReference(report, of) {
  const ref = report.sizes.find((s) => s.messages === REFERENCE_SIZE);
  const v = ref ? of(ref) : undefined;
  return v > 0 ? 2 * v : undefined;
}

/** A size's worker heap per message: the larger of right after the reopen and after its lookups (which load indexes). */
function heapPerMessage(s) {
  return Math.max(s.heap.bytesPerMessage, s.heap.afterLookups?.bytesPerMessage ?? 0);
}

/** The chart's panels: the costs issue 23 follows, each with the target it is held to. */
function panels(report) {
  const twice = (of) => {
    const y = twiceReference(report, of);
    return y ? [{ y, label: `2× ${sizeText(REFERENCE_SIZE)}'s (${formatValue(y)})` }] : [];
  };
  const relative = Object.fromEntries(RELATIVE.map((r) => [r.key, r]));
  const measured = (of) => report.sizes.filter((s) => of(s) > 0).map((s) => ({ x: s.messages, y: of(s) }));
  const heap = (s) => (s.heap ? heapPerMessage(s) : undefined);
  return [
    { title: 'publish, µs per message', points: measured((s) => s.publish.usPerMessage) },
    { title: 'consume, µs per message', points: measured((s) => s.consume.usPerMessage) },
    {
      title: 'reopen to first get, ms',
      points: measured(relative.reopen.of),
      limits: [...twice(relative.reopen.of), { y: LIMITS.reopen10M, label: `${LIMITS.reopen10M} ms at 10M` }],
    },
    { title: 'getByKey, µs per lookup', points: measured(relative.getByKey.of), limits: twice(relative.getByKey.of) },
    {
      title: 'getByTime, µs per lookup',
      points: measured(relative.getByTime.of),
      limits: twice(relative.getByTime.of),
      ...(report.sizes.some((s) => s.getByTime) ? {} : { missing: 'not measured in this run' }),
    },
    {
      title: 'open file handles, after lookups',
      points: measured((s) => s.handles?.open),
      limits: [{ y: handleBound(report), label: `bound ${handleBound(report)}` }],
      ...(report.sizes.some((s) => s.handles) ? {} : { missing: 'not measured in this run' }),
    },
    {
      title: 'worker heap, B per message',
      points: measured(heap),
      limits: [{ y: LIMITS.heapBytesPerMessage, label: `${LIMITS.heapBytesPerMessage} B` }],
      ...(report.sizes.some((s) => s.heap) ? {} : { missing: 'not measured in this browser' }),
    },
  ];
}

/** How many runs each size's figures are the medians of, in words. */
export function runsText(report) {
  const repeated = report.sizes.filter((s) => (s.runs ?? 1) > 1);
  if (repeated.length === 0) return 'one run per size';
  const largest = repeated[repeated.length - 1];
  const all = repeated.length === report.sizes.length;
  return `medians of ${largest.runs} runs${all ? '' : ` up to ${sizeText(largest.messages)}, one run above`}`;
}

const count = (n) => Math.round(n).toLocaleString('en');
const bytes = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${formatValue(n / 1e6)} MB`);

/** A size's open handles: the count, `~` when scaled from a sample, and of how many segments. */
function handlesText(s) {
  if (!s.handles) return '–';
  const h = s.handles;
  return `${h.sampled ? '~' : ''}${count(h.open)} of ${count(h.segments)} segments${h.sampled ? ` (${count(h.refused)} of ${count(h.probed)} probed)` : ''}`;
}

/** One line per size: the figures of BENCHMARKS.md's table (and the printed one). */
export function scalingRows(report) {
  return report.sizes.map((s) => [
    sizeText(s.messages),
    `${formatValue(s.publish.usPerMessage)} µs (${count(s.publish.msgPerSecond)} msg/s)`,
    `${formatValue(s.consume.usPerMessage)} µs (${count(s.consume.msgPerSecond)} msg/s)${s.consume.read < s.messages ? `, ${sizeText(s.consume.read)} read` : ''}`,
    `${formatValue(s.getByKey.usPerOp)} µs (first 1,000 after reopen: ${formatValue(s.getByKey.afterReopenUsPerOp)} µs)`,
    s.getByTime
      ? `${formatValue(s.getByTime.usPerOp)} µs${s.offsetByTime ? ` (offsetByTime ${formatValue(s.offsetByTime.usPerOp)} µs)` : ''}`
      : '–',
    `${formatValue(s.reopen.ms)} ms${s.reopen.first === undefined ? '' : ` (first after the publish: ${formatValue(s.reopen.first)} ms)`}`,
    handlesText(s),
    s.heap
      ? `${formatValue(s.heap.MiB)} MiB (${formatValue(s.heap.bytesPerMessage)} B/message)${s.heap.afterLookups ? `; ${formatValue(s.heap.afterLookups.bytesPerMessage)} B/message after the lookups` : ''}`
      : '–',
    s.disk ? bytes(s.disk.bytes) : '–',
    `${s.seconds.toFixed(1)} s`,
  ]);
}

export const SCALING_HEADER = [
  'messages',
  'publish, per message',
  'consume, per message',
  'getByKey, per lookup',
  'getByTime, per lookup',
  'reopen, first get',
  'open handles',
  'worker heap, open',
  'disk',
  'size took',
];

/** How a cost that went from `a` to `b` while the log grew `sizes`-fold grows: cost ∝ Nᵉ. */
export function growth(a, b, sizes) {
  const factor = b / a;
  const exponent = Math.log(factor) / Math.log(sizes);
  let how;
  if (Math.abs(exponent) < 0.1) how = 'about flat';
  else if (exponent < 0) how = 'falling as the log grows';
  else if (exponent < 0.9) how = `growing more slowly than the log, ∝ N^${exponent.toFixed(2)}`;
  else if (exponent <= 1.1) how = 'growing in proportion to the log';
  else how = `growing faster than the log, ∝ N^${exponent.toFixed(2)}`;
  return { factor, exponent, how };
}

const times = (x) => `${x >= 10 ? Math.round(x).toLocaleString('en') : x.toFixed(2)}×`;

/** A sentence on how each cost changed from the smallest size to the largest; '' with one size. */
export function scalingSentences(report) {
  const first = report.sizes[0];
  const last = report.sizes[report.sizes.length - 1];
  if (!first || first === last) return '';
  const sizes = last.messages / first.messages;
  const change = (cost) => {
    const a = cost.of(first);
    const b = cost.of(last);
    if (!(a > 0 && b > 0)) return null;
    const g = growth(a, b, sizes);
    return `${cost.says(times(g.factor))} (${g.how})`;
  };
  const [publish, consume, getByKey, getByTime, reopen, heap, handles] = COSTS.map(change);
  const totals = [reopen, heap, handles].filter(Boolean).join(', ');
  return `From ${sizeText(first.messages)} to ${sizeText(last.messages)} messages (${times(sizes)} as many), ${[publish, consume, getByKey, getByTime].filter(Boolean).join(', ')}${totals ? `; ${totals}` : ''}.`;
}

const verdict = (met) => (met ? 'met' : 'missed');
const ms = (v) => `${formatValue(v)} ms`;

/**
 * Issue 23's targets, one sentence each: what it asks, the figures and
 * whether it is met ('not judged' where the run lacks the sizes it needs).
 */
export function scalingTargets(report) {
  const out = [];
  const at = (n) => report.sizes.find((s) => s.messages === n);
  for (const r of RELATIVE) {
    const ref = at(REFERENCE_SIZE);
    const base = ref ? r.of(ref) : undefined;
    if (!(base > 0)) continue;
    const judged = JUDGED_SIZES.map(at).filter((s) => s && r.of(s) > 0);
    const figures = judged.map(
      (s) => `${sizeText(s.messages)} ${formatValue(r.of(s))} ${r.unit} (${times(r.of(s) / base)})`,
    );
    const head = `${r.name} at ${JUDGED_SIZES.map(sizeText).join(' and ')} within 2× of ${sizeText(REFERENCE_SIZE)} (${formatValue(base)} ${r.unit})`;
    out.push(
      judged.length
        ? `${head}: ${figures.join(', ')}: ${verdict(judged.every((s) => r.of(s) <= 2 * base))}${judged.length < JUDGED_SIZES.length ? ` at ${judged.map((s) => sizeText(s.messages)).join(' and ')} (the rest not run)` : ''}.`
        : `${head}: not judged, no size of ${JUDGED_SIZES.map(sizeText).join(' or ')} in this run.`,
    );
  }
  const tenM = at(10_000_000);
  out.push(
    tenM
      ? `reopen of 10M ≤ ${LIMITS.reopen10M} ms: ${ms(tenM.reopen.ms)}: ${verdict(tenM.reopen.ms <= LIMITS.reopen10M)}.`
      : `reopen of 10M ≤ ${LIMITS.reopen10M} ms: not judged, no 10M size in this run.`,
  );
  const probed = report.sizes.filter((s) => s.handles);
  if (probed.length) {
    const bound = handleBound(report);
    const most = probed.reduce((a, b) => (b.handles.open > a.handles.open ? b : a));
    out.push(
      `open handles ≤ the pool's bound (${bound}) at every size: ${probed.map((s) => `${sizeText(s.messages)} ${s.handles.sampled ? '~' : ''}${count(s.handles.open)}`).join(', ')}: ${verdict(most.handles.open <= bound)}.`,
    );
  }
  const weighed = report.sizes.filter((s) => s.heap);
  if (weighed.length) {
    const judged = weighed.filter((s) => s.messages >= LIMITS.heapFromSize);
    const figures = weighed.map((s) => `${sizeText(s.messages)} ${formatValue(heapPerMessage(s))} B`).join(', ');
    out.push(
      `worker heap ≤ ${LIMITS.heapBytesPerMessage} B per message (the larger of after the reopen and after the lookups; judged from ${sizeText(LIMITS.heapFromSize)} on; below, the log's fixed part over an empty log's weighs more than its messages): ${figures}: ${judged.length ? verdict(judged.every((s) => heapPerMessage(s) <= LIMITS.heapBytesPerMessage)) : 'not judged'}.`,
    );
  }
  if (report.coldStart?.error) out.push(`cold start: not measured: ${report.coldStart.error}.`);
  else if (report.coldStart) {
    const c = report.coldStart;
    const chromium = report.browser.name === 'chromium';
    out.push(
      `cold start of a ${sizeText(c.messages)}-message log ≤ ${LIMITS.coldStartMs} ms in Chromium: ${ms(c.ms)} (median of ${c.samples.length} fresh tabs, ${ms(Math.min(...c.samples))}–${ms(Math.max(...c.samples))})${chromium ? `: ${verdict(c.ms <= LIMITS.coldStartMs)}` : " (the target is Chromium's)"}.`,
    );
  }
  return out;
}

/** The chart of `report`: one panel per cost against the log's size, each target a dashed line. */
export function scalingChart(report) {
  const { name, version } = report.browser;
  const c = report.coldStart;
  return smallMultiples({
    title: `How opfs-log's costs grow with the log (${name[0].toUpperCase()}${name.slice(1)})`,
    subtitle: `x: messages in the log; log scales, each y spanning ≥ 10×; dashed: issue 23's targets; ${runsText(report)}`,
    panels: panels(report),
    notes: [
      `${version}, ${report.date.slice(0, 10)}.`,
      `Whole run ${report.seconds} s.`,
      ...(c && !c.error
        ? [
            `Cold start, ${sizeText(c.messages)} messages, fresh tab, open() to first get: ${ms(c.ms)} (target ${LIMITS.coldStartMs} ms).`,
          ]
        : []),
      'Lookups: 1,000 random keys or times, after 1,000 keys since the reopen.',
      'Open handles: refusals of a second handle, probed after the lookups (~: from a sample).',
      'Worker heap: over an empty log, the larger of right after the reopen and after the lookups.',
    ],
  });
}

function markdownTable(header, body) {
  return [header, header.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/**
 * BENCHMARKS.md's section on the recorded scaling runs, `recorded` being
 * [{ report, title }] in the order to show them; '' when there is none.
 */
export function scalingSection(recorded) {
  if (recorded.length === 0) return '';
  const parts = recorded.map(({ report, title }) => {
    const load = report.load
      ? `; load average ${report.load.start.toFixed(2)} at the start, ${report.load.end.toFixed(2)} at the end`
      : '';
    return `### ${title}

![How opfs-log's costs grow with the log in ${title}](${scalingFiles(report.browser.name).image})

${report.browser.version} (headless${report.browser.settings ? `; ${report.browser.settings}` : ''}), ${report.date}, ${runsText(report)}, whole run ${report.seconds} s${load}.

${markdownTable(SCALING_HEADER, scalingRows(report))}

- *worker heap* in ${title}: ${report.heap}.
${report.skipped?.length ? `- *skipped*: ${report.skipped.map((k) => `${sizeText(k.messages)} (${k.reason})`).join('; ')}.\n` : ''}${report.coldStart && !report.coldStart.error ? `- *cold start* (${sizeText(report.coldStart.messages)} messages, a fresh tab's open() to its first get): ${ms(report.coldStart.ms)}, median of ${report.coldStart.samples.length}.\n` : ''}
${scalingSentences(report)}
${
  scalingTargets(report).length
    ? `\nIssue 23's targets:\n\n${scalingTargets(report)
        .map((t) => `- ${t}`)
        .join('\n')}\n`
    : ''
}`;
  });
  return `## How cost grows with the log

\`npm run bench -- --scaling --record\` (bench/scaling.mjs), the costs of one log as it grows:

${recorded[0].report.settings.map((line) => `- ${line}`).join('\n')}

${parts.join('\n')}
`;
}
