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
  /** 1,000 random existing times each (absent in runs before issue 23). */
  getByTime?: { usPerOp: number };
  offsetByTime?: { usPerOp: number };
  /** `ms`: the median of the reopens after the first; `first`: the one right after the publish (absent in runs before it was kept). */
  reopen: { ms: number; first?: number };
  /**
   * Segment files whose sync access handle is held, counted by refusals of a
   * second handle after the lookups: `open` is `refused` of `probed`, scaled
   * to all `segments` when `sampled` (the probes' time budget ran out).
   */
  handles?: {
    open: number;
    sampled: boolean;
    segments: number;
    probed: number;
    refused: number;
    msPerProbe: number;
    /** The control before the reopen, with the log closed (none refused): how many were probed, and the cost of one that got its handle. */
    closedProbed?: number;
    closedMsPerProbe?: number;
  };
  /** navigator.storage.estimate()'s usage after the publish (`bytes`), and the log directory's files' sizes (`fileBytes`). */
  disk?: { bytes: number; fileBytes: number };
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
  /** The bound open handles are held to, each refusal's name with its count, and the probes' time budget per size. */
  handles?: { bound: number; refusals: Record<string, number>; budgetMs: number };
  disk?: { freeAtStart: number };
  /** Sizes the disk (or the origin's quota) would not have held. */
  skipped?: { messages: number; reason: string }[];
  sizes: ScalingSize[];
  /** A fresh tab's open() to its first get of a `messages` log: the median `ms` of `samples`. */
  coldStart?: { messages: number; ms: number; samples: number[] } | { error: string };
}
export function scalingFiles(browser: string): { out: URL; outSvg: URL; json: URL; svg: URL; image: string };
export function scalingRows(report: ScalingReport): string[][];
export const SCALING_HEADER: string[];
export function growth(a: number, b: number, sizes: number): { factor: number; exponent: number; how: string };
export function runsText(report: ScalingReport): string;
export function scalingSentences(report: ScalingReport): string;
export function scalingTargets(report: ScalingReport): string[];
export const REFERENCE_SIZE: number;
export const JUDGED_SIZES: number[];
export const LIMITS: { reopen10M: number; coldStartMs: number; heapBytesPerMessage: number; heapFromSize: number };
export function scalingChart(report: ScalingReport): string;
export function scalingSection(recorded: { report: ScalingReport; title: string }[]): string;
