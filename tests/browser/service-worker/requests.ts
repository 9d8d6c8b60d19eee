// What the pages of service-worker.spec.ts ask of its service worker (sw.ts)
// and what it answers, shared by both sides (page.ts sends them).
import type { Options } from '../../../src/index.ts';

/** What a page asks of the service worker (page.ts sends it). */
export type SwRequest =
  | { op: 'publish'; dir: string; options: Options; tag: string; batch: number; size: number; bytes: number }
  | { op: 'owns'; dir: string; options: Options }
  | { op: 'read'; dir: string; options: Options }
  | { op: 'close'; dir: string };

/** What it answers: `owner` says whether the service worker owned the files when the call was answered. */
export type SwAnswer =
  | { ok: true; next?: number; owner: boolean; startedAt: number; entries?: [number, string][] }
  | { ok: false; code: string; error: string };

/** The path the `fetch` handler answers, below the service worker's scope. */
export const API_PATH = 'api';
