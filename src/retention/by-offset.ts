/** Retention by offset: klevdb's FindByOffset / TrimByOffsetMulti. */
import { invalidArgument, LogError } from '../errors.ts';
import { checkLog } from '../client/validate.ts';
import { OffsetNewest, OffsetOldest, type DeleteResult, type Log } from '../types.ts';
import { deleteAll } from './delete-all.ts';
import { byOffset } from '../engine/retention-rules.ts';
import { find } from './scan.ts';

/**
 * The offsets of the messages before offset `before`. `OffsetOldest` finds
 * none, `OffsetNewest` every message; an offset past the next finds every
 * message too. Another negative: rejects `InvalidOffset`.
 */
export async function findByOffset(log: Log, before: number): Promise<Set<number>> {
  checkLog(log, 'findByOffset');
  if (typeof before !== 'number' || !Number.isSafeInteger(before)) {
    throw invalidArgument(`findByOffset: before must be an integer, got ${String(before)}`);
  }
  if (before < 0 && before !== OffsetOldest && before !== OffsetNewest) {
    throw new LogError('InvalidOffset', `offset ${before} is negative and not OffsetOldest or OffsetNewest`);
  }
  if (before === OffsetOldest) return new Set();
  return find(log, byOffset(before === OffsetNewest ? Infinity : before));
}

/** Deletes every message before offset `before` (see `findByOffset`), across as many segments as needed. */
export async function trimByOffset(log: Log, before: number): Promise<DeleteResult> {
  return deleteAll(log, await findByOffset(log, before));
}
