/**
 * klevdb's DeleteMulti: `Log.delete` removes what one segment holds per call,
 * so deleting offsets spread over many segments takes a call per segment.
 */
import type { DeleteResult, Log } from '../types.ts';
import { checkLog, checkOffsets } from '../client/validate.ts';

/**
 * Deletes every offset of `offsets` still stored, calling `log.delete` until
 * none is left or a call deletes nothing (the rest no longer exist). Resolves
 * to everything deleted. Rejects like `delete` (e.g. `Readonly`); what earlier
 * calls deleted stays deleted. Not a `Log`, or offsets that are not an
 * iterable of numbers: rejects `InvalidArgument`, nothing deleted.
 */
export async function deleteAll(log: Log, offsets: Iterable<number>): Promise<DeleteResult> {
  checkLog(log, 'deleteAll');
  const remaining = new Set(checkOffsets(offsets));
  const deletedOffsets = new Set<number>();
  let deletedSize = 0;
  while (remaining.size > 0) {
    const result = await log.delete(remaining);
    if (result.deletedOffsets.size === 0) break;
    for (const offset of result.deletedOffsets) {
      deletedOffsets.add(offset);
      remaining.delete(offset);
    }
    deletedSize += result.deletedSize;
  }
  return { deletedOffsets, deletedSize };
}
