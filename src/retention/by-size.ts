/** Retention by size: klevdb's FindBySize / TrimBySizeMulti. */
import { invalidArgument } from '../errors.ts';
import { checkLog } from '../client/validate.ts';
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from './delete-all.ts';
import { bySize } from '../engine/retention-rules.ts';
import { find } from './scan.ts';

/**
 * The offsets of the oldest messages to delete so that the log uses less
 * than `maxBytes` as `stat().size` counts (by `size()` of each message
 * deleted; segment headers freed on the way only make it smaller), by
 * klevdb's rule (`bySize`): a log already below the bound loses nothing, one
 * exactly at it loses its oldest message, and a bound of 0 takes every message.
 */
export async function findBySize(log: Log, maxBytes: number): Promise<Set<number>> {
  checkLog(log, 'findBySize');
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw invalidArgument(`findBySize: maxBytes must be an integer ≥ 0, got ${String(maxBytes)}`);
  }
  return find(log, bySize((await log.stat()).size, maxBytes));
}

/** Deletes the oldest messages until the log uses less than `maxBytes`, across as many segments as needed. */
export async function trimBySize(log: Log, maxBytes: number): Promise<DeleteResult> {
  return deleteAll(log, await findBySize(log, maxBytes));
}
