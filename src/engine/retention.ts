/**
 * The `retention` option: keeps a log within its `RetentionPolicy` (see
 * types.ts). The engine applies it once on open (a log opened after a while
 * may be over its age limit) and after every publish, inside its queue and
 * before the publish resolves, so no call ever sees the log over a limit.
 * It works on the engine's own state (segment indexes and sizes) and deletes
 * with the engine's delete, by the rules the trim functions over a public
 * `Log` (src/retention/) use from outside (retention-rules.ts).
 *
 * Cheap when nothing is due: a check is a walk over the segments in memory
 * and, for `maxAgeMs`, at most now and then a read of the oldest message.
 * A trim goes 1/16 below the limit, so it comes once per sixteenth of the
 * limit published, not on every publish.
 */
import type { Segment } from '../segment/segment.ts';
import type { RetentionPolicy } from '../types.ts';
import type { ResolvedOptions } from './options.ts';
import type { RawDeleteResult } from './raw.ts';
import { totals } from './segments.ts';
import {
  byAge,
  byCount,
  bySize,
  deleteInRounds,
  type RetainedMessage,
  removed,
  removedOf,
  removesAny,
  type Sized,
} from './retention-rules.ts';

/** A trim leaves the log this fraction of a limit below it. */
export const RETENTION_HEADROOM = 1 / 16;

/** What a trim keeps of `limit`. */
function target(limit: number): number {
  return limit - Math.floor(limit * RETENTION_HEADROOM);
}

/** What retention needs of the engine; used only inside the engine's queue. */
export interface RetainedLog {
  /** The segments, oldest first. */
  segments(): readonly Segment[];
  /** Index bytes per message, which `stat().size` counts beside the segment files. */
  readonly entrySize: number;
  /** The engine's delete, already in its queue: what one segment holds of `offsets`. */
  deleteStored(offsets: number[]): Promise<RawDeleteResult>;
}

export class Retention {
  /**
   * When the age limit should next be looked at: when the oldest message
   * (as last seen) grows too old, but at least every 1/16 of `maxAgeMs`, in
   * case the oldest message changed meanwhile (a delete, an emptied log).
   */
  private ageDue = -Infinity;

  private constructor(
    private readonly log: RetainedLog,
    private readonly policy: RetentionPolicy,
  ) {}

  /** The log's retention, or null where there is nothing to keep: no policy, or readonly. */
  static of(options: ResolvedOptions, log: RetainedLog): Retention | null {
    const policy = options.retention;
    if (options.readonly || !policy || Object.keys(policy).length === 0) return null;
    return new Retention(log, policy);
  }

  /** Trims the log if it is over a limit. Never rejects: a trim that failed is tried again at the next publish. */
  async apply(): Promise<void> {
    try {
      await this.trim();
    } catch {
      // Retention is upkeep: the publish that triggered it has succeeded.
    }
  }

  private async trim(): Promise<void> {
    const { maxCount, maxBytes, maxAgeMs } = this.policy;
    let trimmed = false;
    const over = (total: number, limit: number | undefined) =>
      limit === undefined ? 0 : Math.max(0, total - target(limit));
    await this.loadOldest(over(this.messages(), maxCount), over(this.size(), maxBytes));
    if (maxCount !== undefined && removesAny(this.stored(), byCount(this.messages(), maxCount))) {
      trimmed = (await this.remove(removed(this.stored(), byCount(this.messages(), target(maxCount))))) || trimmed;
    }
    if (maxBytes !== undefined && removesAny(this.stored(), bySize(this.size(), maxBytes))) {
      trimmed = (await this.remove(removed(this.stored(), bySize(this.size(), target(maxBytes))))) || trimmed;
    }
    if (maxAgeMs !== undefined && (trimmed || Date.now() >= this.ageDue)) await this.applyAge(maxAgeMs);
  }

  private async applyAge(maxAgeMs: number): Promise<void> {
    let oldest = await this.oldestTime();
    // Over the limit once the oldest message is older than maxAgeMs; one exactly that old is kept.
    if (oldest !== null && Date.now() - oldest > maxAgeMs) {
      await this.remove(await removedOf(this.timed(), byAge(Date.now() - target(maxAgeMs))));
      oldest = await this.oldestTime();
    }
    const recheck = Date.now() + maxAgeMs * RETENTION_HEADROOM;
    this.ageDue = oldest === null ? -Infinity : Math.min(oldest + maxAgeMs, recheck);
  }

  /**
   * Loads the indexes of the oldest segments, up to the first one past
   * `count` messages and `bytes` bytes: as far as a trim of that much walks
   * (`stored`), and no further: the rest may stay unloaded.
   */
  private async loadOldest(count: number, bytes: number): Promise<void> {
    const { entrySize } = this.log;
    let [messages, size] = [0, 0];
    for (const seg of this.log.segments()) {
      if (messages > count && size > bytes) return;
      await seg.loadIndex();
      messages += seg.count;
      size += seg.size + seg.count * entrySize;
    }
  }

  /** Every stored message, oldest first, without its time (which takes a read). */
  private *stored(): Generator<Sized> {
    const { entrySize } = this.log;
    for (const seg of this.log.segments()) {
      for (let i = 0; i < seg.count; i++) yield { offset: seg.offsetAt(i), size: seg.recordSize(i) + entrySize };
    }
  }

  /** Every stored message, oldest first, with its time: read only as far as a rule asks. */
  private async *timed(): AsyncGenerator<RetainedMessage> {
    const { entrySize } = this.log;
    for (const seg of this.log.segments()) {
      await seg.loadIndex();
      for (let i = 0; i < seg.count; i++) {
        const { record } = await seg.readRecordAt(i);
        yield { offset: seg.offsetAt(i), size: seg.recordSize(i) + entrySize, time: record.timeUs / 1000 };
      }
    }
  }

  private messages(): number {
    return totals(this.log.segments(), this.log.entrySize).messages;
  }

  /** What `stat().size` says. */
  private size(): number {
    return totals(this.log.segments(), this.log.entrySize).size;
  }

  /** The oldest stored message's time (ms), or null if no message is stored. */
  private async oldestTime(): Promise<number | null> {
    for (const seg of this.log.segments()) {
      if (seg.count > 0) return (await seg.readRecordAt(0)).record.timeUs / 1000;
    }
    return null;
  }

  /** Deletes `offsets`, a segment per delete; whether any went. */
  private async remove(offsets: number[]): Promise<boolean> {
    const result = await deleteInRounds(offsets, (remaining) => this.log.deleteStored([...remaining]));
    return result.deletedOffsets.size > 0;
  }
}
