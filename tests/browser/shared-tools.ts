// Small tools of the browser specs and their page-side helpers (readers-page.ts,
// tabs-page.ts): plain functions, loadable in a page and in Node alike.

/** A seeded PRNG (mulberry32): the same seed replays a run's choices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a call's rejection was: its LogError code (else the error's name) and its text. */
export function errorOf(err: unknown): { code: string; error: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const name = err instanceof Error ? err.name : typeof err;
  return {
    code: typeof code === 'string' ? code : name,
    error: err instanceof Error ? `${name}: ${err.message}` : String(err),
  };
}
