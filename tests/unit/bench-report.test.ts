// bench/report.mjs: a Chromium report of the old shape (a `chromium` string)
// and a Firefox one render into one BENCHMARKS.md, with opfs-log's figures
// side by side; a figure Firefox could not measure shows "–" and the reason.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { browserOf, renderMarkdown, renderTable, saveReport } from '../../bench/report.mjs';
import type { Report } from '../../bench/report.mjs';

const systems = [{ name: 'opfs-log', settings: 'x' }];

function oldChromium(): Report {
  return {
    date: '2026-01-01T00:00:00.000Z',
    chromium: 'Chromium 156.0',
    machine: { cores: 2, memoryGiB: 24 },
    runs: 3,
    seconds: 100,
    systems,
    medians: {
      'opfs-log': {
        'publish 100k': { value: 400_000, unit: 'msg/s' },
        '1M open, worker heap': { value: 20, unit: 'B/message' },
      },
      'Dexie 4': { 'publish 100k': { value: 8_000, unit: 'msg/s' } },
    },
    targets: [{ workload: 'publish 100k', value: 400_000, checks: [{ what: '≥ 250,000', met: true }], met: true }],
  };
}

function firefox(): Report {
  return {
    date: '2026-01-02T00:00:00.000Z',
    browser: { name: 'firefox', version: 'Mozilla Firefox 153.8.0esr', settings: 'timer pref' },
    machine: { cores: 2, memoryGiB: 24 },
    runs: 3,
    seconds: 200,
    load: { start: 1.5, end: 2.25 },
    systems,
    medians: { 'opfs-log': { 'publish 100k': { value: 100_000, unit: 'msg/s' } } },
    notes: { '1M open, worker heap': 'not measured: no way here' },
    targets: [],
  };
}

const rowOf = (md: string, start: string) => md.split('\n').find((l) => l.startsWith(start));

describe('bench report', () => {
  const dirs: string[] = [];
  afterEach(() =>
    dirs.splice(0).forEach((d) => {
      rmSync(d, { recursive: true, force: true });
    }),
  );

  it('reads the browser of an old report from its chromium field', () => {
    expect(browserOf(oldChromium())).toEqual({ name: 'chromium', version: 'Chromium 156.0' });
    expect(renderTable(oldChromium())).toContain('Chromium 156.0');
  });

  it('puts opfs-log side by side with the Firefox/Chromium ratio, Chromium first', () => {
    const md = renderMarkdown([firefox(), oldChromium()]);
    expect(rowOf(md, '| publish 100k | 400,000 msg/s | 100,000 msg/s |')).toBe(
      '| publish 100k | 400,000 msg/s | 100,000 msg/s | 0.25× |',
    );
    expect(rowOf(md, '| 1M open, worker heap | 20.00 B/message |')).toBe(
      '| 1M open, worker heap | 20.00 B/message | – | – |',
    );
    expect(md.indexOf('## Chromium')).toBeGreaterThan(md.indexOf('## opfs-log in Chromium and Firefox'));
    expect(md.indexOf('## Firefox')).toBeGreaterThan(md.indexOf('## Chromium'));
    expect(md).toContain('Mozilla Firefox 153.8.0esr (headless; timer pref)');
    expect(md).toContain('load average 1.50 at the start, 2.25 at the end');
  });

  it('shows a figure Firefox lacks as – with the reason, and judges targets in Chromium only', () => {
    const md = renderMarkdown([oldChromium(), firefox()]);
    const firefoxPart = md.slice(md.indexOf('## Firefox'), md.indexOf('## Settings'));
    expect(rowOf(firefoxPart, '| 1M open, worker heap |')).toBe('| 1M open, worker heap | – | – | – | – |');
    expect(firefoxPart).toContain('- *1M open, worker heap* in Firefox: not measured: no way here.');
    expect(firefoxPart).not.toContain('### Targets');
    expect(md.slice(md.indexOf('## Chromium'), md.indexOf('## Firefox'))).toContain('### Targets (opfs-log)');
  });

  it('has no side-by-side table with one browser recorded', () => {
    expect(renderMarkdown([oldChromium()])).not.toContain('Chromium and Firefox');
  });

  it("a recorded run renders BENCHMARKS.md from every browser's recorded file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'opfs-log-bench-report-'));
    dirs.push(dir);
    const url = (name: string) => pathToFileURL(join(dir, name));
    const files = (own: string) => ({
      out: url(`out/${own}`),
      results: url(own),
      markdown: url('BENCHMARKS.md'),
      recorded: [url('results.json'), url('results-firefox.json')],
    });
    saveReport(oldChromium(), { record: true }, files('results.json'));
    expect(readFileSync(url('BENCHMARKS.md'), 'utf8')).not.toContain('## Firefox');
    saveReport(firefox(), { record: false }, files('results-firefox.json'));
    expect(readFileSync(url('BENCHMARKS.md'), 'utf8')).not.toContain('## Firefox');
    const written = saveReport(firefox(), { record: true }, files('results-firefox.json'));
    expect(written).toHaveLength(3);
    const md = readFileSync(url('BENCHMARKS.md'), 'utf8');
    expect(md).toContain('## Chromium');
    expect(md).toContain('## Firefox');
    expect(md).toContain('`bench/results.json` and `bench/results-firefox.json`');
  });
});
