/**
 * Backup: copies every segment, as it is at this moment, into another
 * directory, with IndexedDB records so the copy opens without a rescan,
 * and the log's committed cursors.
 * The engine runs it as one operation, so the copy is at one offset.
 */
import { LogError } from '../errors.ts';
import type { IndexStore } from '../indexes/store.ts';
import type { Segment } from '../segment/segment.ts';
import type { Directory } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';
import { segmentNames } from './load.ts';

export async function backupSegments(
  segments: Segment[],
  targetDir: Directory,
  source: string,
  target: string,
  store: IndexStore,
): Promise<void> {
  if ((await segmentNames(targetDir)).length > 0) {
    throw new LogError('InvalidArgument', `backup target ${target} already holds a log`);
  }
  const written: string[] = [];
  try {
    for (const seg of segments) {
      const bytes = await seg.read(0, seg.size);
      written.push(seg.name);
      await writeWholeFile(targetDir, seg.name, [bytes]);
    }
  } catch (err) {
    for (const name of written) await targetDir.remove(name);
    throw err;
  }
  for (const [i, seg] of segments.entries()) {
    await seg.loadIndex();
    await store.put(seg.saved(target, i < segments.length - 1));
  }
  // Cursors are stored with the log, so a copy of the log carries them.
  for (const [name, offset] of await store.cursors(source)) await store.putCursor(target, name, offset);
}
