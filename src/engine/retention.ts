/**
 * The `retention` option: keeps a log within its `RetentionPolicy` (see
 * types.ts) by running the trim functions after every publish. It runs
 * where the engine runs (the worker, or in place), over a `Log` made directly
 * on the engine, so a trim's scans and deletes never cross the worker
 * boundary, and a publish resolves only once its log is within the policy.
 *
 * Cheap when nothing is due: a check is one `stat` (a walk over the segments
 * in memory) and, for `maxAgeMs`, at most now and then one `get` of the
 * oldest message. A trim goes 1/16 below the limit, so it comes once per
 * sixteenth of the limit published, not on every publish.
 */
import { LogFacade } from '../client/facade.ts';
import type { RawLog } from './raw.ts';
import type { ResolvedOptions } from './options.ts';
import { OffsetOldest, type Log, type RetentionPolicy } from '../types.ts';
import { trimByAge } from '../retention/by-age.ts';
import { trimByCount } from '../retention/by-count.ts';
import { trimBySize } from '../retention/by-size.ts';

/** A trim leaves the log this fraction of a limit below it. */
export const RETENTION_HEADROOM = 1 / 16;

/** What a trim keeps of `limit`. */
function target(limit: number): number {
  return limit - Math.floor(limit * RETENTION_HEADROOM);
}

export class RetentionKeeper {
  /**
   * When the age limit should next be looked at: when the oldest message
   * (as last seen) grows too old, but at least every 1/16 of `maxAgeMs`, in
   * case the oldest message changed meanwhile (a delete, an emptied log).
   */
  private ageDue = -Infinity;
  /** The check that runs now, and the one that will run after it. */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly log: Log, private readonly policy: RetentionPolicy) {}

  /**
   * Trims the log if it is over a limit. One check at a time: one asked for
   * while another runs runs after it, and covers every call made meanwhile.
   * Never rejects: a trim that failed is tried again at the next check.
   */
  check(): Promise<void> {
    if (this.queued) return this.queued;
    const queued = (this.running ?? Promise.resolve()).then(() => {
      this.queued = null;
      const run = this.apply().catch(() => undefined);
      this.running = run;
      return run.finally(() => {
        if (this.running === run) this.running = null;
      });
    });
    this.queued = queued;
    return queued;
  }

  private async apply(): Promise<void> {
    const { maxCount, maxBytes, maxAgeMs } = this.policy;
    let trimmed = false;
    if (maxCount !== undefined || maxBytes !== undefined) {
      let stats = await this.log.stat();
      if (maxCount !== undefined && stats.messages > maxCount) {
        trimmed = (await trimByCount(this.log, target(maxCount))).deletedOffsets.size > 0 || trimmed;
        stats = await this.log.stat();
      }
      if (maxBytes !== undefined && stats.size > maxBytes) {
        trimmed = (await trimBySize(this.log, target(maxBytes))).deletedOffsets.size > 0 || trimmed;
      }
    }
    if (maxAgeMs !== undefined && (trimmed || Date.now() >= this.ageDue)) await this.applyAge(maxAgeMs);
  }

  private async applyAge(maxAgeMs: number): Promise<void> {
    let oldest = await this.oldestTime();
    if (oldest !== null && Date.now() - oldest > maxAgeMs) {
      await trimByAge(this.log, Date.now() - target(maxAgeMs));
      oldest = await this.oldestTime();
    }
    const recheck = Date.now() + maxAgeMs * RETENTION_HEADROOM;
    this.ageDue = oldest === null ? -Infinity : Math.min(oldest + maxAgeMs, recheck);
  }

  private async oldestTime(): Promise<number | null> {
    try {
      return (await this.log.get(OffsetOldest)).time;
    } catch {
      return null; // InvalidOffset: no message is stored
    }
  }
}

type Engine = RawLog & { readonly options: ResolvedOptions; readonly path: string };

/**
 * The engine with its open options' retention applied: once now (a log
 * opened after a while may be over its age limit), then after every publish,
 * before the publish resolves. Without a policy, or readonly, the engine itself.
 */
export async function withRetention<T extends Engine>(engine: T): Promise<T> {
  const policy = engine.options.retention;
  if (engine.options.readonly || !policy || Object.keys(policy).length === 0) return engine;
  const keeper = new RetentionKeeper(new LogFacade(engine, engine.options, engine.path), policy);
  await keeper.check();
  const publish: RawLog['publish'] = async (records) => {
    const next = await engine.publish(records);
    await keeper.check();
    return next;
  };
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'publish') return publish;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
