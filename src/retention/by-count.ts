/** Retention by message count: klevdb's FindByCount / TrimByCountMulti. */
import { invalidArgument } from '../errors.ts';
import { checkLog } from '../client/validate.ts';
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from './delete-all.ts';
import { byCount } from '../engine/retention-rules.ts';
import { find } from './scan.ts';

/** The offsets of the oldest messages to delete so that at most `max` (an integer ≥ 0) remain. */
export async function findByCount(log: Log, max: number): Promise<Set<number>> {
  checkLog(log, 'findByCount');
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) {
    throw invalidArgument(`findByCount: max must be an integer ≥ 0, got ${String(max)}`);
  }
  return find(log, byCount((await log.stat()).messages, max));
}

/** Deletes the oldest messages until at most `max` remain, across as many segments as needed. */
export async function trimByCount(log: Log, max: number): Promise<DeleteResult> {
  return deleteAll(log, await findByCount(log, max));
}
