/** klevdb's DeleteMulti over a public `Log` (the rule: `deleteInRounds`). */
import type { DeleteResult, Log } from '../types.ts';
import { checkLog, checkOffsets } from '../client/validate.ts';
import { deleteInRounds } from '../engine/retention-rules.ts';

/**
 * Deletes every offset of `offsets` still stored, calling `log.delete` until
 * none is left or a call deletes nothing (the rest no longer exist). Resolves
 * to everything deleted. Rejects like `delete` (e.g. `Readonly`); what earlier
 * calls deleted stays deleted. Not a `Log`, or offsets that are not an
 * iterable of numbers: rejects `InvalidArgument`, nothing deleted.
 */
export async function deleteAll(log: Log, offsets: Iterable<number>): Promise<DeleteResult> {
  checkLog(log, 'deleteAll');
  return deleteInRounds(checkOffsets(offsets), (remaining) => log.delete(remaining));
}
