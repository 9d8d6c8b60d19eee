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
import { parseSegmentName, segmentName } from '../segment/segment.ts';
import type { Directory } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';

/** Suffix of a staged segment. (Imports before the marker existed used it too, so their leftovers go the same way.) */
export const STAGED_SUFFIX = '.import';
/** The commit marker of a replace under way; its presence means the listing is not one log. */
export const REPLACE_MARKER = 'replace.commit';

const MARKER_MAGIC = 0x50524c4f; // "OLRP"
const MARKER_VERSION = 1;
const HEAD_SIZE = 10;
const TWO_32 = 2 ** 32;

/** Whether `name` is a segment file or a copy of one under a suffix (`.import`, `.tmp`). */
function isSegmentFile(name: string): boolean {
  const dot = name.indexOf('.log');
  return dot >= 0 && parseSegmentName(name.slice(0, dot + 4)) !== null;
}

function encodeMarker(bases: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(HEAD_SIZE + 8 * bases.length + 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MARKER_MAGIC, true);
  view.setUint16(4, MARKER_VERSION, true);
  view.setUint32(6, bases.length, true);
  bases.forEach((base, i) => {
    view.setUint32(HEAD_SIZE + 8 * i, base % TWO_32, true);
    view.setUint32(HEAD_SIZE + 8 * i + 4, Math.floor(base / TWO_32), true);
  });
  view.setUint32(bytes.length - 4, crc32c(bytes, 0, bytes.length - 4), true);
  return bytes;
}

/** The segment names a marker commits to, or null if it is torn, damaged or foreign (never committed). */
function decodeMarker(bytes: Uint8Array): string[] | null {
  if (bytes.length < HEAD_SIZE + 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0, true) !== MARKER_MAGIC || view.getUint16(4, true) !== MARKER_VERSION) return null;
  const count = view.getUint32(6, true);
  if (bytes.length !== HEAD_SIZE + 8 * count + 4) return null;
  if (view.getUint32(bytes.length - 4, true) !== crc32c(bytes, 0, bytes.length - 4)) return null;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEAD_SIZE + 8 * i;
    names.push(segmentName(view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32));
  }
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
  const files = new Set((await dir.list()).map((e) => e.name));
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
  await dir.remove(REPLACE_MARKER);
}
