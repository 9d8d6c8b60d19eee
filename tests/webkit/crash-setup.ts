// What the WebKit crash test (crash.spec.ts) and its page (crash.ts) agree on:
// the log, its batches, and the steps of each MiniBrowser launch.

/** Launch 1 streams publishes, telling the test each that resolved, until the test kills it. */
export const STREAM_STEP = 'stream';
/** Launch 2, on the same profile: opens the log, checks it, publishes once more and reopens it checked. */
export const CHECK_STEP = 'check';

export const DIR = 'crash/events';
/** Messages per batch: a partial batch shows as an offset that is not a multiple. */
export const BATCH = 50;
/**
 * Large values and a large rollover make each commit copy megabytes (the
 * async backend rewrites the head segment whole), so that a kill lands in
 * the middle of WebKit's copy of a closed writable into its target often.
 */
export const VALUE_BYTES = 8_000;
/** Published and awaited before the stream starts. */
export const FIRST_BATCHES = 10;
/** Far more than get done before the kill. */
export const STREAMED_BATCHES = 150;
/** `backend` left at its default, 'auto': in WebKitGTK, which refuses sync access handles, it picks the async backend. */
export const OPTIONS = { createDirs: true, rollover: 64 * 1024 * 1024 };

/** What the page notes as it goes (page-steps.ts `note`). */
export type CrashNote = { resolved: number } | { found: Found; refusals: number } | { after: Found; next: number };

export interface Found {
  next: number;
  count: number;
  problem: string | null;
}
