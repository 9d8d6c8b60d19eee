/**
 * Reading a zip archive held in a Blob, a slice at a time, so a File of
 * hundreds of MB is never in memory whole. It reads the central directory
 * (found through the end-of-central-directory record) for each entry's name,
 * sizes and CRC-32, then streams an entry's data, inflating deflated entries
 * with fflate, and checks its size and CRC-32 at the end.
 *
 * Only what opfs-log archives need: one disk, no zip64, no encryption,
 * entries stored or deflated. Everything else rejects `Corrupted` with a
 * message that says what is wrong. (PKWARE APPNOTE.TXT, sections 4.3 and 4.4.)
 */
import { LogError, toLogError } from '../errors.ts';
import { Crc32 } from '../codec/crc32.ts';

const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_HEADER_SIZE = 46;
const END_SIGNATURE = 0x06054b50;
const END_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const MAX_COMMENT_SIZE = 0xffff;
const FLAG_ENCRYPTED = 0x1;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
/** A central directory larger than this is not one of ours (ours list a few entries per segment). */
const MAX_CENTRAL_DIRECTORY_SIZE = 64 * 1024 * 1024;
/** Bytes read from the Blob at a time. */
export const READ_CHUNK_SIZE = 1024 * 1024;

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the local header starts. */
  localOffset: number;
  /** Where the entry's (compressed) data starts, after the local header. */
  dataStart: number;
}

export interface ZipDirectory {
  entries: Map<string, ZipEntry>;
}

/**
 * Bytes [start, end) of `blob`. A read failure is no proof of damage: a file
 * that vanished is `NotFound`, one that changed on disk (`NotReadableError`) `Internal`.
 */
export async function readBytes(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  try {
    return new Uint8Array(await blob.slice(start, end).arrayBuffer());
  } catch (err) {
    throw toLogError(err, 'reading the archive');
  }
}

function corrupted(label: string, what: string): LogError {
  return new LogError('Corrupted', `${label}: ${what}`);
}

/** Reads the central directory of the zip in `blob`. `label` names the archive in errors. */
export async function readZipDirectory(blob: Blob, label: string): Promise<ZipDirectory> {
  if (blob.size < END_SIZE) {
    throw corrupted(label, `not a zip archive (${blob.size} bytes is too short for one)`);
  }
  const tailStart = Math.max(0, blob.size - END_SIZE - MAX_COMMENT_SIZE);
  const tail = await readBytes(blob, tailStart, blob.size);
  const tailView = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = -1;
  for (let i = tail.length - END_SIZE; i >= 0; i--) {
    if (
      tailView.getUint32(i, true) === END_SIGNATURE &&
      i + END_SIZE + tailView.getUint16(i + 20, true) === tail.length
    ) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const head = await readBytes(blob, 0, 4);
    const looksLikeZip = head.length === 4 && new DataView(head.buffer).getUint32(0, true) === LOCAL_SIGNATURE;
    throw corrupted(
      label,
      looksLikeZip
        ? 'the zip archive is truncated or damaged: its end-of-central-directory record is missing'
        : 'not a zip archive',
    );
  }
  const endOffset = tailStart + at;
  if (at >= ZIP64_LOCATOR_SIZE && tailView.getUint32(at - ZIP64_LOCATOR_SIZE, true) === ZIP64_LOCATOR_SIGNATURE) {
    throw corrupted(label, 'zip64 archives are not supported');
  }
  const disk = tailView.getUint16(at + 4, true);
  const directoryDisk = tailView.getUint16(at + 6, true);
  const entriesOnDisk = tailView.getUint16(at + 8, true);
  const entryCount = tailView.getUint16(at + 10, true);
  const directorySize = tailView.getUint32(at + 12, true);
  const directoryOffset = tailView.getUint32(at + 16, true);
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entryCount) {
    throw corrupted(label, 'multi-disk zip archives are not supported');
  }
  if (directoryOffset + directorySize > endOffset || directorySize > MAX_CENTRAL_DIRECTORY_SIZE) {
    throw corrupted(label, 'the zip central directory lies outside the file: the archive is truncated or damaged');
  }
  const directory = await readBytes(blob, directoryOffset, directoryOffset + directorySize);
  const entries = parseCentralDirectory(directory, entryCount, directoryOffset, label);
  for (const entry of entries.values()) await locateData(blob, entry, directoryOffset, label);
  return { entries };
}

