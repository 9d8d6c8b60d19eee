/**
 * The batch-framing rule, once. A publish batch is all or nothing: its
 * records lie one after another, offsets increasing, each counting down in
 * `batchLeft` how many of its batch follow it, and the batch counts only
 * once its last record (`batchLeft` 0) is there.
 *
 * The rule says where the records that count end and why a walk stopped;
 * what a stop means is the caller's policy. A segment scan treats anything
 * after the last whole batch as a torn tail (a crash mid-publish) and keeps
 * the rest; archive verification rejects an archive that stops anywhere but
 * at a clean end.
 */
import { parseRecord, type RecordProblem, type RecordView } from './record.ts';

/**
 * Why records stop counting: the bytes hold no record (`RecordProblem`), or
 * an intact record does not continue the log: its offset is not after the
 * previous one's (`order`), it breaks its batch's countdown (`batch`), or
 * the bytes end before the open batch's last record (`unfinished`).
 */
export type ScanProblem = RecordProblem | 'order' | 'batch' | 'unfinished';

/** A record that was refused, and the record itself where the bytes held one. */
export interface ScanFault {
  problem: ScanProblem;
  record: RecordView | null;
}

/**
 * Follows the framing record by record. A walk over a buffer is
 * `scanBatches`; a walk over a stream (archive verification) hands each
 * record's bytes to `next` as they arrive.
 */
export class BatchScanner {
  /** The `batchLeft` the next record must carry, or -1 if it starts a batch. */
  private expectLeft = -1;

  /** `lastOffset`: the offset before the first record's (the segment's base - 1 at its start). */
  constructor(private lastOffset: number) {}

  /** Whether the records taken so far end inside a batch. */
  get inBatch(): boolean {
    return this.expectLeft >= 0;
  }

  /**
   * Takes the record at `at` of bytes [.., end) if it is whole, intact and
   * continues the framing; else says why not, and takes nothing.
   */
  next(bytes: Uint8Array, view: DataView, at: number, end: number): RecordView | ScanFault {
    const r = parseRecord(bytes, view, at, end);
    if (typeof r === 'string') return { problem: r, record: null };
    if (r.offset <= this.lastOffset) return { problem: 'order', record: r };
    if (this.expectLeft >= 0 && r.batchLeft !== this.expectLeft) return { problem: 'batch', record: r };
    this.lastOffset = r.offset;
    this.expectLeft = r.batchLeft === 0 ? -1 : r.batchLeft - 1;
    return r;
  }

  /** The fault of a walk that ends here: none after a whole batch. */
  finish(): ScanFault | null {
    return this.inBatch ? { problem: 'unfinished', record: null } : null;
  }
}

export function isFault(step: RecordView | ScanFault): step is ScanFault {
  return 'problem' in step;
}

/** Where and why a walk over a buffer stopped. */
export interface ScanStop {
  /** The end of the last whole batch: nothing from here on counts. */
  committed: number;
  /** Null if the buffer holds whole batches to its end. */
  fault: ScanFault | null;
  /** Where the fault lies: the refused record's start, or the buffer's end for an unfinished batch. */
  at: number;
}

/**
 * Walks the records of bytes [at, end), yielding each whole batch (its
 * records, in order), and returns where and why it stopped.
 */
export function* scanBatches(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  end: number,
  lastOffset: number,
): Generator<RecordView[], ScanStop> {
  const scanner = new BatchScanner(lastOffset);
  let batch: RecordView[] = [];
  let committed = at;
  while (at < end) {
    const step = scanner.next(bytes, view, at, end);
    if (isFault(step)) return { committed, fault: step, at };
    batch.push(step);
    at += step.size;
    if (!scanner.inBatch) {
      yield batch;
      batch = [];
      committed = at;
    }
  }
  return { committed, fault: scanner.finish(), at };
}

/** What is wrong at byte `at`, in words for an error message. */
export function describeFault(fault: ScanFault, at: number): string {
  switch (fault.problem) {
    case 'truncated':
      return `truncated record at byte ${at}`;
    case 'oversized':
      return `damaged record header at byte ${at}`;
    case 'checksum':
      return `the record at byte ${at} fails its checksum`;
    case 'order':
      return `offset ${fault.record!.offset} at byte ${at} is out of order`;
    case 'batch':
      return `broken publish batch at byte ${at}`;
    case 'unfinished':
      return 'ends inside a publish batch';
  }
}
