/**
 * Archive export: a whole log, consistent at one offset, as a standard `.zip`
 * (format in manifest.ts). The log pins a snapshot (`Log.snapshot`); the
 * segments and their index rows are then read a chunk at a time and streamed
 * through fflate's zip writer into a sink (sink.ts), so memory stays bounded.
 */
import { Zip, ZipPassThrough } from 'fflate';
import { invalidArgument, LogError, toLogError } from '../errors.ts';
import { INDEX_ROW_SIZE } from '../indexes/rows.ts';
import type { Log, LogSnapshot } from '../types.ts';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  encodeIndexFileHeader,
  encodeManifest,
  indexEntryName,
  indexFileSize,
  MANIFEST_NAME,
  segmentEntryName,
  type Manifest,
  type ManifestFile,
  type ManifestSegment,
} from './manifest.ts';
import { openArchiveSink } from './sink.ts';

/** Segment bytes read (and sent across the worker boundary) at a time. */
const SEGMENT_CHUNK_SIZE = 1024 * 1024;
/** Index rows read at a time (~768 KiB). */
const INDEX_CHUNK_ROWS = 32 * 1024;
/** Without zip64 no offset or size in a zip may reach 4 GiB; keep a margin for headers. */
const MAX_ARCHIVE_SIZE = 2 ** 32 - 16 * 1024 * 1024;
/** Unix permissions for extracted files (rw-r--r--), so `unzip` makes ordinary files. */
const UNIX_HOST = 3;
const FILE_ATTRIBUTES = 0o644 << 16;

/** Where the zip goes, chunk by chunk. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/**
 * Exports `log` as a zip archive that `importArchive` restores: its segment
 * files, their index rows (so the restored log opens without a rescan) and a
 * `manifest.json` with the format version, the log's options and next offset,
 * and every file's size and CRC-32. `unzip` and any zip tool read it.
 *
 * - Consistent at one offset: the archive holds the log as it was when the
 *   call started; messages published meanwhile are not in it, and publishing
 *   and reading go on undisturbed. So do `delete`, trims (also the automatic
 *   ones of the `retention` option) and compaction: the messages they remove
 *   stay in the archive. Before one of them rewrites a segment the export has
 *   yet to read, the bytes the export needs are copied aside (a temporary
 *   `<segment>.pin-<n>` file beside the segments, removed when the export
 *   ends or the log closes, and after a crash when a writer next opens the
 *   log); that copy needs storage as large as the segment, and where there is
 *   none the `delete` rejects `QuotaExceeded` and deletes nothing.
 * - Memory-bounded: read and written a megabyte at a time. In a browser the
 *   archive is written to a temporary file in this origin's private file
 *   system (`.opfs-log-exports/`), and the `File` resolved is that file: it
 *   stays readable as long as the page (or worker) that exported lives, and
 *   a later export in this origin removes it after that. Where there is no
 *   OPFS (Node) the archive is built in memory.
 * - The File is named `<dir>-<time>.zip` and typed `application/zip`; hand it
 *   to `URL.createObjectURL` for a download.
 *
 * Rejects `InvalidArgument` if `log` is not a `Log` from `open()`, `Closed`
 * if it is closed (also when it is closed during the export), `Unsupported`
 * if the archive would reach 4 GiB (zip64 is not written), `QuotaExceeded`
 * if the origin runs out of storage (nothing is left behind), and `Locked`
 * if `log` is readonly and its writer (elsewhere) rewrote a segment by a
 * delete during the export (export again).
 */
export async function exportArchive(log: Log): Promise<File> {
  if (typeof (log as Partial<Log> | null)?.snapshot !== 'function')
    throw invalidArgument('exportArchive takes a Log returned by open()');
  const snapshot = await log.snapshot();
  try {
    const size = estimateSize(snapshot);
    if (size > MAX_ARCHIVE_SIZE) {
      throw new LogError(
        'Unsupported',
        `log ${snapshot.dir} would make a ${size}-byte archive; zip archives without zip64 hold under 4 GiB`,
      );
    }
    const createdAt = new Date();
    const sink = await openArchiveSink(archiveFileName(snapshot.dir, createdAt));
    try {
      await writeArchive(snapshot, sink, createdAt);
      return await sink.close();
    } catch (err) {
      await sink.abort();
      throw toLogError(err, `exporting log ${snapshot.dir}`);
    }
  } finally {
    await snapshot.release();
  }
}

