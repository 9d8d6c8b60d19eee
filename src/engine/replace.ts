/**
 * Replacing every segment of a log at once, atomically across a crash, on a
 * file system without an atomic directory rename (OPFS):
 *
 * 1. The caller stages the new segments as `<segment name>.import` in the
 *    log's directory, each written and flushed.
 * 2. `commitReplace` writes and flushes a commit marker naming them: the
 *    commit point. It then renames each staged file over its final name
 *    (before removing any old file, so the old head stays until the new
 *    files are in place), removes every other segment file and any rewrite
 *    copy, and removes the marker last.
 * 3. `finishReplace`, run by a writer before it lists segments (and by an
 *    import before it starts), rolls forward: a valid marker means finish
 *    step 2; no marker, or a torn one, means the replace never committed, so
 *    the staged files are dropped and the old log stays whole.
 *
 * While a marker exists, the directory may hold old and new segments side by
 * side: a reader that sees `REPLACE_MARKER` must not trust its listing.
 *
 * Marker (little-endian): 0 magic u32 · 4 version u16 · 6 count u32 ·
 * 10 count × base offset u64 · then crc32c u32 of everything before it.
 */
import { crc32c } from '../codec/crc32.ts';
import { getU64, setU64, U64_SIZE } from '../codec/u64.ts';
import { parseSegmentName, SEGMENT_SUFFIX, segmentName } from '../segment/names.ts';
import type { Directory } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';
import { PRODUCERS_FILE } from './producers.ts';

/** Suffix of a staged segment. (Imports before the marker existed used it too, so their leftovers go the same way.) */
export const STAGED_SUFFIX = '.import';
/** The commit marker of a replace under way; its presence means the listing is not one log. */
export const REPLACE_MARKER = 'replace.commit';

const MARKER_MAGIC = 0x50524c4f; // "OLRP"
const MARKER_VERSION = 1;
const MK_MAGIC = 0;
const MK_VERSION = 4;
const MK_COUNT = 6;
/** Where the base offsets start, one u64 each; the crc32c follows them. */
const MK_BASES = 10;
const MK_CRC_SIZE = 4;

function markerSize(count: number): number {
  return MK_BASES + U64_SIZE * count + MK_CRC_SIZE;
}

/** Whether `name` is a segment file or a copy of one under a suffix (`.import`, `.tmp`). */
function isSegmentFile(name: string): boolean {
  const dot = name.indexOf(SEGMENT_SUFFIX);
  return dot >= 0 && parseSegmentName(name.slice(0, dot + SEGMENT_SUFFIX.length)) !== null;
}

function encodeMarker(bases: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(markerSize(bases.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(MK_MAGIC, MARKER_MAGIC, true);
  view.setUint16(MK_VERSION, MARKER_VERSION, true);
  view.setUint32(MK_COUNT, bases.length, true);
  bases.forEach((base, i) => {
    setU64(view, MK_BASES + U64_SIZE * i, base);
  });
  const crcAt = bytes.length - MK_CRC_SIZE;
  view.setUint32(crcAt, crc32c(bytes, 0, crcAt), true);
  return bytes;
}

/** The segment names a marker commits to, or null if it is torn, damaged or foreign (never committed). */
function decodeMarker(bytes: Uint8Array): string[] | null {
  if (bytes.length < markerSize(0)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(MK_MAGIC, true) !== MARKER_MAGIC || view.getUint16(MK_VERSION, true) !== MARKER_VERSION)
    return null;
  const count = view.getUint32(MK_COUNT, true);
  if (bytes.length !== markerSize(count)) return null;
  const crcAt = bytes.length - MK_CRC_SIZE;
  if (view.getUint32(crcAt, true) !== crc32c(bytes, 0, crcAt)) return null;
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(segmentName(getU64(view, MK_BASES + U64_SIZE * i)));
  return names;
}

async function readMarker(dir: Directory): Promise<string[] | null> {
  const file = await dir.openFile(REPLACE_MARKER, { create: false, readonly: true });
  try {
    return decodeMarker(await file.read(0, await file.size()));
  } finally {
    await file.close();
  }
}

/**
 * Commits a replace whose segments (base offsets `bases`) the caller has
 * staged as `segmentName(base) + STAGED_SUFFIX`, flushed, then finishes it.
 * Once this has written the marker, the new log wins even if it fails later
 * (the next `finishReplace` completes it).
 */
export async function commitReplace(dir: Directory, bases: readonly number[]): Promise<void> {
  await writeWholeFile(dir, REPLACE_MARKER, [encodeMarker(bases)]);
  await finishReplace(dir);
}

/** Finishes a committed replace in `dir`, or drops the staged files of one that never committed. */
export async function finishReplace(dir: Directory): Promise<void> {
  const files = new Set(await dir.names());
  const named = files.has(REPLACE_MARKER) ? await readMarker(dir) : null;
  if (named === null) {
    for (const name of files) if (name.endsWith(STAGED_SUFFIX) && isSegmentFile(name)) await dir.remove(name);
    if (files.has(REPLACE_MARKER)) await dir.remove(REPLACE_MARKER);
    return;
  }
  const keep = new Set(named);
  for (const name of named) {
    // A staged file still there has not been renamed yet; one that is gone already has been.
    if (files.has(name + STAGED_SUFFIX)) await dir.rename(name + STAGED_SUFFIX, name);
  }
  for (const name of files) if (isSegmentFile(name) && !keep.has(name)) await dir.remove(name);
  await dir.remove(PRODUCERS_FILE); // which producers' publishes the old log took says nothing of the new one
  await dir.remove(REPLACE_MARKER);
}
