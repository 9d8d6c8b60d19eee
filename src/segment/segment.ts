/**
 * A segment: one file of consecutive records, named by the offset it starts
 * at (`%020d.log`, so sorting names sorts offsets), with its in-memory index.
 *
 * File header (SEGMENT_HEADER_SIZE bytes, little-endian):
 *   0 magic u32 · 4 version u16 · 6 flags u16 · 8 base offset u64
 *   16 incarnation u32 (random per file written, ties IndexedDB records to it)
 *   20 crc32c u32 of bytes [0, 20)
 */
import { LogError } from '../errors.ts';
import { crc32c } from '../codec/crc32.ts';
import { keyHash } from '../codec/hash.ts';
import { readRecord, verifyRecords, type RecordView } from '../codec/record.ts';
import { SegmentIndex } from '../indexes/segment-index.ts';
import type { SegmentRecord } from '../indexes/store.ts';
import type { Directory, StoredFile } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';

export const SEGMENT_MAGIC = 0x474c504f; // "OPLG"
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 24;
const SEGMENT_SUFFIX = '.log';
const NAME_PATTERN = /^(\d{20})\.log$/;
const TWO_32 = 2 ** 32;

export function segmentName(base: number): string {
  return String(base).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** The base offset a segment file name stands for, or null for other files. */
export function parseSegmentName(name: string): number | null {
  const m = NAME_PATTERN.exec(name);
  return m ? Number(m[1]) : null;
}

function encodeHeader(base: number, incarnation: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint16(4, SEGMENT_VERSION, true);
  view.setUint32(8, base >>> 0, true);
  view.setUint32(12, Math.floor(base / TWO_32), true);
  view.setUint32(16, incarnation, true);
  view.setUint32(20, crc32c(bytes, 0, 20), true);
  return bytes;
}

/** The header's incarnation, or null if the bytes are not a valid header for `base`. */
export function decodeHeader(bytes: Uint8Array, base: number): number | null {
  if (bytes.length < SEGMENT_HEADER_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return null;
  if (view.getUint16(4, true) !== SEGMENT_VERSION) return null;
  if (view.getUint32(20, true) !== crc32c(bytes, 0, 20)) return null;
  const storedBase = view.getUint32(8, true) + view.getUint32(12, true) * TWO_32;
  return storedBase === base ? view.getUint32(16, true) : null;
}

/** Empties an open file down to a fresh header: a new segment, or a head whose header was torn. */
async function startFile(file: StoredFile, base: number, incarnation: number): Promise<void> {
  await file.truncate(0);
  await file.write(encodeHeader(base, incarnation), 0);
  await file.flush();
}

export function newIncarnation(): number {
  return (Math.random() * TWO_32) >>> 0;
}

/** What a scan found: where the last whole batch ends, and whether bytes follow it. */
export interface ScanResult {
  committedEnd: number;
  damaged: boolean;
}

export class Segment {
  private constructor(
    readonly name: string,
    readonly base: number,
    readonly file: StoredFile,
    public index: SegmentIndex,
    public incarnation: number,
    /** Bytes of whole batches; the file may be longer only after a failed write, until recovery. */
    public size: number,
  ) {}

  /** Creates an empty segment file (header only) and flushes it. */
  static async create(dir: Directory, base: number): Promise<Segment> {
    const name = segmentName(base);
    const file = await dir.openFile(name, { create: true, readonly: false });
    const incarnation = newIncarnation();
    try {
      await startFile(file, base, incarnation);
    } catch (err) {
      await file.close();
      await dir.remove(name);
      throw err;
    }
    return new Segment(name, base, file, new SegmentIndex(base), incarnation, SEGMENT_HEADER_SIZE);
  }

  /**
   * Opens an existing segment file and builds its index: from `record` when
   * it matches the file (then only bytes past it are scanned), else by
   * scanning every record. `prevMaxTime` continues the running time maximum.
   * Returns the segment and the scan of its unindexed tail.
   */
  static async load(
    dir: Directory, name: string, readonly: boolean,
    record: SegmentRecord | undefined, prevMaxTime: number,
  ): Promise<{ segment: Segment; scan: ScanResult; fromRecord: boolean }> {
    const opened = await Segment.openFile(dir, name, readonly);
    try {
      return { ...(await opened.index(record, prevMaxTime)), segment: opened.segment };
    } catch (err) {
      await opened.segment.file.close();
      throw err;
    }
  }

  /**
   * The first half of `load`, which needs nothing from other segments, so a
   * log opens all its files at once: the file, its size and its header.
   * The second half, `index`, runs segment after segment.
   */
  static async openFile(dir: Directory, name: string, readonly: boolean) {
    const base = parseSegmentName(name);
    if (base === null) throw new Error(`not a segment name: ${name}`);
    const file = await dir.openFile(name, { create: false, readonly });
    try {
      const [fileSize, header] = await Promise.all([file.size(), file.read(0, SEGMENT_HEADER_SIZE)]);
      const incarnation = decodeHeader(header, base);
      const segment = new Segment(name, base, file, new SegmentIndex(base), incarnation ?? 0, 0);
      return {
        segment,
        /** Builds the index; a header that is not valid leaves the segment empty, with size 0. */
        index: async (record: SegmentRecord | undefined, prevMaxTime: number) => {
          if (incarnation === null) return { scan: { committedEnd: 0, damaged: fileSize > 0 }, fromRecord: false };
          const usable = record !== undefined && record.incarnation === incarnation && record.size <= fileSize;
          if (usable) segment.index = SegmentIndex.unpack(base, record);
          const from = usable ? record.size : SEGMENT_HEADER_SIZE;
          segment.size = from;
          const scan = await segment.scan(from, fileSize, usable ? segment.index.maxTime : prevMaxTime);
          segment.size = scan.committedEnd;
          return { scan, fromRecord: usable };
        },
      };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /**
   * Indexes the records in [from, end). Only whole batches count: records of
   * a batch whose last record is missing are left out, and so is anything
   * after the first record that fails its checksum or framing.
   */
  async scan(from: number, end: number, prevMaxTime: number): Promise<ScanResult> {
    if (from >= end) return { committedEnd: from, damaged: false };
    const bytes = await this.file.read(from, end - from);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = this.index;
    let maxTime = Math.max(prevMaxTime, index.maxTime);
    let lastOffset = index.count > 0 ? index.lastOffset : this.base - 1;
    let committed = 0;
    let committedCount = index.count;
    let expectLeft = -1;
    let at = 0;
    while (at < bytes.length) {
      const r = readRecord(bytes, view, at, bytes.length);
      if (!r || r.offset <= lastOffset || (expectLeft >= 0 && r.batchLeft !== expectLeft)) break;
      maxTime = Math.max(maxTime, r.timeUs);
      index.append(r.offset, from + at, maxTime, keyHash(bytes, r.keyStart, r.keyStart + r.keyLen));
      lastOffset = r.offset;
      at += r.size;
      if (r.batchLeft === 0) {
        committed = at;
        committedCount = index.count;
        expectLeft = -1;
      } else {
        expectLeft = r.batchLeft - 1;
      }
    }
    index.truncate(committedCount);
    return { committedEnd: from + committed, damaged: committed < bytes.length };
  }

  /** The incarnation in the file's header now, or null if it has none (gone, torn, another base). */
  async currentIncarnation(): Promise<number | null> {
    try {
      return decodeHeader(await this.file.read(0, SEGMENT_HEADER_SIZE), this.base);
    } catch {
      return null;
    }
  }

  /** Bytes [start, end) of the file; a short read means the file lost data. */
  async read(start: number, end: number): Promise<Uint8Array> {
    const bytes = await this.file.read(start, end - start);
    if (bytes.length !== end - start) {
      throw new LogError('Corrupted', `${this.name}: expected ${end - start} bytes at ${start}, file ends after ${bytes.length}`);
    }
    return bytes;
  }

  /** End of the record at index entry `i` is where the next one starts. */
  endOf(i: number): number {
    return i + 1 < this.index.count ? this.index.positionAt(i + 1) : this.size;
  }

  /** The checked bytes of entries [from, to) of the index. */
  async readEntries(from: number, to: number): Promise<Uint8Array> {
    const start = this.index.positionAt(from);
    const bytes = await this.read(start, this.endOf(to - 1));
    this.verify(bytes, start, from, to - from);
    return bytes;
  }

  /** Reads one record by index entry, verified; returns the bytes and its view. */
  async readRecordAt(i: number): Promise<{ bytes: Uint8Array; record: RecordView }> {
    const bytes = await this.readEntries(i, i + 1);
    const record = readRecord(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length, false);
    return { bytes, record: record! };
  }

  /**
   * Checks that `bytes` (read at `start`) hold the `count` intact records of
   * index entries from `from` on, each with the offset the index says. Every
   * read runs this, so a file that changed under its index (a readonly log's
   * writer rewrote it) fails here instead of answering with another message.
   */
  private verify(bytes: Uint8Array, start: number, from: number, count: number): void {
    const at = verifyRecords(bytes, count, (k) => this.index.offsetAt(from + k));
    if (at >= 0) throw new LogError('Corrupted', `${this.name}: damaged record at byte ${start + at}`);
  }

  /**
   * Appends encoded records and their index entries. All or nothing: if the
   * write fails half-way the file is cut back to where it was.
   */
  async append(bytes: Uint8Array, entries: { offset: number; at: number; timeUs: number; hash: number }[]): Promise<void> {
    const start = this.size;
    try {
      await this.file.write(bytes, start);
    } catch (err) {
      await this.file.truncate(start).catch(() => undefined);
      throw err;
    }
    for (const e of entries) this.index.append(e.offset, start + e.at, e.timeUs, e.hash);
    this.size = start + bytes.length;
  }

  /** The IndexedDB record that describes this segment as it is now. */
  record(dir: string): SegmentRecord {
    return { dir, base: this.base, incarnation: this.incarnation, size: this.size, ...this.index.pack() };
  }

  /** Rewrites the header of a segment whose header was torn (an empty head). */
  async reset(): Promise<void> {
    this.incarnation = newIncarnation();
    await startFile(this.file, this.base, this.incarnation);
    this.index = new SegmentIndex(this.base);
    this.size = SEGMENT_HEADER_SIZE;
  }

  /** Writes a new segment file `name` holding `records` (whole encoded records). */
  static async writeFile(dir: Directory, name: string, base: number, records: Uint8Array): Promise<void> {
    await writeWholeFile(dir, name, [encodeHeader(base, newIncarnation()), records]);
  }
}
