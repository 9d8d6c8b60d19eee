/**
 * Work a writer leaves until after its open, so that an open and its first
 * reads do not wait for it: tidying that no read depends on (see
 * `removeLeftovers` in load.ts). It starts a while after the open, or at
 * once when the writer closes, which waits for it.
 */

/** How long after an open its deferred work starts: past the first reads a page makes as it loads. */
export const AFTER_OPEN_MS = 5000;

export class AfterOpen {
  private readonly timer: ReturnType<typeof setTimeout>;
  private running: Promise<void> | null = null;

  /** `work` must not reject for a reason worth reporting: a failure is dropped (it is tidying only). */
  constructor(
    private readonly work: () => Promise<void>,
    delayMs = AFTER_OPEN_MS,
  ) {
    this.timer = setTimeout(() => void this.finish(), delayMs);
  }

  /** Starts the work now unless it started; resolves once it is done. */
  finish(): Promise<void> {
    clearTimeout(this.timer);
    this.running ??= this.work().catch(() => undefined);
    return this.running;
  }
}
