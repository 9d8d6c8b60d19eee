/** Types of scaling-report.mjs, for the unit tests (tests/unit/bench-chart.test.ts). */
/** One size's figures in a scaling run. */
export interface ScalingSize {
  messages: number;
  /** Wall-clock seconds the size took over all its runs, building and removing the logs included. */
  seconds: number;
  /** How many runs the figures are the medians of (one when absent). */
  runs?: number;
  publish: { usPerMessage: number; msgPerSecond: number };
  /** `read` messages in `stretches` stretches (the whole log, or a part of a large one). */
  consume: { read: number; stretches: number; usPerMessage: number; msgPerSecond: number };
  /** `usPerOp` after `afterReopenUsPerOp`: the first lookups since the reopen also build each segment's key order. */
  getByKey: { usPerOp: number; afterReopenUsPerOp: number };
  reopen: { ms: number };
  /** Absent where the browser's worker memory cannot be measured. */
  heap?: { MiB: number; bytesPerMessage: number };
}
/** A scaling run, as bench/scaling.mjs writes it. */
export interface ScalingReport {
  date: string;
  browser: { name: string; version: string; settings?: string };
  machine: { cores: number; memoryGiB: number };
  seconds: number;
  load?: { start: number; end: number };
  /** How each figure was taken, one point a line. */
  settings: string[];
  /** What the worker heap counts in this browser, or why it was not measured. */
  heap: string;
  sizes: ScalingSize[];
}
export function scalingFiles(browser: string): { out: URL; outSvg: URL; json: URL; svg: URL; image: string };
export function scalingRows(report: ScalingReport): string[][];
export const SCALING_HEADER: string[];
export function growth(a: number, b: number, sizes: number): { factor: number; exponent: number; how: string };
export function runsText(report: ScalingReport): string;
export function scalingSentences(report: ScalingReport): string;
export function scalingChart(report: ScalingReport): string;
export function scalingSection(recorded: { report: ScalingReport; title: string }[]): string;
