/**
 * The reads of a log, across its segments: which segment holds the answer,
 * and which of its entries (klevdb's log_reader.go reads within one segment;
 * `Segment` does that here). Each returns whole, verified records as bytes.
 * The engine runs them in its queue, on a list a follower has just caught up.
 */
import { keyHash } from '../codec/hash.ts';
import { keyEquals } from '../codec/record.ts';
import { keyCandidates } from '../indexes/key-filters.ts';
import { LogError } from '../errors.ts';
import { OffsetNewest, OffsetOldest } from '../types.ts';
import type { RawBatch } from './raw.ts';
import type { SegmentList } from './segments.ts';

const EMPTY = new Uint8Array(0);

export class LogReader {
  constructor(
    private readonly list: SegmentList,
    private readonly path: string,
  ) {}

  /**
   * Nothing is read ahead for the consume likely to come next: measured, it
   * did not pay through a worker, and in place (the engine in the caller's
   * own worker) every answer then waited for the timer that started the read
   * ahead, several times slower (BENCHMARKS.md, "Figures behind the code").
   */
  async consume(offset: number, maxCount: number): Promise<RawBatch> {
    const at = await this.consumeStart(offset);
    if (!at) return { nextOffset: this.list.next, records: EMPTY };
    const seg = this.list.at(at.s);
    const end = Math.min(seg.count, at.i + maxCount);
    const records = await seg.readEntries(at.i, end);
    return { nextOffset: seg.offsetAt(end - 1) + 1, records };
  }

  async consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<RawBatch> {
    const at = await this.consumeStart(offset);
    if (!at) return { nextOffset: this.list.next, records: EMPTY };
    const hash = keyHash(key);
    const found: Uint8Array[] = [];
    for (const s of keyCandidates(this.list.all, hash, at.s, this.list.all.length - 1)) {
      const seg = this.list.at(s);
      if (!(await seg.mayHoldKey(hash))) continue;
      for (let i = s === at.s ? at.i : 0; i < seg.count; i++) {
        if (seg.hashAt(i) !== hash) continue;
        const { bytes, record } = await seg.readRecordAt(i);
        if (!keyEquals(bytes, record, key)) continue;
        found.push(bytes);
        if (found.length === maxCount) return { nextOffset: record.offset + 1, records: concat(found) };
      }
      seg.doneWithIndex(); // a walk over thousands of segments keeps no more loaded than the bound
    }
    return { nextOffset: this.list.next, records: concat(found) };
  }

  /** Where a consume starts: the first message at or after `offset`, or null for "nothing to return". */
  private async consumeStart(offset: number): Promise<{ s: number; i: number } | null> {
    if (offset === OffsetNewest) return null;
    if (offset === OffsetOldest) {
      const oldest = this.list.oldest();
      return oldest === null ? null : this.list.locate(oldest);
    }
    if (offset > this.list.next) {
      throw new LogError('InvalidOffset', `offset ${offset} is past the next offset ${this.list.next}`);
    }
    return this.list.locate(offset);
  }

  async get(offset: number): Promise<Uint8Array> {
    const wanted = this.resolveSentinel(offset);
    if (wanted >= this.list.next) {
      throw new LogError('InvalidOffset', `offset ${wanted} is at or past the next offset ${this.list.next}`);
    }
    // Below the next offset, a missing message was deleted, even when none is left.
    const at = await this.list.entryOf(wanted, true);
    if (!at) throw new LogError('NotFound', `offset ${wanted} was deleted`);
    return this.list.at(at.s).readEntries(at.i, at.i + 1);
  }

  /** `offset`, or the oldest or newest offset the sentinels stand for, as the log is now. */
  private resolveSentinel(offset: number): number {
    if (offset !== OffsetOldest && offset !== OffsetNewest) return offset;
    const found = offset === OffsetOldest ? this.list.oldest() : this.list.newest();
    if (found === null) throw new LogError('InvalidOffset', `log ${this.path} has no messages`);
    return found;
  }

  async getByKey(key: Uint8Array): Promise<Uint8Array> {
    const hash = keyHash(key);
    for (const s of keyCandidates(this.list.all, hash, this.list.all.length - 1, 0)) {
      const seg = this.list.at(s);
      for (const i of await seg.entriesWithHash(hash)) {
        const { bytes, record } = await seg.readRecordAt(i);
        if (keyEquals(bytes, record, key)) return bytes;
      }
      seg.doneWithIndex(); // as in consumeByKey
    }
    throw new LogError('NotFound', 'no message has this key');
  }

  async getByTime(startUs: number): Promise<Uint8Array> {
    if (this.list.oldest() === null) throw new LogError('InvalidOffset', `log ${this.path} has no messages`);
    const seg = this.list.all[this.firstReachingTime(startUs)];
    if (!seg || seg.count === 0) throw new LogError('NotFound', `no message at or after time ${startUs / 1000}`);
    await seg.loadIndexToRead();
    const i = seg.timeLowerBound(startUs);
    return seg.readEntries(i, i + 1);
  }

  /**
   * Number of the first segment whose largest indexed time reaches `startUs`:
   * indexed times rise across the log, so it holds the answer. Only the head
   * can be empty (see roll and delete): it is left out of the bisection.
   */
  private firstReachingTime(startUs: number): number {
    const all = this.list.all;
    let lo = 0;
    let hi = this.list.head?.count ? all.length : all.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]!.maxTime < startUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
