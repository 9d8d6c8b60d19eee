/**
 * Checking an archive before anything is written: a zip whose entries are
 * exactly those its `manifest.json` lists, each of the listed size and
 * CRC-32; segment files with a valid header and intact records (CRC-32C,
 * increasing offsets, whole publish batches); index files that agree with
 * the records entry by entry; and a next offset that the segments imply.
 * Anything else rejects `Corrupted`, saying which file and what is wrong.
 * It reads the archive a chunk at a time.
 */
import { LogError } from '../errors.ts';
import { keyHash } from '../codec/hash.ts';
import { BatchScanner, describeFault, isFault, type ScanFault } from '../codec/batches.ts';
import { RECORD_HEADER_SIZE, recordSizeAt, type RecordProblem } from '../codec/record.ts';
import { decodeSegmentHeader, SEGMENT_HEADER_SIZE } from '../codec/segment-header.ts';
import { decodeIndexRow, INDEX_ROW_SIZE } from '../indexes/rows.ts';
import {
  checkIndexFileHeader,
  INDEX_FILE_HEADER_SIZE,
  INDEXES_DIR,
  MANIFEST_NAME,
  MAX_MANIFEST_SIZE,
  parseManifest,
  SEGMENTS_DIR,
  type Manifest,
  type ManifestFile,
  type ManifestSegment,
} from './manifest.ts';
import { entryChunks, readZipDirectory, type ZipEntry } from './zip.ts';

export interface VerifiedArchive {
  manifest: Manifest;
  /** The zip entry of every file the manifest lists, by name. */
  entries: Map<string, ZipEntry>;
}

/** Folder entries a zip tool may add when someone re-zips the files. */
const FOLDER_ENTRIES = new Set([SEGMENTS_DIR, INDEXES_DIR]);

/** Verifies the archive in `blob` (see the file comment); `label` names it in errors. */
export async function verifyArchive(blob: Blob, label: string): Promise<VerifiedArchive> {
  const { entries } = await readZipDirectory(blob, label);
  const manifestEntry = entries.get(MANIFEST_NAME);
  if (!manifestEntry) {
    const names = [...entries.keys()].slice(0, 5).join(', ');
    throw new LogError(
      'Corrupted',
      `${label}: not an opfs-log archive: it has no ${MANIFEST_NAME} (it holds ${names || 'nothing'}${entries.size > 5 ? ', …' : ''})`,
    );
  }
  if (manifestEntry.size > MAX_MANIFEST_SIZE) {
    throw new LogError(
      'Corrupted',
      `${label}: its ${MANIFEST_NAME} is ${manifestEntry.size} bytes, too large to be an opfs-log manifest`,
    );
  }
  const manifest = parseManifest(await readWhole(blob, manifestEntry, label));
  checkEntryList(manifest, entries, label);

  let maxTime = -Infinity;
  let lastOffset: number | null = null;
  for (const [i, seg] of manifest.segments.entries()) {
    ({ maxTime, lastOffset } = await verifySegment(blob, label, seg, entries, maxTime));
    const next = manifest.segments[i + 1];
    if (next && lastOffset !== null && lastOffset >= next.base) {
      throw new LogError(
        'Corrupted',
        `${label}: ${seg.log.name} holds offset ${lastOffset}, where the next segment starts`,
      );
    }
  }
  const implied = impliedNextOffset(manifest, lastOffset);
  if (implied !== manifest.nextOffset) {
    throw new LogError(
      'Corrupted',
      `${label}: ${MANIFEST_NAME} says next offset ${manifest.nextOffset}, the segments say ${implied}`,
    );
  }
  return { manifest, entries };
}

/** Every listed file is there with its size and CRC-32, and nothing else is. */
function checkEntryList(manifest: Manifest, entries: Map<string, ZipEntry>, label: string): void {
  const listed = new Map<string, ManifestFile>();
  for (const seg of manifest.segments) {
    listed.set(seg.log.name, seg.log);
    listed.set(seg.index.name, seg.index);
  }
  for (const [name, entry] of entries) {
    if (name === MANIFEST_NAME) continue;
    if (FOLDER_ENTRIES.has(name) && entry.size === 0) continue;
    if (!listed.has(name))
      throw new LogError(
        'Corrupted',
        `${label}: ${name} is not part of an opfs-log archive (${MANIFEST_NAME} does not list it)`,
      );
  }
  for (const file of listed.values()) {
    const entry = entries.get(file.name);
    if (!entry) throw new LogError('Corrupted', `${label}: ${file.name} is missing (${MANIFEST_NAME} lists it)`);
    if (entry.size !== file.size) {
      throw new LogError(
        'Corrupted',
        `${label}: ${file.name} has ${entry.size} bytes, ${MANIFEST_NAME} says ${file.size}`,
      );
    }
    if (entry.crc32 !== file.crc32) {
      throw new LogError('Corrupted', `${label}: ${file.name} has a different CRC-32 than ${MANIFEST_NAME} lists`);
    }
  }
}

/** The offset the log continues at, as the engine computes it: after the head's last message, else at the head's base. */
function impliedNextOffset(manifest: Manifest, lastOffset: number | null): number {
  const head = manifest.segments.at(-1);
  if (!head) return 0;
  return lastOffset !== null ? lastOffset + 1 : head.base;
}

