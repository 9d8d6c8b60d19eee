/**
 * The archive format: which entries a `.zip` made by `exportArchive` holds,
 * and its `manifest.json`.
 *
 *   segments/%020d.log   each segment file, byte for byte, up to the snapshot
 *   indexes/%020d.idx    its index: an INDEX_FILE_HEADER_SIZE header, then one
 *                        row per message (indexes/rows.ts)
 *   manifest.json        format, version, the log's next offset and options,
 *                        and every file's size and CRC-32 (written last)
 *
 * Entries are stored, not compressed. A reader takes stored or deflated
 * entries (a person may re-zip the files) but nothing else: any other entry
 * makes the archive foreign.
 *
 * Index file header (little-endian):
 *   0 magic u32 · 4 version u16 · 6 row size u16 · 8 base offset u64 · 16 rows u32 · 20 reserved u32
 */
import { LogError } from '../errors.ts';
import { SEGMENT_HEADER_SIZE } from '../codec/segment-header.ts';
import { getU64, setU64, TWO_32 } from '../codec/u64.ts';
import { INDEX_ROW_SIZE } from '../indexes/rows.ts';
import { offsetFileName, segmentName } from '../segment/names.ts';
import type { ArchiveInfo } from '../types.ts';

export const ARCHIVE_FORMAT = 'opfs-log-archive';
export const ARCHIVE_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';
export const SEGMENTS_DIR = 'segments/';
export const INDEXES_DIR = 'indexes/';
/** The manifest is read whole; anything larger is not one of ours. */
export const MAX_MANIFEST_SIZE = 16 * 1024 * 1024;

export const INDEX_FILE_MAGIC = 0x58504c4f; // "OLPX"
export const INDEX_FILE_VERSION = 1;
export const IDX_MAGIC = 0;
export const IDX_VERSION = 4;
export const IDX_ROW_SIZE = 6;
export const IDX_BASE = 8;
export const IDX_ROWS = 16;
/** Bytes [20, 24) are reserved, written 0. */
export const INDEX_FILE_HEADER_SIZE = 24;
const INDEX_FILE_SUFFIX = '.idx';

/** A file of the archive as the manifest lists it. */
export interface ManifestFile {
  name: string;
  size: number;
  /** CRC-32 (IEEE, as zip uses) of the file's bytes. */
  crc32: number;
}

export interface ManifestSegment {
  base: number;
  /** The incarnation in the segment file's header (its index records name it). */
  incarnation: number;
  messages: number;
  log: ManifestFile;
  index: ManifestFile;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  /** ISO 8601 time of the export. */
  createdAt: string;
  /** The dir of the exported log. */
  dir: string;
  nextOffset: number;
  options: { keyIndex: boolean; timeIndex: boolean; rollover: number };
  messages: number;
  segments: ManifestSegment[];
}

export function segmentEntryName(base: number): string {
  return SEGMENTS_DIR + segmentName(base);
}

export function indexEntryName(base: number): string {
  return INDEXES_DIR + offsetFileName(base, INDEX_FILE_SUFFIX);
}

export function encodeIndexFileHeader(base: number, rows: number): Uint8Array {
  const bytes = new Uint8Array(INDEX_FILE_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(IDX_MAGIC, INDEX_FILE_MAGIC, true);
  view.setUint16(IDX_VERSION, INDEX_FILE_VERSION, true);
  view.setUint16(IDX_ROW_SIZE, INDEX_ROW_SIZE, true);
  setU64(view, IDX_BASE, base);
  view.setUint32(IDX_ROWS, rows, true);
  return bytes;
}

/** Checks an index file header; returns what is wrong with it, or null. */
export function checkIndexFileHeader(bytes: Uint8Array, base: number, rows: number): string | null {
  if (bytes.length < INDEX_FILE_HEADER_SIZE) return 'is shorter than its header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, INDEX_FILE_HEADER_SIZE);
  if (view.getUint32(IDX_MAGIC, true) !== INDEX_FILE_MAGIC) return 'is not an opfs-log index (bad magic)';
  const version = view.getUint16(IDX_VERSION, true);
  if (version !== INDEX_FILE_VERSION) return `has index version ${version}, not ${INDEX_FILE_VERSION}`;
  const rowSize = view.getUint16(IDX_ROW_SIZE, true);
  if (rowSize !== INDEX_ROW_SIZE) return `has ${rowSize}-byte rows, not ${INDEX_ROW_SIZE}`;
  const storedBase = getU64(view, IDX_BASE);
  if (storedBase !== base) return `says base offset ${storedBase}, not ${base}`;
  const storedRows = view.getUint32(IDX_ROWS, true);
  if (storedRows !== rows) return `holds ${storedRows} rows, the manifest says ${rows}`;
  return null;
}

export function indexFileSize(rows: number): number {
  return INDEX_FILE_HEADER_SIZE + rows * INDEX_ROW_SIZE;
}

export function encodeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** What the manifest says about the archive, in the public form. */
export function archiveInfo(m: Manifest): ArchiveInfo {
  return {
    dir: m.dir,
    createdAt: Date.parse(m.createdAt),
    nextOffset: m.nextOffset,
    messages: m.messages,
    segments: m.segments.length,
    options: { ...m.options },
  };
}

function corrupted(what: string): LogError {
  return new LogError('Corrupted', `${MANIFEST_NAME}: ${what}`);
}

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupted(`${what} is not an object`);
  return v as Json;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw corrupted(`${what} is not a non-negative integer`);
  return v;
}

