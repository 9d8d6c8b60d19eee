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
 * Each cost the chart and the sentences follow: its panel's title, its
 * figure in a size's results, and how the sentence puts a change `f` of it.
 */
const COSTS = [
  {
    key: 'publish',
    title: 'publish, µs per message',
    of: (s) => s.publish.usPerMessage,
    says: (f) => `publish's cost per message changed ${f}`,
  },
  {
    key: 'consume',
    title: 'consume, µs per message',
    of: (s) => s.consume.usPerMessage,
    says: (f) => `consume's ${f}`,
  },
  {
    key: 'getByKey',
    title: 'getByKey, µs per lookup',
    of: (s) => s.getByKey.usPerOp,
    says: (f) => `getByKey's per lookup ${f}`,
  },
  {
    key: 'reopen',
    title: 'reopen to first get, ms',
    of: (s) => s.reopen.ms,
    says: (f) => `reopening to the first get took ${f} as long`,
  },
  // Over an empty log's heap: what the log itself costs (the baseline would flatten the small sizes).
  {
    key: 'heap',
    title: 'worker heap over an empty log, MiB',
    of: (s) => (s.heap ? (s.heap.bytesPerMessage * s.messages) / 2 ** 20 : undefined),
    says: (f) => `the worker heap above an empty log held ${f} as much`,
  },
];

const sizeText = (n) => formatValue(n);

/** How many runs each size's figures are the medians of, in words. */
export function runsText(report) {
  const repeated = report.sizes.filter((s) => (s.runs ?? 1) > 1);
  if (repeated.length === 0) return 'one run per size';
  const largest = repeated[repeated.length - 1];
  const all = repeated.length === report.sizes.length;
  return `medians of ${largest.runs} runs${all ? '' : ` up to ${sizeText(largest.messages)}, one run above`}`;
}

const count = (n) => Math.round(n).toLocaleString('en');

/** One line per size: the figures of BENCHMARKS.md's table (and the printed one). */
export function scalingRows(report) {
  return report.sizes.map((s) => [
    sizeText(s.messages),
    `${formatValue(s.publish.usPerMessage)} µs (${count(s.publish.msgPerSecond)} msg/s)`,
    `${formatValue(s.consume.usPerMessage)} µs (${count(s.consume.msgPerSecond)} msg/s)${s.consume.read < s.messages ? `, ${sizeText(s.consume.read)} read` : ''}`,
    `${formatValue(s.getByKey.usPerOp)} µs (first 1,000 after reopen: ${formatValue(s.getByKey.afterReopenUsPerOp)} µs)`,
    `${formatValue(s.reopen.ms)} ms`,
    s.heap ? `${formatValue(s.heap.MiB)} MiB (${formatValue(s.heap.bytesPerMessage)} B/message)` : '–',
    `${s.seconds.toFixed(1)} s`,
  ]);
}

export const SCALING_HEADER = [
  'messages',
  'publish, per message',
  'consume, per message',
  'getByKey, per lookup',
  'reopen, first get',
  'worker heap, open',
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
  const [publish, consume, getByKey, reopen, heap] = COSTS.map(change);
  const totals = [reopen, heap].filter(Boolean).join(' and ');
  return `From ${sizeText(first.messages)} to ${sizeText(last.messages)} messages (${times(sizes)} as many), ${[publish, consume, getByKey].filter(Boolean).join(', ')}${totals ? `; ${totals}` : ''}.`;
}

/** The chart of `report`: one panel per cost against the log's size. */
export function scalingChart(report) {
  const { name, version } = report.browser;
  return smallMultiples({
    title: `How opfs-log's costs grow with the log (${name[0].toUpperCase()}${name.slice(1)})`,
    subtitle: `x: messages in the log; both axes log scales, each y spanning at least 10×; ${runsText(report)}`,
    panels: COSTS.map((cost) => ({
      title: cost.title,
      points: report.sizes.filter((s) => cost.of(s) > 0).map((s) => ({ x: s.messages, y: cost.of(s) })),
      ...(cost.key === 'heap' && !report.sizes.some((s) => s.heap) ? { missing: 'not measured in this browser' } : {}),
    })),
    notes: [
      `${version}, ${report.date.slice(0, 10)}.`,
      `Whole run ${report.seconds} s.`,
      'getByKey: 1,000 random keys, looked up after 1,000 others since the reopen.',
      'Worker heap: right after the reopen.',
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

${scalingSentences(report)}
`;
  });
  return `## How cost grows with the log

\`npm run bench -- --scaling --record\` (bench/scaling.mjs), the costs of one log as it grows:

${recorded[0].report.settings.map((line) => `- ${line}`).join('\n')}

${parts.join('\n')}
`;
}
