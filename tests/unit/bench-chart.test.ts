// bench/chart.mjs (the SVG writer) and the scaling run's report: log-scale
// positions and ticks, byte-for-byte repeatable and well-formed SVG, and the
// section BENCHMARKS.md gains once a scaling run is recorded.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatValue, logScale, logTicks, smallMultiples, wrap, yRange } from '../../bench/chart.mjs';
import { renderMarkdown, saveReport, type Report } from '../../bench/report.mjs';
import {
  growth,
  scalingChart,
  scalingRows,
  scalingSentences,
  scalingTargets,
  type ScalingReport,
  type ScalingSize,
} from '../../bench/scaling-report.mjs';
import { consumeStretches, probeOrder } from '../../bench/stretches.ts';

/**
 * A small well-formedness check of the XML we write: every tag closed in
 * order under one root, attributes quoted, no bare `<` or `&` in text.
 */
function checkXml(xml: string): string {
  const open: string[] = [];
  let root = '';
  let at = 0;
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const between = xml.slice(at, m.index);
    if (/[<>]/.test(between) || /&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(between))
      throw new Error(`bad text before ${m[0]}: ${between}`);
    at = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (name === undefined) throw new Error(`a tag without a name at ${m.index}`);
    if (closing) {
      if (open.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else if (!selfClosing) {
      if (open.length === 0 && root) throw new Error(`a second root <${name}>`);
      root ||= name;
      open.push(name);
    } else if (open.length === 0) throw new Error(`<${name}/> outside the root`);
  }
  if (xml.slice(at).trim() !== '') throw new Error(`text after the root: ${xml.slice(at)}`);
  if (open.length) throw new Error(`unclosed: ${open.join(', ')}`);
  return root;
}

function size(messages: number, scale: number, heap = true): ScalingSize {
  return {
    messages,
    seconds: 1.25,
    runs: messages <= 100_000 ? 3 : 1,
    publish: { usPerMessage: 3, msgPerSecond: 333_333 },
    consume: {
      read: Math.min(messages, 1_000_000),
      stretches: messages > 1_000_000 ? 10 : 1,
      usPerMessage: 0.8,
      msgPerSecond: 1_250_000,
    },
    getByKey: { usPerOp: 200 * scale ** 0.25, afterReopenUsPerOp: 400 },
    getByTime: { usPerOp: 50 },
    offsetByTime: { usPerOp: 40 },
    reopen: { ms: 150 * scale ** 0.5 },
    handles: { open: scale, sampled: false, segments: scale, probed: scale, refused: scale, msPerProbe: 0.5 },
    disk: { bytes: 170 * messages, fileBytes: 160 * messages },
    ...(heap ? { heap: { MiB: 2 * scale, bytesPerMessage: 20 } } : {}),
  };
}

function scaling(browser = 'chromium', heap = true): ScalingReport {
  return {
    date: '2026-12-01T12:00:00.000Z',
    browser: { name: browser, version: browser === 'chromium' ? 'Chromium 156.0' : 'Mozilla Firefox 153.8.0esr' },
    machine: { cores: 2, memoryGiB: 24 },
    seconds: 240,
    load: { start: 0.5, end: 1.25 },
    settings: ['How each run goes.', '*publish*: how it is timed.'],
    heap: heap ? 'V8 used heap' : 'not measured: no way here',
    handles: { bound: 64, refusals: { NoModificationAllowedError: 100 }, budgetMs: 30_000 },
    sizes: [10_000, 100_000, 1_000_000, 10_000_000].map((n) => size(n, n / 10_000, heap)),
    coldStart: { messages: 10_000, ms: 42, samples: [40, 42, 60] },
  };
}

const results: Report = {
  date: '2026-12-01T00:00:00.000Z',
  browser: { name: 'chromium', version: 'Chromium 156.0' },
  machine: { cores: 2, memoryGiB: 24 },
  runs: 3,
  seconds: 100,
  systems: [{ name: 'opfs-log', settings: 'x' }],
  medians: { 'opfs-log': { 'publish 100k': { value: 400_000, unit: 'msg/s' } } },
  targets: [],
};

const circles = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m): [x: number, y: number] => [
    Number(m[1]),
    Number(m[2]),
  ]);

