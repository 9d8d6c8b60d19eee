/**
 * The writer of a context that gives the log up (a service worker: its
 * engine runs on the slower asynchronous backend) to a writer that claims it
 * (a tab, whose dedicated worker writes with sync access handles). It lives
 * beside the engine (in-place.ts), not in the main thread's bundle: a page
 * never yields.
 */
import { SharedWriter } from './shared-writer.ts';

export class YieldingWriter extends SharedWriter {
  protected override readonly yields = true;

  protected override claimed(): void {
    this.handing = this.handOver();
  }

  /**
   * Steps down as a closing owner does: what it serves is answered and its
   * engine closed (which runs the calls queued on it first); then it waits in line again, asking for the
   * owner lock before letting it go, so behind the claimant (which asked
   * first) and ahead of none. Its own calls meanwhile wait for the next
   * owner, as a forwarder's do; calls sent to it go unanswered and their
   * senders send them again to the next owner.
   */
  private async handOver(): Promise<void> {
    this.owner = null;
    await Promise.allSettled(this.serving);
    const engine = this.engine!;
    try {
      await engine.raw.close();
    } catch {
      // Closed or not, its files are let go with the lock below; the next owner recovers what it must.
    }
    this.engine = null;
    await Promise.resolve(engine.end()).catch(() => undefined);
    this.onOwnership(false);
    const lock = this.ownerLock;
    this.ownerLock = null;
    // Also when closing: a close waits in line until its own calls are answered (contend lets go otherwise).
    if (!this.removed) this.contending = this.contend();
    await lock?.release();
    this.handing = null;
  }
}
