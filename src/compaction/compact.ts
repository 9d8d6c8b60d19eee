/** klevdb's Compact: updates, then tombstones, by age. */
import { invalidArgument } from '../errors.ts';
import { checkLog } from '../client/validate.ts';
import type { DeleteResult, Log } from '../types.ts';
import { compactDeletes } from './deletes.ts';
import { compactUpdates } from './updates.ts';

/**
 * Compacts the log as klevdb's `Compact` does: drops every message older
 * than `ageMs` that a later message of its key (also older than `ageMs`)
 * supersedes, then every tombstone older than twice `ageMs` that is the
 * first message left of its key. `ageMs` 0 compacts everything up to now.
 * Resolves to everything deleted, by both steps.
 */
export async function compact(log: Log, ageMs: number): Promise<DeleteResult> {
  checkLog(log, 'compact');
  if (typeof ageMs !== 'number' || !Number.isFinite(ageMs) || ageMs < 0) {
    throw invalidArgument(`compact: ageMs must be a number ≥ 0, got ${String(ageMs)}`);
  }
  const now = Date.now();
  const updates = await compactUpdates(log, now - ageMs);
  const deletes = await compactDeletes(log, now - 2 * ageMs);
  return {
    deletedOffsets: new Set([...updates.deletedOffsets, ...deletes.deletedOffsets]),
    deletedSize: updates.deletedSize + deletes.deletedSize,
  };
}