function u32(v: unknown, what: string): number {
  const n = count(v, what);
  if (n >= TWO_32) throw corrupted(`${what} is not a 32-bit number`);
  return n;
}

function flag(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw corrupted(`${what} is not true or false`);
  return v;
}

function file(v: unknown, what: string, name: string): ManifestFile {
  const o = object(v, what);
  if (o.name !== name) throw corrupted(`${what}.name is ${JSON.stringify(o.name)}, expected ${JSON.stringify(name)}`);
  return { name, size: count(o.size, `${what}.size`), crc32: u32(o.crc32, `${what}.crc32`) };
}

/**
 * Parses and checks `manifest.json`: a known format and version, and a
 * consistent list of segments. Anything else rejects `Corrupted`.
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw corrupted('is not valid UTF-8 JSON');
  }
  const o = object(json, 'the manifest');
  if (o.format !== ARCHIVE_FORMAT)
    throw corrupted(`is not an opfs-log archive manifest (format ${JSON.stringify(o.format)})`);
  const version = count(o.version, 'version');
  if (version !== ARCHIVE_VERSION) {
    throw corrupted(
      `archive format version ${version} is not supported (this opfs-log reads version ${ARCHIVE_VERSION})`,
    );
  }
  if (typeof o.createdAt !== 'string' || Number.isNaN(Date.parse(o.createdAt)))
    throw corrupted('createdAt is not a date');
  if (typeof o.dir !== 'string') throw corrupted('dir is not a string');
  const opts = object(o.options, 'options');
  const options = {
    keyIndex: flag(opts.keyIndex, 'options.keyIndex'),
    timeIndex: flag(opts.timeIndex, 'options.timeIndex'),
    rollover: count(opts.rollover, 'options.rollover'),
  };
  if (!Array.isArray(o.segments)) throw corrupted('segments is not a list');
  let previous = -1;
  let messages = 0;
  const segments = o.segments.map((v: unknown, i: number): ManifestSegment => {
    const s = object(v, `segments[${i}]`);
    const base = count(s.base, `segments[${i}].base`);
    if (base <= previous)
      throw corrupted(`segments[${i}].base ${base} is not after the previous segment's ${previous}`);
    previous = base;
    const n = count(s.messages, `segments[${i}].messages`);
    messages += n;
    const seg: ManifestSegment = {
      base,
      incarnation: u32(s.incarnation, `segments[${i}].incarnation`),
      messages: n,
      log: file(s.log, `segments[${i}].log`, segmentEntryName(base)),
      index: file(s.index, `segments[${i}].index`, indexEntryName(base)),
    };
    if (seg.log.size < SEGMENT_HEADER_SIZE)
      throw corrupted(`${seg.log.name} is listed with ${seg.log.size} bytes, less than a segment header`);
    if (seg.index.size !== indexFileSize(n)) {
      throw corrupted(
        `${seg.index.name} is listed with ${seg.index.size} bytes, ${indexFileSize(n)} expected for ${n} messages`,
      );
    }
    return seg;
  });
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT,
    version,
    createdAt: o.createdAt,
    dir: o.dir,
    nextOffset: count(o.nextOffset, 'nextOffset'),
    options,
    messages: count(o.messages, 'messages'),
    segments,
  };
  if (manifest.messages !== messages)
    throw corrupted(`says ${manifest.messages} messages, its segments hold ${messages}`);
  return manifest;
}
