// A dependency-free SVG writer for the bench's charts: small multiples, one
// panel per cost, both axes on log scales, so that a cost that stays flat
// reads as a flat line and one that grows as the log does as a straight rise.
// Same input, same bytes: coordinates are written with fixed decimals and
// nothing depends on the clock or the machine.

const WIDTH = 900;
const COLUMNS = 3;
const HEADER = 58;
const PANEL_HEIGHT = 236;
/** Inside a panel: room for its title (and what its dashed lines are) above, the y tick labels left and the x tick labels below. */
const MARGIN = { left: 50, right: 18, top: 42, bottom: 30 };
/** How far (in decades) the x axis reaches beyond the first and last size, so no point sits on the frame. */
const X_PAD_DECADES = 0.2;
/**
 * The least ratio a panel's y axis spans: a cost that moved by a few per
 * cent then looks flat, as it is, instead of filling the panel.
 */
const MIN_Y_RATIO = 10;
/** Pixels between the frame and the y axis's end ticks: room for a value's label above or below its point. */
const Y_INSET = 18;

const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e6e8eb';
const FRAME = '#b6bdc5';
const LINE = '#0b61d6';
/** A panel's limits (targets a cost should stay under): dashed lines, named in a line under the panel's title. */
const LIMIT = '#cf222e';

/** Maps `v` in [lo, hi] on a log scale onto the pixels [from, to]. */
export function logScale([lo, hi], [from, to]) {
  const start = Math.log10(lo);
  const span = Math.log10(hi) - start;
  return (v) => from + ((Math.log10(v) - start) / span) * (to - from);
}

/** Tick mantissas per decade: powers of ten over a wide range, more steps over a narrow one. */
function mantissas(decades) {
  if (decades >= 2) return [1];
  if (decades >= 0.6) return [1, 2, 5];
  return [1, 1.5, 2, 3, 4, 5, 6, 7, 8];
}

/** `m`·10^`e` without the float dust (3·10⁻¹ is 0.30000000000000004). */
const tickValue = (m, e) => Number((m * 10 ** e).toPrecision(12));

/**
 * Ticks for values in [min, max] on a log scale, and the domain they span:
 * from the largest tick at or below `min` to the smallest at or above `max`,
 * so the axis ends on labelled values and always shows at least two.
 */
export function logTicks(min, max) {
  if (!(min > 0 && max >= min && Number.isFinite(max)))
    throw new RangeError(`logTicks: no log scale for [${min}, ${max}]`);
  const steps = mantissas(Math.log10(max / min));
  const candidates = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
    for (const m of steps) candidates.push(tickValue(m, e));
  }
  const tolerance = 1e-9;
  let low = candidates.findLastIndex((c) => c <= min * (1 + tolerance));
  let high = candidates.findIndex((c) => c >= max * (1 - tolerance));
  if (low === high) {
    low -= 1;
    high += 1;
  }
  const ticks = candidates.slice(low, high + 1);
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/** A value as a short label: three significant digits, k and M for thousands and millions. */
export function formatValue(v) {
  const trim = (s) => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
  if (v >= 1e6) return `${trim((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${trim((v / 1e3).toPrecision(3))}k`;
  if (v >= 100) return String(Math.round(v));
  return trim(v.toPrecision(3));
}

const escapeXml = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (n) => n.toFixed(1);

function text(x, y, content, { size = 11, anchor = 'start', weight, fill = INK, halo = false } = {}) {
  const attrs = [`x="${px(x)}"`, `y="${px(y)}"`, `font-size="${size}"`, `fill="${fill}"`];
  if (anchor !== 'start') attrs.push(`text-anchor="${anchor}"`);
  if (weight) attrs.push(`font-weight="${weight}"`);
  // A white outline under the glyphs keeps a label readable where it crosses a line.
  if (halo) attrs.push('stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"');
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

const line = (x1, y1, x2, y2, stroke) =>
  `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}"/>`;

/** The x domain and ticks shared by every panel: the sizes themselves, a little room either side. */
function xAxis(panels) {
  const sizes = [...new Set(panels.flatMap((p) => p.points.map((pt) => pt.x)))].sort((a, b) => a - b);
  if (sizes.length === 0) return { domain: [1, 10], ticks: [] };
  const pad = sizes.length > 1 ? X_PAD_DECADES : 0.5;
  return { domain: [sizes[0] / 10 ** pad, sizes[sizes.length - 1] * 10 ** pad], ticks: sizes };
}

/** One panel at (`left`, `top`): title, grid, ticks, the line through its points and their values. */
function renderPanel(panel, left, top, width, x) {
  const plot = {
    left: left + MARGIN.left,
    right: left + width - MARGIN.right,
    top: top + MARGIN.top,
    bottom: top + PANEL_HEIGHT - MARGIN.bottom,
  };
  const out = [text(left + MARGIN.left, top + 20, panel.title, { size: 13, weight: '600' })];
  // What the dashed lines stand for, under the title: inside the plot a label would cross the points' own.
  const captions = (panel.limits ?? []).map((l) => l.label);
  if (captions.length)
    out.push(text(left + MARGIN.left, top + 34, `dashed: ${captions.join('; ')}`, { size: 10, fill: LIMIT }));
  const toX = logScale(x.domain, [plot.left, plot.right]);
  for (const t of x.ticks) {
    out.push(line(toX(t), plot.top, toX(t), plot.bottom, GRID));
    out.push(text(toX(t), plot.bottom + 16, formatValue(t), { anchor: 'middle', fill: MUTED }));
  }
  const points = panel.points.filter((p) => p.y > 0 && Number.isFinite(p.y));
  if (points.length === 0) {
    out.push(
      `<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="${FRAME}"/>`,
    );
    out.push(
      text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, panel.missing ?? 'not measured', {
        anchor: 'middle',
        fill: MUTED,
      }),
    );
    return out;
  }
  const limits = (panel.limits ?? []).filter((l) => l.y > 0 && Number.isFinite(l.y));
  const y = logTicks(...yRange([...points.map((p) => p.y), ...limits.map((l) => l.y)]));
  const toY = logScale(y.domain, [plot.bottom - Y_INSET, plot.top + Y_INSET]);
  for (const t of y.ticks) {
    out.push(line(plot.left, toY(t), plot.right, toY(t), GRID));
    out.push(text(plot.left - 6, toY(t) + 4, formatValue(t), { anchor: 'end', fill: MUTED }));
  }
  out.push(
    `<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="${FRAME}"/>`,
  );
  for (const limit of limits) {
    const ly = toY(limit.y);
    out.push(
      `<line x1="${px(plot.left)}" y1="${px(ly)}" x2="${px(plot.right)}" y2="${px(ly)}" stroke="${LIMIT}" stroke-dasharray="5 4"/>`,
    );
  }
  const at = points.map((p) => [toX(p.x), toY(p.y)]);
  out.push(
    `<polyline points="${at.map(([a, b]) => `${px(a)},${px(b)}`).join(' ')}" fill="none" stroke="${LINE}" stroke-width="2" stroke-linejoin="round"/>`,
  );
  at.forEach(([cx, cy], i) => {
    out.push(`<circle cx="${px(cx)}" cy="${px(cy)}" r="3.5" fill="${LINE}"/>`);
    const { dx, dy, anchor } = labelPlace(at, i);
    out.push(text(cx + dx, cy + dy, formatValue(points[i].y), { size: 11, anchor, weight: '600', halo: true }));
  });
  return out;
}