describe('bench chart', () => {
  it('places values on a log scale', () => {
    const toX = logScale([10, 1000], [0, 200]);
    expect(toX(10)).toBe(0);
    expect(toX(100)).toBeCloseTo(100, 9);
    expect(toX(1000)).toBeCloseTo(200, 9);
    const toY = logScale([1, 100], [180, 20]); // SVG's y grows downwards
    expect(toY(10)).toBeCloseTo(100, 9);
  });

  it('ticks powers of ten over a wide range, 1-2-5 over a narrower one, finer steps over a narrow one', () => {
    expect(logTicks(1.3, 4200)).toEqual({ domain: [1, 10_000], ticks: [1, 10, 100, 1000, 10_000] });
    expect(logTicks(140, 2600)).toEqual({ domain: [100, 5000], ticks: [100, 200, 500, 1000, 2000, 5000] });
    expect(logTicks(2.6, 2.9)).toEqual({ domain: [2, 3], ticks: [2, 3] });
    expect(logTicks(0.26, 0.33).ticks).toEqual([0.2, 0.3, 0.4]); // no 0.30000000000000004
    expect(logTicks(200, 200)).toEqual({ domain: [150, 300], ticks: [150, 200, 300] });
    expect(() => logTicks(0, 10)).toThrow(RangeError);
  });

  it('lets a y axis span at least 10×, so that a few per cent look flat', () => {
    const [lo, hi] = yRange([97, 98, 100]);
    expect(hi / lo).toBeCloseTo(10, 9);
    expect(Math.sqrt(lo * hi)).toBeCloseTo(Math.sqrt(97 * 100), 9);
    expect(yRange([2, 200, 40])).toEqual([2, 200]);
  });

  it('labels values and sizes briefly', () => {
    expect([10_000, 100_000, 1_000_000, 10_000_000, 2_500_000].map(formatValue)).toEqual([
      '10k',
      '100k',
      '1M',
      '10M',
      '2.5M',
    ]);
    expect([0.776, 3.5, 2.45, 205.4, 1234, 0.0123].map(formatValue)).toEqual([
      '0.776',
      '3.5',
      '2.45',
      '205',
      '1234',
      '0.0123',
    ]);
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
  });

  it('writes the same bytes for the same input: well-formed SVG with a viewBox and a white background', () => {
    const svg = scalingChart(scaling());
    expect(scalingChart(scaling())).toBe(svg);
    expect(checkXml(svg)).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 900 \d+"/);
    expect(svg).toContain('<rect width="900" height="');
    expect(svg).toContain('fill="#fff"');
    for (const title of [
      'publish, µs per message',
      'getByKey, µs per lookup',
      'getByTime, µs per lookup',
      'reopen to first get, ms',
      'open file handles, after lookups',
      'worker heap, B per message',
    ])
      expect(svg).toContain(`>${title}</text>`);
    // The targets, as dashed lines: 2× the 100k figure, the handles' bound, 12 B of heap a message.
    for (const caption of ["2× 100k's (949); 200 ms at 10M", "2× 100k's (711)", "2× 100k's (100)", 'bound 64', '12 B'])
      expect(svg).toContain(`>dashed: ${caption}</text>`);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(6);
    expect(svg).toContain('>Cold start, 10k messages, fresh tab, open()</text>'); // wrapped to its cell
    expect(svg).toContain('>to first get: 42 ms (target 50 ms).</text>');
    for (const tick of ['10k', '100k', '1M', '10M']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain('medians of 3 runs up to 100k, one run above');
  });

  it('spaces sizes ten times apart evenly, and a value growing as N rises evenly too', () => {
    const points = circles(scalingChart(scaling()));
    expect(points).toHaveLength(7 * 4);
    const handles = points.slice(20, 24); // the sixth panel's: one segment per 10k messages
    const steps = handles.slice(1).map(([x, y], i): [number, number] => [x - handles[i]![0], y - handles[i]![1]]); // handles[i]: the point before
    for (const [dx, dy] of steps) {
      expect(dx).toBeCloseTo(steps[0]![0], 0);
      expect(dy).toBeCloseTo(steps[0]![1], 0);
      expect(dy).toBeLessThan(0); // up the panel
    }
  });

  it('escapes text and says why a panel has no points', () => {
    const svg = smallMultiples({
      title: 'a <b> & c',
      panels: [{ title: 'heap', points: [], missing: 'not measured in this browser' }],
    });
    expect(checkXml(svg)).toBe('svg');
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg).toContain('>not measured in this browser</text>');
    expect(checkXml(scalingChart(scaling('firefox', false)))).toBe('svg');
  });
});

