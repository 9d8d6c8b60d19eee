/** Retention by age: klevdb's FindByAge / TrimByAgeMulti. */
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from './delete-all.ts';
import { checkInstant, checkLog } from '../client/validate.ts';
import { byAge } from '../engine/retention-rules.ts';
import { find } from './scan.ts';

/**
 * The offsets of the messages at the start of the log whose time is at or
 * before `before` (ms or a Date): from the oldest on, up to the first message
 * after it. A message out of time order behind that one is not included.
 */
export async function findByAge(log: Log, before: number | Date): Promise<Set<number>> {
  checkLog(log, 'findByAge');
  const bound = checkInstant(before, 'findByAge: before');
  return find(log, byAge(bound));
}

/** Deletes `findByAge(log, before)`, across as many segments as it spans. */
export async function trimByAge(log: Log, before: number | Date): Promise<DeleteResult> {
  return deleteAll(log, await findByAge(log, before));
}
