// The benchmark's printed table, BENCHMARKS.md, and where a run's results go.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const SYSTEMS = ['opfs-log', 'Dexie 4', 'SQLite-WASM', 'raw OPFS'];

function fmt(m) {
  if (!m) return '–';
  const v = m.value >= 100 ? Math.round(m.value).toLocaleString('en') : m.value.toFixed(2);
  const extra = m.extra ? ' (' + Object.entries(m.extra).map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ') + ')' : '';
  return `${v} ${m.unit}${extra}`;
}

/** Every workload once, in the order run, but a variant ("publish 100k, from another tab") right below its own row. */
function workloadOrder(report) {
  const seen = [];
  for (const s of SYSTEMS) for (const w of Object.keys(report.medians[s] ?? {})) if (!seen.includes(w)) seen.push(w);
  const order = [];
  for (const w of seen) {
    if (order.includes(w)) continue;
    order.push(w);
    for (const variant of seen) if (variant.startsWith(`${w}, `)) order.push(variant);
  }
  return order;
}

function rows(report) {
  return workloadOrder(report).map((w) => [w, ...SYSTEMS.map((s) => fmt(report.medians[s]?.[w]))]);
}

function targetRows(report) {
  return report.targets.map((t) => [
    t.workload,
    t.checks.map((c) => `${c.what}${c.ratio !== undefined ? ` (${c.ratio.toFixed(2)}×)` : ''}: ${c.met ? 'met' : 'MISSED'}`).join('; '),
  ]);
}

function markdownTable(header, body) {
  return [header, header.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function renderTable(report) {
  const all = [['workload', ...SYSTEMS], ...rows(report)];
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  const targets = targetRows(report).map(([w, c]) => `  ${w}: ${c}`);
  return [
    `opfs-log benchmark, ${report.date}, ${report.chromium}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, medians of ${report.runs} runs (${report.seconds} s)`,
    line(all[0]),
    ...all.slice(1).map(line),
    'targets:',
    ...targets,
  ].join('\n');
}

export function renderMarkdown(report) {
  return `# Benchmarks

The latest recorded run of \`npm run bench -- --record\` (bench/run.mjs):
every system in one Chromium run with a persistent profile, the same messages
(10-byte keys, 128-byte values, distinct times) and batches of 1,000, each
write workload flushed once at the end (timed). Every workload verifies what
it read. The rows "…, from another tab" publish from a second tab into a log
the first tab owns (opened there first, so its worker runs the engine): every
call crosses a BroadcastChannel to the owner's tab, which then reads the
messages back.
Medians of ${report.runs} runs; the raw samples are in \`bench/results.json\`.

- Date: ${report.date}
- Browser: ${report.chromium} (headless)
- Machine: ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB
- Whole run: ${report.seconds} s

## Results

${markdownTable(['workload', ...SYSTEMS], rows(report))}

## Targets (opfs-log)

${markdownTable(['workload', 'checks'], targetRows(report))}

## Settings

${report.systems.map((s) => `- **${s.name}**: ${s.settings}`).join('\n')}

${readFileSync(new URL('./findings.md', import.meta.url), 'utf8')}`;
}

/** Where a run's results go: every run writes `out` (ignored by git); a recorded run also the tracked two. */
export const REPORT_FILES = {
  out: new URL('./out/results.json', import.meta.url),
  results: new URL('./results.json', import.meta.url),
  markdown: new URL('../BENCHMARKS.md', import.meta.url),
};

/** Writes `report` where `record` says, and returns the paths written. */
export function saveReport(report, { record }, files = REPORT_FILES) {
  const json = JSON.stringify(report, null, 2) + '\n';
  const writes = [[files.out, json]];
  if (record) writes.push([files.results, json], [files.markdown, renderMarkdown(report)]);
  for (const [url, text] of writes) {
    mkdirSync(new URL('.', url), { recursive: true });
    writeFileSync(url, text);
  }
  return writes.map(([url]) => fileURLToPath(url));
}
