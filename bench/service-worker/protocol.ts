// What the bench page asks of the bench's service worker (sw.ts) and what it
// answers, shared by both sides (page.ts sends them).

export type SwRequest =
  | { op: 'open'; dir: string }
  | { op: 'owns'; dir: string }
  /** Publish message(i) alone, timed inside the service worker. */
  | { op: 'publish'; dir: string; i: number }
  | { op: 'verify'; dir: string; count: number }
  | { op: 'close'; dir: string };

/** `owner`: whether the service worker owned the files when it answered; `ms`: the publish's time; `next`: its resolve. */
export type SwAnswer = { ok: true; owner: boolean; ms?: number; next?: number } | { ok: false; error: string };

/** Where vite serves sw.ts bundled as a classic script (plugin.mjs), and the registration's scope. */
export const SCOPE = '/bench/service-worker/';
export const SCRIPT = `${SCOPE}sw.js`;
