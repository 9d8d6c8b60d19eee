/** Compaction of updates: klevdb's FindUpdates / CompactUpdatesMulti. */
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from '../retention/delete-all.ts';
import { checkInstant, checkLog } from '../client/validate.ts';
import { scan } from '../retention/scan.ts';
import { keyString } from './keys.ts';

/**
 * The offsets of messages superseded by a later message with the same key,
 * among the messages at the start of the log whose time is at or before
 * `before` (ms or a Date): the scan stops at the first message after it, so
 * a message is superseded only by one that is itself at or before `before`.
 * The last message of each key survives. Messages without a key are never
 * updates of one another (klevdb treats a nil key as a key; we do not).
 * Needs no key index: it reads the log from the oldest message on.
 */
export async function findUpdates(log: Log, before: number | Date): Promise<Set<number>> {
  checkLog(log, 'findUpdates');
  const bound = checkInstant(before, 'findUpdates: before');
  const latest = new Map<string, number>();
  const offsets = new Set<number>();
  await scan(log, (m) => {
    if (m.time > bound) return false;
    if (m.key === null) return;
    const key = keyString(m.key);
    const previous = latest.get(key);
    if (previous !== undefined) offsets.add(previous);
    latest.set(key, m.offset);
  });
  return offsets;
}

/**
 * Deletes `findUpdates(log, before)`: only the last message of each key
 * (up to `before`) is kept. Segments are rewritten, so the space is freed;
 * survivors keep their offsets, keys, values and times.
 */
export async function compactUpdates(log: Log, before: number | Date): Promise<DeleteResult> {
  return deleteAll(log, await findUpdates(log, before));
}