/** Bytes of file data the archive will hold (zip headers add a little). */
function estimateSize(snapshot: LogSnapshot): number {
  let total = 0;
  for (const s of snapshot.segments) total += s.size + indexFileSize(s.messages) + 200;
  return total;
}

/** `logs/events` exported at 2024-06-11T15:30:12Z → `logs_events-20240611-153012.zip`. */
export function archiveFileName(dir: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  return `${dir.replace(/[^A-Za-z0-9._-]+/g, '_')}-${stamp}.zip`;
}

/**
 * Writes the zip of a pinned snapshot to `sink`: segments, index files, then
 * the manifest (last, as it carries the others' CRC-32s). Returns the manifest.
 */
export async function writeArchive(snapshot: LogSnapshot, sink: ByteSink, createdAt: Date): Promise<Manifest> {
  const pending: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else pending.push(chunk);
  });
  const drain = async (): Promise<void> => {
    if (failure) throw failure;
    while (pending.length > 0) {
      const chunk = pending.shift()!;
      if (chunk.length > 0) await sink.write(chunk);
    }
  };

  /** Adds one entry, pushing its chunks through the zip as they come. */
  const addEntry = async (name: string, chunks: AsyncIterable<Uint8Array>): Promise<ManifestFile> => {
    const file = new ZipPassThrough(name);
    file.mtime = createdAt;
    file.os = UNIX_HOST;
    file.attrs = FILE_ATTRIBUTES;
    zip.add(file);
    let previous: Uint8Array | null = null;
    for await (const chunk of chunks) {
      if (previous) {
        file.push(previous);
        await drain();
      }
      previous = chunk;
    }
    file.push(previous ?? new Uint8Array(0), true);
    await drain();
    return { name, size: file.size, crc32: file.crc >>> 0 };
  };

  const segments: ManifestSegment[] = [];
  for (const [s, seg] of snapshot.segments.entries()) {
    const log = await addEntry(segmentEntryName(seg.base), segmentChunks(snapshot, s, seg.size));
    segments.push({
      base: seg.base,
      incarnation: seg.incarnation,
      messages: seg.messages,
      log,
      index: { name: '', size: 0, crc32: 0 },
    });
  }
  for (const [s, seg] of segments.entries()) {
    seg.index = await addEntry(indexEntryName(seg.base), indexChunks(snapshot, s, seg.base, seg.messages));
  }
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    createdAt: createdAt.toISOString(),
    dir: snapshot.dir,
    nextOffset: snapshot.nextOffset,
    options: snapshot.options,
    messages: segments.reduce((n, s) => n + s.messages, 0),
    segments,
  };
  await addEntry(MANIFEST_NAME, once(encodeManifest(manifest)));
  zip.end();
  await drain();
  return manifest;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* segmentChunks(snapshot: LogSnapshot, s: number, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += SEGMENT_CHUNK_SIZE) {
    const end = Math.min(size, at + SEGMENT_CHUNK_SIZE);
    const chunk = await snapshot.read(s, at, end);
    if (chunk.length !== end - at)
      throw new LogError('Corrupted', `segment ${s}: read ${chunk.length} of ${end - at} bytes at ${at}`);
    yield chunk;
  }
}

async function* indexChunks(snapshot: LogSnapshot, s: number, base: number, rows: number): AsyncGenerator<Uint8Array> {
  yield encodeIndexFileHeader(base, rows);
  for (let from = 0; from < rows; from += INDEX_CHUNK_ROWS) {
    const to = Math.min(rows, from + INDEX_CHUNK_ROWS);
    const chunk = await snapshot.readIndex(s, from, to);
    if (chunk.length !== (to - from) * INDEX_ROW_SIZE)
      throw new LogError('Corrupted', `segment ${s}: index rows ${from}..${to} came back short`);
    yield chunk;
  }
}
