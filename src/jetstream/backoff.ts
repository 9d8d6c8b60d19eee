/** Waiting between retries: exponential with jitter, capped, and cut short by a stop. */

const FIRST_MS = 250;
const MAX_MS = 10_000;

/** The wait before retry number `attempt` (0-based): 250 ms doubling to 10 s, ±20 % so that many tabs spread out. */
export function backoffMs(attempt: number): number {
  const base = Math.min(MAX_MS, FIRST_MS * 2 ** Math.min(attempt, 16));
  return base * (0.8 + Math.random() * 0.4);
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects: callers check `signal.aborted`). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
