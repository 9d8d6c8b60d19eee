// The benchmark's printed table, BENCHMARKS.md, and where a run's results go.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROJECTION_SETTINGS } from './projection.mjs';
import { SERVICE_WORKER_SETTINGS, SW_ROW } from './service-worker.mjs';
import { scalingFiles, scalingSection } from './scaling-report.mjs';
const SYSTEMS = ['opfs-log', 'Dexie 4', 'SQLite-WASM', 'raw OPFS'];
const OURS = 'opfs-log';

/** Each browser the bench runs in, in the order BENCHMARKS.md shows them. */
const BROWSERS = { chromium: 'Chromium', firefox: 'Firefox' };

/**
 * `{ name, version }` of the browser a report was measured in. Reports
 * recorded before Firefox was benchmarked have only `chromium` (the version).
 */
export function browserOf(report) {
  return report.browser ?? { name: 'chromium', version: report.chromium };
}

const titleOf = (report) => BROWSERS[browserOf(report).name] ?? browserOf(report).name;

function fmt(m) {
  if (!m) return '–';
  const v = m.value >= 100 ? Math.round(m.value).toLocaleString('en') : m.value.toFixed(2);
  const extra = m.extra
    ? ' (' +
      Object.entries(m.extra)
        .map(([k, x]) => `${k} ${x.toFixed(2)}`)
        .join(', ') +
      ')'
    : '';
  return `${v} ${m.unit}${extra}`;
}

/** Every workload once, in the order run, but a variant ("publish 100k, from another tab") right below its own row. */
function workloadOrder(...reports) {
  const seen = [];
  for (const report of reports) {
    for (const s of SYSTEMS) for (const w of Object.keys(report.medians[s] ?? {})) if (!seen.includes(w)) seen.push(w);
    for (const w of Object.keys(report.notes ?? {})) if (!seen.includes(w)) seen.push(w);
  }
  const order = [];
  for (const w of seen) {
    if (order.includes(w)) continue;
    order.push(w);
    for (const variant of seen) if (variant.startsWith(`${w}, `) && !order.includes(variant)) order.push(variant);
  }
  return order;
}

function rows(report) {
  return workloadOrder(report).map((w) => [w, ...SYSTEMS.map((s) => fmt(report.medians[s]?.[w]))]);
}

/** What a row counts in this browser, or why it has no figure. */
function noteLines(report) {
  return Object.entries(report.notes ?? {}).map(([w, text]) => `- *${w}* in ${titleOf(report)}: ${text}.`);
}

function targetRows(report) {
  return (report.targets ?? []).map((t) => [
    t.workload,
    t.checks
      .map((c) => `${c.what}${c.ratio !== undefined ? ` (${c.ratio.toFixed(2)}×)` : ''}: ${c.met ? 'met' : 'MISSED'}`)
      .join('; '),
  ]);
}

/** opfs-log's medians in Chromium and Firefox, and Firefox's figure over Chromium's. */
function sideBySideRows(chromium, firefox) {
  const ours = (w) => chromium.medians[OURS]?.[w] || firefox.medians[OURS]?.[w];
  return workloadOrder(chromium, firefox)
    .filter(ours)
    .map((w) => {
      const c = chromium.medians[OURS]?.[w];
      const f = firefox.medians[OURS]?.[w];
      const ratio = c && f && c.unit === f.unit && c.value ? `${(f.value / c.value).toFixed(2)}×` : '–';
      return [w, fmt(c), fmt(f), ratio];
    });
}

function markdownTable(header, body) {
  return [header, header.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

const loadText = (report) =>
  report.load
    ? `; load average ${report.load.start.toFixed(2)} at the start, ${report.load.end.toFixed(2)} at the end`
    : '';

function headerLine(report) {
  const { version } = browserOf(report);
  return `opfs-log benchmark, ${report.date}, ${version}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, medians of ${report.runs} runs (${report.seconds} s${loadText(report)})`;
}

export function renderTable(report) {
  const all = [['workload', ...SYSTEMS], ...rows(report)];
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  const targets = targetRows(report).map(([w, c]) => `  ${w}: ${c}`);
  return [
    headerLine(report),
    line(all[0]),
    ...all.slice(1).map(line),
    ...noteLines(report),
    ...(targets.length
      ? ['targets:', ...targets]
      : browserOf(report).name === 'chromium'
        ? ['targets: none for these rows']
        : [`targets: not judged in ${titleOf(report)} (they are Chromium's)`]),
  ].join('\n');
}

function browserSection(report) {
  const { version, settings } = browserOf(report);
  const targets = targetRows(report);
  return `## ${titleOf(report)}

${version} (headless${settings ? `; ${settings}` : ''}), ${report.date}, medians of ${report.runs} runs, whole run ${report.seconds} s${loadText(report)}.${partRunText(report)}

${markdownTable(['workload', ...SYSTEMS], rows(report))}
${noteLines(report).length ? `\n${noteLines(report).join('\n')}\n` : ''}
${
  targets.length
    ? `### Targets (opfs-log)\n\n${markdownTable(['workload', 'checks'], targets)}`
    : `The targets are Chromium's and are judged there only; these figures are compared with Chromium's above.`
}
`;
}

/** The parts of the rows that a mode runs alone (bench/run.mjs's PARTS): the key of when they were measured, their flag. */
const PARTS = [
  ['projection', 'The projection rows', '--projection'],
  ['serviceWorker', 'The service-worker rows', '--service-worker'],
];

/** When each part's rows were measured, if in a run of their own (`--projection --record`, `--service-worker --record`). */
function partRunText(report) {
  return PARTS.filter(([key]) => report[key])
    .map(([key, rows, flag]) => {
      const p = report[key];
      return ` ${rows}: a run of their own (\`${flag}\`)${p.version ? ` in ${p.version}` : ''}, ${p.date}, medians of ${p.runs} runs, ${p.seconds} s${loadText(p)}.`;
    })
    .join('');
}

