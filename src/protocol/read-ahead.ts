/**
 * Read-ahead for a reader going through the log in order: once a consume
 * answers, the next one (same `maxCount`, from its `nextOffset`) is asked
 * for at once, so the worker reads it while the caller works on this one,
 * and the caller's next consume costs no round trip.
 *
 * Only for a client through which every change of the log passes (a
 * writer's port to its engine: its own calls and, for a shared writer, the
 * other tabs' ones it forwards). A batch read ahead is used only if no call
 * that changes messages (the table says which: a publish, a delete) was sent
 * after it was asked for: a delete (or a retention trim after a publish) may
 * remove what it holds. Calls run in the order sent, so a batch asked for
 * before a change reflects the log before it.
 *
 * Why here and only here: it pays where reads are slow (Firefox's consume
 * through the worker gains about a quarter) and costs a little where they are
 * fast (Chromium), figures in BENCHMARKS.md (Figures behind the code). The
 * engine reads nothing ahead: in place, with no round trip to hide, it only
 * delayed answers.
 */
import type { RawBatch, RawLog } from '../engine/raw.ts';
import { CALL_NAMES, type CallName, changesMessages, invoke } from './calls.ts';

interface Ahead {
  epoch: number;
  offset: number;
  maxCount: number;
  batch: Promise<RawBatch>;
}

/** `raw` (a plain object of functions) with read-ahead for consume; every other call passes straight through. */
export function withReadAhead<T extends RawLog>(raw: T): T {
  let epoch = 0;
  let ahead: Ahead | null = null;
  /** Where the last consume ended: a consume starting there is reading in order. */
  let lastEnd = -1;

  const answered = (offset: number, maxCount: number, batch: RawBatch): RawBatch => {
    const inOrder = offset === lastEnd;
    lastEnd = batch.nextOffset;
    if (inOrder && batch.records.length > 0) {
      const next = raw.consume(batch.nextOffset, maxCount);
      next.catch(() => undefined); // unused, or rejected to the consume that takes it
      ahead = { epoch, offset: batch.nextOffset, maxCount, batch: next };
    }
    return batch;
  };

  const consume = (offset: number, maxCount: number): Promise<RawBatch> => {
    const taken = ahead;
    ahead = null;
    const fits = taken?.epoch === epoch && taken.offset === offset && taken.maxCount === maxCount;
    return (fits ? taken.batch : raw.consume(offset, maxCount)).then((batch) => answered(offset, maxCount, batch));
  };

  /** A call that changes messages may change what a batch read ahead holds: it is not used after one. */
  const changing =
    (call: CallName) =>
    (...args: unknown[]) => {
      epoch++;
      ahead = null;
      return invoke(raw, call, args);
    };
  const changes = Object.fromEntries(CALL_NAMES.filter(changesMessages).map((call) => [call, changing(call)]));
  return { ...raw, ...changes, consume };
}
