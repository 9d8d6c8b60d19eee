/** Types of chart.mjs, for its unit test (tests/unit/bench-chart.test.ts). */
export interface Panel {
  title: string;
  points: { x: number; y: number }[];
  /** Why the panel has no points, shown in its place. */
  missing?: string;
  /** Targets the cost should stay under, drawn across the panel as dashed lines. */
  limits?: { y: number; label: string }[];
}
export function logScale(domain: [number, number], range: [number, number]): (v: number) => number;
export function logTicks(min: number, max: number): { domain: [number, number]; ticks: number[] };
export function yRange(ys: number[]): [number, number];
export function formatValue(v: number): string;
export function wrap(s: string, width: number): string[];
export function smallMultiples(chart: { title: string; subtitle?: string; panels: Panel[]; notes?: string[] }): string;