/** The least and greatest of `ys`, widened about their geometric middle to span at least MIN_Y_RATIO. */
export function yRange(ys) {
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  if (max / min >= MIN_Y_RATIO) return [min, max];
  const middle = Math.sqrt(min * max);
  return [middle / Math.sqrt(MIN_Y_RATIO), middle * Math.sqrt(MIN_Y_RATIO)];
}

/**
 * Where the value of point `i` of the line through `at` goes: in a quarter
 * around the point that the line does not pass through (a rising line
 * leaves its upper left and lower right free), inwards at either end of
 * the line; above a peak, below a trough.
 */
function labelPlace(at, i) {
  const above = { dy: -7 };
  const below = { dy: 15 };
  const left = { dx: -6, anchor: 'end' };
  const right = { dx: 6, anchor: 'start' };
  // SVG's y grows downwards: a neighbour is "higher" when its y is smaller.
  const higher = (j) => at[j][1] < at[i][1];
  const hasBefore = i > 0;
  const hasAfter = i < at.length - 1;
  if (!hasBefore && !hasAfter) return { ...above, dx: 0, anchor: 'middle' };
  if (!hasBefore) return higher(i + 1) ? { ...below, ...right } : { ...above, ...right };
  if (!hasAfter) return higher(i - 1) ? { ...below, ...left } : { ...above, ...left };
  if (higher(i - 1) && higher(i + 1)) return { ...below, dx: 0, anchor: 'middle' };
  if (!higher(i - 1) && !higher(i + 1)) return { ...above, dx: 0, anchor: 'middle' };
  return higher(i + 1) ? { ...above, ...left } : { ...above, ...right };
}

/** Characters of a note per line: what fits a cell at 12 px. */
const NOTE_CHARS = 44;

/** Breaks `s` into lines of at most `width` characters at spaces (a longer word keeps its own line). */
export function wrap(s, width) {
  const lines = [];
  let current = '';
  for (const word of s.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

/**
 * An SVG of small multiples: `panels` ([{ title, points: [{ x, y }], missing?, limits? }],
 * `missing` saying why a panel has no points, `limits` ([{ y, label }]) the
 * targets drawn across it as dashed lines), three to a row, one x axis
 * for all (log scale, a tick at every x), each panel's y on a log scale of
 * its own spanning at least MIN_Y_RATIO. `notes` (lines of text) fill the cell after the last panel.
 */
export function smallMultiples({ title, subtitle = '', panels, notes = [] }) {
  const cells = panels.length + (notes.length ? 1 : 0);
  const rows = Math.ceil(cells / COLUMNS);
  const height = HEADER + rows * PANEL_HEIGHT + 8;
  const cellWidth = WIDTH / COLUMNS;
  const x = xAxis(panels);
  const body = [
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(16, 26, title, { size: 17, weight: '600' }),
    text(16, 46, subtitle, { size: 12, fill: MUTED }),
  ];
  panels.forEach((panel, i) => {
    body.push(
      `<g>`,
      ...renderPanel(panel, (i % COLUMNS) * cellWidth, HEADER + Math.floor(i / COLUMNS) * PANEL_HEIGHT, cellWidth, x),
      `</g>`,
    );
  });
  if (notes.length) {
    const left = (panels.length % COLUMNS) * cellWidth + 16;
    const top = HEADER + Math.floor(panels.length / COLUMNS) * PANEL_HEIGHT + MARGIN.top;
    const lines = notes.flatMap((note) => wrap(note, NOTE_CHARS));
    lines.forEach((l, i) => {
      body.push(text(left, top + 4 + i * 17, l, { size: 12, fill: MUTED }));
    });
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="${escapeXml(FONT)}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
