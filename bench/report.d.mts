/** Types of report.mjs, for its unit test (tests/unit/bench-report.test.ts). */
import type { ScalingReport } from './scaling-report.mjs';
export interface Median {
  value: number;
  unit: string;
  samples?: number[];
  extra?: Record<string, number>;
}
export interface TargetResult {
  workload: string;
  value: number | undefined;
  checks: { what: string; ratio?: number; met: boolean }[];
  met: boolean;
}
/** One run's results, as bench/run.mjs writes them. */
export interface Report {
  date: string;
  /** The browser measured in; absent from reports written before Firefox was benchmarked. */
  browser?: { name: string; version: string; settings?: string };
  /** The old reports' Chromium version, read when `browser` is absent. */
  chromium?: string;
  machine: { cores: number; memoryGiB: number };
  runs: number;
  seconds: number;
  /** The 1-minute load average at the run's start and end; absent from older reports. */
  load?: { start: number; end: number };
  systems: { name: string; settings: string }[];
  medians: Record<string, Record<string, Median>>;
  /** Per workload: what its figure counts in this browser, or why it has none. */
  notes?: Record<string, string>;
  /** Judged in Chromium only; empty for other browsers. */
  targets: TargetResult[];
}
export interface ReportFiles {
  out: URL;
  results: URL;
  markdown: URL;
  recorded: URL[];
  /** Every browser's recorded scaling run (bench/scaling-report.mjs); none when absent. */
  scaling?: URL[];
}
export function browserOf(report: Report): { name: string; version: string; settings?: string };
export function renderTable(report: Report): string;
export function renderMarkdown(reports: Report[], scaling?: ScalingReport[]): string;
export function reportFiles(browser: string): ReportFiles;
export function saveReport(report: Report, options: { record: boolean }, files?: ReportFiles): string[];
export function writeFile(url: URL, text: string): string;
export function writeMarkdown(files: ReportFiles): string;
