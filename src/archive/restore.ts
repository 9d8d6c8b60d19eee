/**
 * Restoring an archive into a directory, on any `Env` (OPFS in a worker,
 * memory files in Node tests). In order:
 *
 * 1. Take the target's writer lock (else `Locked`) and check the target:
 *    a dir that already holds a log needs `overwrite`.
 * 2. Verify the whole archive (verify.ts) before touching anything.
 * 3. Stage each segment as `<name>.import` beside the target's files,
 *    checking every chunk again as it is copied, and drop the old log's
 *    index records (so that no crash pairs them with new files).
 * 4. Commit with engine/replace.ts: a marker naming the new segments, then the
 *    renames and removals. A crash from here on ends with the new log whole
 *    (the next open or import finishes it); before, with the old one.
 * 5. Save the archive's index records so that `open(dir)` does not rescan.
 *
 * A failure before the commit removes what it wrote, and the directories it
 * created, and leaves the target's files as they were.
 */
import { invalidArgument, LogError, toLogError } from '../errors.ts';
import { decodeIndexRow, INDEX_ROW_SIZE } from '../indexes/rows.ts';
import { SegmentIndex } from '../indexes/segment-index.ts';
import { IndexStore, type SavedIndex } from '../indexes/store.ts';
import { lockName } from '../namespace.ts';
import { ChangeCounter } from '../engine/changes.ts';
import { segmentNames } from '../engine/load.ts';
import { commitReplace, finishReplace, STAGED_SUFFIX } from '../engine/replace.ts';
import { normalizeDir } from '../engine/options.ts';
import { segmentName } from '../segment/segment.ts';
import type { Directory, Env } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';
import type { ArchiveInfo } from '../types.ts';
import { archiveInfo, INDEX_FILE_HEADER_SIZE, type ManifestSegment } from './manifest.ts';
import { verifyArchive, ByteReader, type VerifiedArchive } from './verify.ts';
import { entryChunks } from './zip.ts';
import { checkImportOptions, isBlob } from './import-options.ts';

/** How a Blob is named in error messages: a File by its name. */
function labelOf(archive: Blob): string {
  const name = (archive as Partial<File>).name;
  return typeof name === 'string' && name !== '' ? name : 'the archive';
}

/** Restores `archive` as the log at `dir` of `env`; see `importArchive` in import.ts for the contract. */
export async function restoreArchive(
  env: Env,
  dir: unknown,
  archive: unknown,
  options?: unknown,
): Promise<ArchiveInfo> {
  const path = normalizeDir(dir);
  const { overwrite } = checkImportOptions(options);
  if (!isBlob(archive)) throw invalidArgument('importArchive takes the archive as a Blob or File');
  const lock = await env.locks.tryAcquire(lockName(path));
  if (!lock) throw new LogError('Locked', `log ${path} is open for writing elsewhere`);
  try {
    const existing = await findDir(env.root, path);
    // An import cut short by a crash: finish it if it committed, else drop what it staged.
    if (existing) await finishReplace(existing);
    const hasLog = existing !== null && (await segmentNames(existing)).length > 0;
    if (hasLog && !overwrite) {
      throw invalidArgument(`${path} already holds a log; pass { overwrite: true } to replace it`);
    }
    const label = labelOf(archive);
    const verified = await verifyArchive(archive, label);
    await install(env, path, archive, label, verified);
    return archiveInfo(verified.manifest);
  } finally {
    lock.release();
  }
}

/** The directory at `path`, or null if it does not exist. */
async function findDir(root: Directory, path: string): Promise<Directory | null> {
  try {
    return await root.subdir(path.split('/'), false);
  } catch (err) {
    if (err instanceof LogError && err.code === 'NotFound') return null;
    throw err;
  }
}

/** Opens the target dir, creating what is missing; says which part it created first, to undo it. */
async function makeDir(root: Directory, path: string): Promise<{ dir: Directory; undo: () => Promise<void> }> {
  const parts = path.split('/');
  let parent = root;
  for (const [i, created] of parts.entries()) {
    const found = await findDir(parent, created);
    if (found) {
      parent = found;
      continue;
    }
    const above = parent;
    const dir = await parent.subdir(parts.slice(i), true);
    return { dir, undo: () => above.removeDir(created) };
  }
  return { dir: parent, undo: async () => undefined };
}

async function install(env: Env, path: string, archive: Blob, label: string, verified: VerifiedArchive): Promise<void> {
  const { manifest, entries } = verified;
  const { dir, undo } = await makeDir(env.root, path);
  let store: IndexStore | undefined;
  let changes: ChangeCounter | undefined;
  try {
    // Moved before anything is written: readonly logs open there look at every file while the segments
    // are swapped, and a crash leaves it odd, so the next open lists the directory (engine/known-files.ts).
    changes = await ChangeCounter.open(dir);
    await changes.begin();
    for (const seg of manifest.segments) {
      await writeWholeFile(
        dir,
        segmentName(seg.base) + STAGED_SUFFIX,
        entryChunks(archive, entries.get(seg.log.name)!, label),
      );
    }
    store = await IndexStore.open(env.idb);
    for (const base of await store.bases(path)) await store.remove(path, base);
  } catch (err) {
    await changes?.close().catch(() => undefined);
    store?.close();
    await finishReplace(dir).catch(() => undefined); // no marker yet: this drops the staged files
    await undo().catch(() => undefined);
    throw toLogError(err, `importing ${label} into ${path}`);
  }
  try {
    try {
      await commitReplace(
        dir,
        manifest.segments.map((seg) => seg.base),
      );
      await changes.end(manifest.segments.at(-1)?.base ?? 0);
    } finally {
      await changes.close();
    }
    for (const [i, seg] of manifest.segments.entries()) {
      const sealed = i < manifest.segments.length - 1; // every one but the last (the head) is whole for good
      const saved = await savedIndex(archive, label, path, seg, entries.get(seg.index.name)!, sealed);
      // Index records are derived data: one that is not saved only costs a rescan on open.
      await store.put(saved).catch(() => undefined);
    }
  } finally {
    store.close();
  }
}

/** The IndexedDB record (and summary, if `sealed`) of a restored segment, built from the archive's (verified) index rows. */
async function savedIndex(
  archive: Blob,
  label: string,
  path: string,
  seg: ManifestSegment,
  entry: Parameters<typeof entryChunks>[1],
  sealed: boolean,
): Promise<SavedIndex> {
  const index = new SegmentIndex(seg.base, Math.max(1, seg.messages));
  const rows = new ByteReader(entryChunks(archive, entry, label));
  await rows.take(INDEX_FILE_HEADER_SIZE);
  for (let i = 0; i < seg.messages; i++) {
    const row = (await rows.take(INDEX_ROW_SIZE))!;
    const e = decodeIndexRow(new DataView(row.buffer, row.byteOffset, INDEX_ROW_SIZE), 0);
    index.append(e.offset, e.position, e.timeUs, e.keyHash);
  }
  await rows.atEnd(); // runs the entry's CRC check
  return index.saved({ dir: path, base: seg.base, incarnation: seg.incarnation, size: seg.log.size }, sealed);
}
