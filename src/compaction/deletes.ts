/** Compaction of deletes (tombstones): klevdb's FindDeletes / CompactDeletesMulti. */
import type { DeleteResult, Log } from '../types.ts';
import { deleteAll } from '../retention/delete-all.ts';
import { checkInstant, checkLog } from '../client/validate.ts';
import { scan } from '../retention/scan.ts';
import { keyString } from './keys.ts';

/**
 * The offsets of tombstones (messages with a null value) that are the first
 * message of their key, among the messages at the start of the log whose
 * time is at or before `before` (the scan stops at the first message after
 * it). A tombstone with an older message of its key before it is kept, as
 * deleting it would bring that older value back; compact updates first
 * (see `compact`). Messages without a key are never deleted.
 */
export async function findDeletes(log: Log, before: number | Date): Promise<Set<number>> {
  checkLog(log, 'findDeletes');
  const bound = checkInstant(before, 'findDeletes: before');
  const seen = new Set<string>();
  const offsets = new Set<number>();
  await scan(log, (m) => {
    if (m.time > bound) return false;
    if (m.key === null) return;
    const key = keyString(m.key);
    if (seen.has(key)) return;
    seen.add(key);
    if (m.value === null) offsets.add(m.offset);
  });
  return offsets;
}

/** Deletes `findDeletes(log, before)`, rewriting segments; survivors are unchanged. */
export async function compactDeletes(log: Log, before: number | Date): Promise<DeleteResult> {
  return deleteAll(log, await findDeletes(log, before));
}
