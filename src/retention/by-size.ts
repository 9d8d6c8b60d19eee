/** Retention by size: klevdb's FindBySize / TrimBySizeMulti. */
import { invalidArgument } from '../errors.ts';
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from './delete-all.ts';
import { scan } from './scan.ts';

/**
 * The offsets of the oldest messages to delete so that the log uses at most
 * `maxBytes` as `stat().size` counts (by `size()` of each message deleted;
 * segment headers freed on the way only make it smaller). klevdb stops
 * below its bound; this stops at or below it.
 */
export async function findBySize(log: Log, maxBytes: number): Promise<Set<number>> {
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw invalidArgument(`findBySize: maxBytes must be an integer ≥ 0, got ${String(maxBytes)}`);
  }
  const offsets = new Set<number>();
  let total = (await log.stat()).size;
  if (total <= maxBytes) return offsets;
  await scan(log, (m) => {
    offsets.add(m.offset);
    total -= log.size(m);
    return total > maxBytes;
  });
  return offsets;
}

/** Deletes the oldest messages until the log uses at most `maxBytes`, across as many segments as needed. */
export async function trimBySize(log: Log, maxBytes: number): Promise<DeleteResult> {
  return deleteAll(log, await findBySize(log, maxBytes));
}