describe('scaling report', () => {
  it('names how a cost grows from its exponent', () => {
    expect(growth(3, 3.1, 1000).how).toBe('about flat');
    expect(growth(150, 150 * 1000 ** 0.5, 1000).how).toBe('growing more slowly than the log, ∝ N^0.50');
    expect(growth(2, 2000, 1000).how).toBe('growing in proportion to the log');
    expect(growth(1, 1000 ** 1.5, 1000).how).toBe('growing faster than the log, ∝ N^1.50');
    expect(growth(10, 1, 1000).how).toBe('falling as the log grows');
  });

  it('says how each cost grew from the smallest size to the largest', () => {
    expect(scalingSentences(scaling())).toBe(
      "From 10k to 10M messages (1,000× as many), publish's cost per message changed 1.00× (about flat), consume's 1.00× (about flat), " +
        "getByKey's per lookup 5.62× (growing more slowly than the log, ∝ N^0.25), getByTime's 1.00× (about flat); reopening to the first get took 32× as long " +
        '(growing more slowly than the log, ∝ N^0.50), the worker heap above an empty log held 1,000× as much (growing in proportion to the log), ' +
        'the open handles numbered 1,000× as many (growing in proportion to the log).',
    );
    expect(scalingSentences(scaling('firefox', false))).not.toContain('heap');
  });

  it("states each of issue 23's targets with its figures and whether it is met", () => {
    const targets = scalingTargets(scaling());
    expect(targets).toEqual([
      'reopen at 10M and 30M within 2× of 100k (474 ms): 10M 4743 ms (10×): missed at 10M (the rest not run).',
      'getByKey at 10M and 30M within 2× of 100k (356 µs): 10M 1125 µs (3.16×): missed at 10M (the rest not run).',
      'getByTime at 10M and 30M within 2× of 100k (50 µs): 10M 50 µs (1.00×): met at 10M (the rest not run).',
      'offsetByTime at 10M and 30M within 2× of 100k (40 µs): 10M 40 µs (1.00×): met at 10M (the rest not run).',
      'reopen of 10M ≤ 200 ms: 4743 ms: missed.',
      "open handles ≤ the pool's bound (64) at every size: 10k 1, 100k 10, 1M 100, 10M 1,000: missed.",
      "worker heap ≤ 12 B per message (the larger of after the reopen and after the lookups; judged from 1M on; below, the log's fixed part over an empty log's weighs more than its messages): 10k 20 B, 100k 20 B, 1M 20 B, 10M 20 B: missed.",
      'cold start of a 10k-message log ≤ 50 ms in Chromium: 42 ms (median of 3 fresh tabs, 40 ms–60 ms): met.',
    ]);
    // The heap is judged at the larger of its two weighings: small after the reopen, large after the lookups, missed.
    const grown = scaling();
    grown.sizes = grown.sizes.map((s) => ({
      ...s,
      heap: { MiB: 0, bytesPerMessage: 2, afterLookups: { MiB: 0, bytesPerMessage: s.messages >= 1_000_000 ? 13 : 2 } },
    }));
    expect(scalingTargets(grown).find((t) => t.startsWith('worker heap'))).toMatch(/1M 13 B, 10M 13 B: missed\.$/);
    const firefox = scalingTargets(scaling('firefox', false));
    expect(firefox.some((t) => t.startsWith('worker heap'))).toBe(false);
    expect(firefox.at(-1)).toContain("(the target is Chromium's)");
    // A report from before issue 23 (no lookups by time, no handles, no cold start) still renders.
    const old = scaling();
    old.sizes = old.sizes.map(({ getByTime, offsetByTime, handles, disk, ...rest }) => rest);
    delete old.coldStart;
    expect(checkXml(scalingChart(old))).toBe('svg');
    expect(scalingTargets(old).map((t) => t.split(' ')[0])).toEqual(['reopen', 'getByKey', 'reopen', 'worker']);
    // A cold start that failed is said so, and the rest of the report still renders.
    const failed = { ...scaling(), coldStart: { error: 'page.waitForSelector: Timeout 120000ms exceeded.' } };
    expect(scalingTargets(failed).at(-1)).toBe(
      'cold start: not measured: page.waitForSelector: Timeout 120000ms exceeded..',
    );
    expect(checkXml(scalingChart(failed))).toBe('svg');
  });

  it('adds a section to BENCHMARKS.md only when a scaling run is recorded, Chromium first', () => {
    expect(renderMarkdown([results])).not.toContain('How cost grows');
    const md = renderMarkdown([results], [scaling('firefox', false), scaling()]);
    const section = md.slice(md.indexOf('## How cost grows with the log'), md.indexOf('## Settings'));
    expect(section).toContain(
      '(bench/scaling.mjs), the costs of one log as it grows:\n\n- How each run goes.\n- *publish*: how it is timed.\n',
    );
    expect(section).toContain("![How opfs-log's costs grow with the log in Chromium](bench/scaling.svg)");
    expect(section.indexOf('### Firefox')).toBeGreaterThan(section.indexOf('### Chromium'));
    expect(section).toContain('(bench/scaling-firefox.svg)');
    expect(section).toContain(
      '| 10M | 3 µs (333,333 msg/s) | 0.8 µs (1,250,000 msg/s), 1M read | 1125 µs (first 1,000 after reopen: 400 µs) | 50 µs (offsetByTime 40 µs) | 4743 ms | 1,000 of 1,000 segments | 2000 MiB (20 B/message) | 1.70 GB | 1.3 s |',
    );
    expect(section).toContain('- *cold start* (10k messages, a fresh tab');
    expect(section).toContain("Issue 23's targets:\n\n- reopen at 10M and 30M");
    expect(section).toContain(
      'Chromium 156.0 (headless), 2026-12-01T12:00:00.000Z, medians of 3 runs up to 100k, one run above, whole run 240 s',
    );
    expect(section).toContain('- *worker heap* in Firefox: not measured: no way here.');
    expect(section).toContain('From 10k to 10M messages (1,000× as many)');
  });

  it("gives a reopen's median and, in brackets, the first reopen after the publish, where a run took it", () => {
    const tenM = { ...size(10_000_000, 1_000), reopen: { ms: 80.8, first: 154 } };
    expect(scalingRows({ ...scaling(), sizes: [tenM] })[0]![5]).toBe('80.8 ms (first after the publish: 154 ms)');
    expect(scalingRows(scaling()).at(-1)![5]).toBe('4743 ms'); // recorded before the first was kept
  });

  it('a recorded run of the main bench keeps the recorded scaling section in BENCHMARKS.md', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opfs-log-bench-chart-'));
    try {
      const url = (name: string) => pathToFileURL(join(dir, name));
      writeFileSync(url('scaling.json'), JSON.stringify(scaling()));
      const files = {
        out: url('out/results.json'),
        results: url('results.json'),
        markdown: url('BENCHMARKS.md'),
        recorded: [url('results.json')],
        scaling: [url('scaling.json'), url('scaling-firefox.json')],
      };
      saveReport(results, { record: true }, files);
      const md = readFileSync(url('BENCHMARKS.md'), 'utf8');
      expect(md).toContain('## How cost grows with the log\n');
      expect(md).not.toContain('### Firefox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scaling handle probes', () => {
  it('probes the newest segment first, then every other once, each prefix spread evenly', () => {
    expect(probeOrder(0)).toEqual([]);
    expect(probeOrder(1)).toEqual([0]);
    expect(probeOrder(5)).toEqual([4, 0, 2, 1, 3]);
    const order = probeOrder(1000);
    expect(order[0]).toBe(999);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // The first 100 after the head: one in each tenth of the log, ten each.
    const tenths = new Array(10).fill(0);
    for (const i of order.slice(1, 101)) tenths[Math.floor(i / 100)]++;
    for (const n of tenths) expect(n).toBeGreaterThanOrEqual(8);
  });
});

describe('scaling consume', () => {
  it('reads a log up to the cap whole, and a larger one in even stretches from the first message to the last', () => {
    expect(consumeStretches(100_000, 1_000_000, 10)).toEqual([[0, 100_000]]);
    const stretches = consumeStretches(10_000_000, 1_000_000, 10);
    expect(stretches).toHaveLength(10);
    expect(stretches[0]).toEqual([0, 100_000]);
    expect(stretches[9]).toEqual([9_900_000, 10_000_000]);
    expect(stretches.reduce((sum, [from, to]) => sum + to - from, 0)).toBe(1_000_000);
    stretches.slice(1).forEach(([from], i) => {
      expect(from).toBeGreaterThan(stretches[i]![1]); // stretches[i]: the one before
    });
  });
});