async function readWhole(blob: Blob, entry: ZipEntry, label: string): Promise<Uint8Array> {
  const out = new Uint8Array(entry.size);
  let at = 0;
  for await (const chunk of entryChunks(blob, entry, label)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Scans one segment file record by record against its index file, both
 * streamed. Returns the running time maximum after it (the next segment's
 * index continues it) and its last offset (null if it holds no message).
 */
async function verifySegment(
  blob: Blob,
  label: string,
  seg: ManifestSegment,
  entries: Map<string, ZipEntry>,
  prevMaxTime: number,
): Promise<{ maxTime: number; lastOffset: number | null }> {
  const name = `${label}: ${seg.log.name}`;
  const indexName = `${label}: ${seg.index.name}`;
  const records = new ByteReader(entryChunks(blob, entries.get(seg.log.name)!, label));
  const rows = new ByteReader(entryChunks(blob, entries.get(seg.index.name)!, label));

  const header = await records.take(SEGMENT_HEADER_SIZE);
  const incarnation = header && decodeSegmentHeader(header, seg.base);
  if (incarnation === null)
    throw new LogError('Corrupted', `${name}: not a valid segment header for base offset ${seg.base}`);
  if (incarnation !== seg.incarnation)
    throw new LogError('Corrupted', `${name}: its header's incarnation differs from ${MANIFEST_NAME}`);
  const indexHeader = await rows.take(INDEX_FILE_HEADER_SIZE);
  const indexProblem = indexHeader
    ? checkIndexFileHeader(indexHeader, seg.base, seg.messages)
    : 'is shorter than its header';
  if (indexProblem) throw new LogError('Corrupted', `${indexName} ${indexProblem}`);

  const scanner = new BatchScanner(seg.base - 1);
  let position = SEGMENT_HEADER_SIZE;
  let lastOffset = seg.base - 1;
  let maxTime = prevMaxTime;
  let count = 0;
  while (!(await records.atEnd())) {
    // Strict: any fault rejects the archive, saying where and what.
    const bytes = await nextRecordBytes(records);
    if (typeof bytes === 'string') throw corruptAt(name, { problem: bytes, record: null }, position);
    const r = scanner.next(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length);
    if (isFault(r)) throw corruptAt(name, r, position);
    maxTime = Math.max(maxTime, r.timeUs);

    const row = await rows.take(INDEX_ROW_SIZE);
    if (!row) throw new LogError('Corrupted', `${indexName}: has fewer rows than the segment has records`);
    const e = decodeIndexRow(new DataView(row.buffer, row.byteOffset, INDEX_ROW_SIZE), 0);
    const hash = keyHash(bytes, r.keyStart, r.keyStart + r.keyLen);
    if (e.offset !== r.offset || e.position !== position || e.timeUs !== maxTime || e.keyHash !== hash) {
      throw new LogError(
        'Corrupted',
        `${indexName}: row ${count} does not match the record at byte ${position} of the segment`,
      );
    }
    lastOffset = r.offset;
    position += r.size;
    count++;
  }
  const unfinished = scanner.finish();
  if (unfinished) throw corruptAt(name, unfinished, position);
  if (count !== seg.messages)
    throw new LogError('Corrupted', `${name}: holds ${count} messages, ${MANIFEST_NAME} says ${seg.messages}`);
  if (!(await rows.atEnd()))
    throw new LogError('Corrupted', `${indexName}: has more rows than the segment has records`);
  return { maxTime, lastOffset: count > 0 ? lastOffset : null };
}

function corruptAt(name: string, fault: ScanFault, position: number): LogError {
  return new LogError('Corrupted', `${name}: ${describeFault(fault, position)}`);
}

/** The next record's bytes, whole, or why the stream holds none: it ends inside it, or its header claims too much. */
async function nextRecordBytes(records: ByteReader): Promise<Uint8Array | RecordProblem> {
  const head = await records.peek(RECORD_HEADER_SIZE);
  if (!head) return 'truncated';
  const size = recordSizeAt(new DataView(head.buffer, head.byteOffset, RECORD_HEADER_SIZE), 0);
  if (size < 0) return 'oversized';
  return (await records.take(size)) ?? 'truncated';
}

/**
 * Reads exact byte counts from a stream of chunks, copying only where a read
 * spans chunks (into a buffer that grows geometrically, so a 64 MiB record
 * arriving in 1 MiB chunks costs no more than a few copies of it).
 */
export class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Whether `buf` is ours to write into (else it is a chunk of the source). */
  private owned = false;
  private done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private append(chunk: Uint8Array): void {
    const have = this.end - this.start;
    if (have === 0) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (!this.owned || this.buf.length - this.end < chunk.length) {
      const capacity = Math.max(have + chunk.length, this.owned ? this.buf.length * 2 : 0);
      const grown = new Uint8Array(capacity);
      grown.set(this.buf.subarray(this.start, this.end));
      this.buf = grown;
      this.start = 0;
      this.end = have;
      this.owned = true;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Buffers `n` bytes; false if the source ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.end - this.start < n) {
      if (this.done) return false;
      const next = await this.source.next();
      if (next.done) this.done = true;
      else this.append(next.value);
    }
    return true;
  }

  /** The next `n` bytes without consuming them, or null if fewer remain. */
  async peek(n: number): Promise<Uint8Array | null> {
    return (await this.fill(n)) ? this.buf.subarray(this.start, this.start + n) : null;
  }

  /** The next `n` bytes (valid until the next call), or null if fewer remain. */
  async take(n: number): Promise<Uint8Array | null> {
    const bytes = await this.peek(n);
    if (bytes) this.start += n;
    return bytes;
  }

  /** Whether no bytes remain; reading to the end also runs the source's final checks. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}