/** How the projection rows are taken, when a report has them. */
function projectionSection(reports) {
  if (!reports.some((r) => Object.keys(r.medians?.[OURS] ?? {}).some((w) => w.startsWith('projection')))) return '';
  return `## Projections (issue 21)

The rows "projection …" (bench/projection.mjs and bench/projection.ts; alone: \`npm run bench -- --projection\`):

${PROJECTION_SETTINGS.map((line) => `- ${line}`).join('\n')}

`;
}

/** How the service-worker rows are taken, when a report has them. */
function serviceWorkerSection(reports) {
  if (!reports.some((r) => Object.keys(r.medians?.[OURS] ?? {}).some((w) => SW_ROW.test(w)))) return '';
  return `## Service workers (issue 22)

The rows "…, from a service worker, …" (bench/service-worker.mjs and bench/service-worker/; alone: \`npm run bench -- --service-worker\`):

${SERVICE_WORKER_SETTINGS.map((line) => `- ${line}`).join('\n')}

`;
}

/**
 * BENCHMARKS.md from the recorded reports, one per browser (Chromium first):
 * each browser's own table, and opfs-log's figures side by side when both are
 * there; then the recorded scaling runs (bench/scaling.mjs), if any.
 */
export function renderMarkdown(reports, scaling = []) {
  const sorted = inBrowserOrder(reports);
  const chromium = sorted.find((r) => browserOf(r).name === 'chromium');
  const firefox = sorted.find((r) => browserOf(r).name === 'firefox');
  const files = sorted.map((r) => `\`bench/${reportFileName(browserOf(r).name)}\``).join(' and ');
  const sideBySide =
    chromium && firefox
      ? `## opfs-log in Chromium and Firefox

${markdownTable(['workload', 'Chromium', 'Firefox', 'Firefox/Chromium'], sideBySideRows(chromium, firefox))}

A ratio above 1 means Firefox's figure is the larger: faster for msg/s, ops/s
and MB/s, slower for ms, more memory for B/message. Each browser's run has
its own date and load (below).

`
      : '';
  return `# Benchmarks

The latest recorded runs of \`npm run bench -- --record\` (Chromium) and
\`npm run bench -- --browser firefox --record\` (Firefox), bench/run.mjs:
every system in one browser run with a persistent profile, the same messages
(10-byte keys, 128-byte values, distinct times) and batches of 1,000, each
write workload flushed once at the end (timed). Every workload verifies what
it read. The rows "…, from another tab" publish from a second tab into a log
the first tab owns (opened there first, so its worker runs the engine): every
call crosses a BroadcastChannel to the owner's tab, which then reads the
messages back. The machine: ${sorted[0].machine.cores} cores, ${sorted[0].machine.memoryGiB} GiB, shared with other work.
Medians of each run's repetitions; the raw samples are in ${files}.

${sideBySide}${sorted.map(browserSection).join('\n')}
${projectionSection(sorted)}${serviceWorkerSection(sorted)}${scalingSection(inBrowserOrder(scaling).map((report) => ({ report, title: titleOf(report) })))}## Settings

${sorted[0].systems.map((s) => `- **${s.name}**: ${s.settings}`).join('\n')}

${readFileSync(new URL('./findings.md', import.meta.url), 'utf8')}`;
}

/** `reports` in the order BENCHMARKS.md shows browsers, one per browser. */
const inBrowserOrder = (reports) =>
  Object.keys(BROWSERS)
    .map((name) => reports.find((r) => browserOf(r).name === name))
    .filter(Boolean);

const reportFileName = (browser) => (browser === 'chromium' ? 'results.json' : `results-${browser}.json`);

/** Where a browser's results go: every run writes `out` (ignored by git); a recorded run also the tracked two. */
export function reportFiles(browser) {
  return {
    out: new URL(`./out/${reportFileName(browser)}`, import.meta.url),
    results: new URL(`./${reportFileName(browser)}`, import.meta.url),
    markdown: new URL('../BENCHMARKS.md', import.meta.url),
    /** Every browser's recorded results, which BENCHMARKS.md is rendered from. */
    recorded: Object.keys(BROWSERS).map((name) => new URL(`./${reportFileName(name)}`, import.meta.url)),
    /** Every browser's recorded scaling run, which BENCHMARKS.md shows when there is one. */
    scaling: Object.keys(BROWSERS).map((name) => scalingFiles(name).json),
  };
}

/**
 * Writes `report` where `record` says, and returns the paths written. A
 * recorded run renders BENCHMARKS.md from every browser's recorded results,
 * its own just written among them.
 */
export function saveReport(report, { record }, files = reportFiles(browserOf(report).name)) {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const written = [writeFile(files.out, json)];
  if (!record) return written;
  written.push(writeFile(files.results, json));
  written.push(writeMarkdown(files));
  return written;
}

/** Writes `text` to `url`, making its directory; returns the path. */
export function writeFile(url, text) {
  mkdirSync(new URL('.', url), { recursive: true });
  writeFileSync(url, text);
  return fileURLToPath(url);
}

/** Renders BENCHMARKS.md from every recorded file `files` names; returns its path. */
export function writeMarkdown(files) {
  const read = (urls) => urls.filter((url) => existsSync(url)).map((url) => JSON.parse(readFileSync(url, 'utf8')));
  return writeFile(files.markdown, renderMarkdown(read(files.recorded), read(files.scaling ?? [])));
}