function parseCentralDirectory(
  bytes: Uint8Array,
  count: number,
  directoryOffset: number,
  label: string,
): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const names = new TextDecoder('utf-8', { fatal: true });
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + CENTRAL_HEADER_SIZE > bytes.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw corrupted(label, `the zip central directory is damaged at entry ${n}`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const end = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (end > bytes.length) throw corrupted(label, `the zip central directory is damaged at entry ${n}`);
    let name: string;
    try {
      name = names.decode(bytes.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength));
    } catch {
      throw corrupted(label, `zip entry ${n} has a name that is not UTF-8`);
    }
    if (flags & FLAG_ENCRYPTED) throw corrupted(label, `zip entry ${name} is encrypted`);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      throw corrupted(
        label,
        `zip entry ${name} uses compression method ${method}; only stored and deflated entries are read`,
      );
    }
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      throw corrupted(label, `zip entry ${name} needs zip64, which is not supported`);
    }
    if (method === METHOD_STORED && compressedSize !== size) {
      throw corrupted(label, `zip entry ${name} is stored but its sizes differ (${compressedSize} and ${size})`);
    }
    if (localOffset >= directoryOffset) throw corrupted(label, `zip entry ${name} starts outside the archive's data`);
    if (entries.has(name)) throw corrupted(label, `the zip archive holds ${name} twice`);
    entries.set(name, { name, method, crc32, compressedSize, size, localOffset, dataStart: -1 });
    at = end;
  }
  return entries;
}

/** Reads an entry's local header to find where its data starts. */
async function locateData(blob: Blob, entry: ZipEntry, directoryOffset: number, label: string): Promise<void> {
  const header = await readBytes(blob, entry.localOffset, entry.localOffset + LOCAL_HEADER_SIZE);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < LOCAL_HEADER_SIZE || view.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw corrupted(label, `the local header of zip entry ${entry.name} is damaged`);
  }
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const nameStart = entry.localOffset + LOCAL_HEADER_SIZE;
  const name = await readBytes(blob, nameStart, nameStart + nameLength);
  if (new TextDecoder().decode(name) !== entry.name) {
    throw corrupted(label, `the local header of zip entry ${entry.name} names another file`);
  }
  entry.dataStart = nameStart + nameLength + extraLength;
  if (entry.dataStart + entry.compressedSize > directoryOffset) {
    throw corrupted(label, `zip entry ${entry.name} runs past the archive's data: the archive is truncated or damaged`);
  }
}

/**
 * The uncompressed bytes of `entry`, chunk by chunk. After the last chunk it
 * checks the entry's size and CRC-32 and throws `Corrupted` if either is
 * wrong, so read every chunk before trusting any.
 */
export async function* entryChunks(blob: Blob, entry: ZipEntry, label: string): AsyncGenerator<Uint8Array> {
  const crc = new Crc32();
  let total = 0;
  const damaged = (what: string) => corrupted(label, `${entry.name} ${what}: the archive is damaged`);
  const end = entry.dataStart + entry.compressedSize;
  if (entry.method === METHOD_STORED) {
    for (let at = entry.dataStart; at < end; at += READ_CHUNK_SIZE) {
      const chunk = await readBytes(blob, at, Math.min(end, at + READ_CHUNK_SIZE));
      crc.update(chunk);
      total += chunk.length;
      yield chunk;
    }
  } else {
    let out: Uint8Array[] = [];
    let finished = false;
    // Loaded here, not with the module: fflate builds its tables as it loads, ~6 ms of a fresh worker's start.
    const { Inflate } = await import('./inflate.ts');
    const inflate = new Inflate((chunk, final) => {
      out.push(chunk);
      if (final) finished = true;
    });
    for (let at = entry.dataStart; ; at += READ_CHUNK_SIZE) {
      const stop = Math.min(end, at + READ_CHUNK_SIZE);
      const last = stop >= end;
      const chunk = await readBytes(blob, at, stop);
      try {
        inflate.push(chunk, last);
      } catch {
        throw damaged('does not inflate');
      }
      for (const piece of out) {
        crc.update(piece);
        total += piece.length;
        if (total > entry.size) throw damaged(`inflates to more than its ${entry.size} bytes`);
        yield piece;
      }
      out = [];
      if (last) break;
    }
    if (!finished) throw damaged('ends before its compressed data does');
  }
  if (total !== entry.size) throw damaged(`holds ${total} bytes, not ${entry.size}`);
  if (crc.value !== entry.crc32) throw damaged('fails its CRC-32 check');
}
