/** What one message's index entry counts for in `Log.size` and `stat`, apart from the index so the client need not load it. */

/**
 * Bytes of index one message costs for a log's options: its offset and
 * position always, its time and key hash when those indexes are on.
 */
export function indexEntrySize(options: { keyIndex: boolean; timeIndex: boolean }): number {
  return 8 + (options.timeIndex ? 8 : 0) + (options.keyIndex ? 4 : 0);
}
