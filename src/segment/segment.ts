/**
 * A segment: one file of consecutive records, named by the offset it starts
 * at (`%020d.log`, so sorting names sorts offsets; segment/names.ts), with
 * its in-memory index. The file starts with a header (codec/segment-header.ts).
 */
import { LogError } from '../errors.ts';
import { keyHash } from '../codec/hash.ts';
import { readRecord, verifyRecords, type RecordView } from '../codec/record.ts';
import { scanBatches } from '../codec/batches.ts';
import { encodeIndexRows } from '../indexes/rows.ts';
import { KeyFilterSlot } from '../indexes/key-filters.ts';
import { SegmentIndex } from '../indexes/segment-index.ts';
import type { SavedIndex, SegmentRecord, SegmentSummary } from '../indexes/store.ts';
import type { Directory, StoredFile } from '../storage/files.ts';
import type { FilePool, PooledFile } from './file-pool.ts';
import type { LazyIndex } from './lazy-index.ts';
import type { DroppableIndex, LoadedIndexes } from './loaded-indexes.ts';
import { writeWholeFile } from '../storage/write-file.ts';
import {
  decodeSegmentHeader as decodeHeader,
  encodeSegmentHeader as encodeHeader,
  newIncarnation,
  SEGMENT_HEADER_SIZE,
} from '../codec/segment-header.ts';
import { parseSegmentName, segmentName } from './names.ts';

export { SEGMENT_HEADER_SIZE } from '../codec/segment-header.ts';
export { parseSegmentName, segmentName } from './names.ts';
export type { LazyIndex } from './lazy-index.ts';

/** What a scan found: where the last whole batch ends, and whether bytes follow it. */
export interface ScanResult {
  committedEnd: number;
  damaged: boolean;
}

/** What building a segment's index found (see `OpenedSegment.buildIndex`). */
export interface IndexBuild {
  /** The scan of the bytes the record did not cover (all of them without a usable record). */
  scan: ScanResult;
  /** Whether the index began from the IndexedDB record. */
  fromRecord: boolean;
}

/** The index entry of a record about to be appended: `at` is its place in the appended bytes. */
export interface AppendedEntry {
  offset: number;
  at: number;
  /** The running time maximum up to this record (klevdb's rule: indexed times never fall). */
  timeUs: number;
  hash: number;
}

/** A segment file opened with its header read, its index not built yet (see `Segment.openFile`). */
export interface OpenedSegment {
  segment: Segment;
  /**
   * Builds the index: from `record` when it matches the file (then only
   * bytes past it are scanned), else by scanning every record. A header that
   * is not valid leaves the segment empty, with size 0.
   */
  buildIndex(record: SegmentRecord | undefined, prevMaxTime: number): Promise<IndexBuild>;
}

/**
 * The largest unverified stretch a writer's first read of a segment checks
 * whole (then no later read of it pays for a checksum); a read beyond that
 * checks only its own records.
 */
const VERIFY_AHEAD = 2 * 1024 * 1024;

/**
 * A segment owns its file, its index and its size: the engine asks it
 * questions and changes it only through the methods below, so the index
 * always describes the bytes of this one file.
 *
 * Every record read is verified (checksum, and the offset the index names)
 * before it is returned, as klevdb does, but a writer verifies each byte once:
 * it holds the file's only sync access handle, so nothing else changes the
 * file while it is open, and what it wrote itself or verified stays verified
 * (`verifiedEnd`). A readonly log's writer may rewrite the file under it at
 * any time: it verifies every read.
 */
export class Segment implements DroppableIndex {
  /** Records in [header, verifiedEnd) were written or verified through this handle (a writer's only). */
  private verifiedEnd = SEGMENT_HEADER_SIZE;
  /** A whole-segment check found damage: later reads check only their own records. */
  private damagedAhead = false;
  /** A read past `verifiedEnd` came before (see `verifyAhead`). */
  private readPast = false;
  /**
   * Opened from its IndexedDB summary alone and not opened since: its file
   * must then be exactly the size the summary says (see `checkOpened`).
   */
  private trustedSummary = false;
  /**
   * A segment opened from its summary, or whose index was dropped: what it
   * holds while its index is not loaded, its key filter once read (null: it
   * has none), and how to load the index.
   */
  private lazy: { summary: Omit<SegmentSummary, 'dir'>; keys?: KeyFilterSlot | null; hooks: LazyIndex } | null = null;
  private loading: Promise<void> | null = null;
  private indexData: SegmentIndex | null;
  /** Snapshots that read this index without loading it (`pinIndex`): it is not dropped meanwhile. */
  private indexPins = 0;
  /** A readonly log's segment its writer rolled past (`rolledPast`). */
  private rolledOver = false;
  private closed = false;

  private constructor(
    readonly name: string,
    readonly base: number,
    private readonly file: PooledFile,
    index: SegmentIndex | null,
    private headerIncarnation: number,
    /** Bytes of whole batches; the file may be longer only after a failed write, until recovery. */
    private committedSize: number,
    /** Whether this handle is the file's only writer (not readonly): see `verifiedEnd`. */
    private readonly trusted: boolean,
    /** The log's bound on loaded indexes, which counts this one's while it is sealed and loaded. */
    private readonly indexes: LoadedIndexes,
  ) {
    this.indexData = index;
  }

  /** The index, which every method below that reads it needs loaded (`loadIndex`). */
  private get index(): SegmentIndex {
    if (!this.indexData) throw new LogError('Internal', `${this.name}: its index is not loaded yet`);
    return this.indexData;
  }

  /** The random number in the file's header when it was opened or started (IndexedDB records name it). */
  get incarnation(): number {
    return this.headerIncarnation;
  }

  /** Bytes of whole batches: where the next append goes. */
  get size(): number {
    return this.committedSize;
  }

  /** Messages indexed. */
  get count(): number {
    return this.indexData?.count ?? this.lazy!.summary.count;
  }

  /** Offset of the first message (the segment holds at least one). */
  get firstOffset(): number {
    return this.indexData?.firstOffset ?? this.lazy!.summary.firstOffset;
  }

  /** Offset of the last message (the segment holds at least one). */
  get lastOffset(): number {
    return this.indexData?.lastOffset ?? this.lazy!.summary.lastOffset;
  }

  /** Largest indexed time, or -Infinity when empty. */
  get maxTime(): number {
    return this.indexData?.maxTime ?? this.lazy!.summary.maxTime;
  }

  /**
   * Loads the index of a segment opened from its summary (`fromSummary`):
   * from its IndexedDB record if that describes the same file, else by
   * scanning the file, which must then hold what the summary says. Every
   * method that reads the index needs it loaded; count, offsets and times
   * above do not.
   */
  async loadIndex(): Promise<void> {
    if (!this.indexData) {
      this.loading ??= this.fetchIndex().finally(() => {
        this.loading = null;
      });
      await this.loading;
    }
    // Counted only once loaded, and kept for the running call from here on (see LoadedIndexes).
    if (this.sealedForGood) this.indexes.touched(this);
  }

  /**
   * `loadIndex` for a read of this segment that follows at once. An index
   * not in memory most likely means a closed file too (the pool keeps fewer
   * files than a large log has segments), so the file opens while the index
   * loads rather than after it: a millisecond or so each at 10M messages
   * (bench/findings.md). Both are done when this returns, so no open
   * outlives the call that asked for it. The index's failure rejects; the
   * open's is left for the read, which opens again and reports it.
   */
  async loadIndexToRead(): Promise<void> {
    if (this.indexData) return this.loadIndex();
    const [index] = await Promise.allSettled([this.loadIndex(), this.file.openNow()]);
    if (index.status === 'rejected') throw index.reason;
  }

  /** Whether the index is in memory now. */
  get indexLoaded(): boolean {
    return this.indexData !== null;
  }

  /** Bytes of memory the index holds now (0 while not loaded). */
  get indexBytes(): number {
    return this.indexData?.bytes ?? 0;
  }

  /**
   * Whether the segment will not change: a writer's every segment but its
   * head, a readonly log's only if opened from a summary (any other may be
   * its writer's head, growing under it). Only such an index may be dropped.
   */
  private get sealedForGood(): boolean {
    return !this.closed && (this.trusted ? !this.file.pinned : this.lazy !== null || this.rolledOver);
  }

  /**
   * A readonly log's segment that its writer rolled past (a later segment
   * file is there): it grows no more, so its index may be dropped as a
   * sealed one's is. Without this, a reader that follows a writer for long
   * kept every index it caught up with.
   */
  rolledPast(): void {
    if (this.trusted || this.rolledOver) return;
    this.rolledOver = true;
    if (this.sealedForGood && this.indexData) this.indexes.touched(this);
  }

  /**
   * Drops the index (the bound on loaded indexes asks, see LoadedIndexes):
   * the next `loadIndex` loads it again as the first load did. A segment the
   * writer sealed itself has no summary: it keeps its own, and its key
   * filter (2-4 bytes a message), so a key lookup still skips it unloaded.
   * False, and nothing dropped, while a snapshot reads it, or where it could
   * not be loaded again.
   */
  dropIndex(): boolean {
    const index = this.indexData;
    if (!index || !this.sealedForGood || this.indexPins > 0) return false;
    if (!this.lazy) {
      const hooks = this.indexes.reload?.(this.base);
      if (!hooks) return false;
      const file = { base: this.base, incarnation: this.incarnation, size: this.size };
      this.lazy = { summary: index.summary(file), keys: new KeyFilterSlot(index.keyFilter()), hooks };
    }
    this.indexData = null;
    return true;
  }

  /** The running call is done with this index: it may be dropped before the call ends (a walk over many segments). */
  doneWithIndex(): void {
    this.indexes.release(this);
  }

  /** A snapshot reads this index from now on, loaded, until `unpinIndex`: it is not dropped meanwhile. */
  pinIndex(): void {
    this.indexPins++;
  }

  unpinIndex(): void {
    this.indexPins--;
  }

  private async fetchIndex(): Promise<void> {
    const { summary, hooks } = this.lazy!;
    const record = await hooks.record();
    if (record?.incarnation === summary.incarnation && record.size === summary.size && record.count === summary.count) {
      this.indexData = SegmentIndex.unpack(this.base, record);
      return;
    }
    // No record of this file (lost, or another version of opfs-log rewrote it): the file is the truth.
    const fileSize = await this.file.size(); // opens it, checked against the summary
    this.indexData = new SegmentIndex(this.base);
    this.committedSize = SEGMENT_HEADER_SIZE;
    const scan = await this.scan(SEGMENT_HEADER_SIZE, fileSize, summary.firstTime);
    this.committedSize = scan.committedEnd;
    if (!scan.damaged && this.count === summary.count && this.size === summary.size) {
      hooks.rebuilt(this);
      return;
    }
    this.indexData = null;
    this.committedSize = summary.size;
    hooks.changed();
    throw new LogError(
      'Corrupted',
      `${this.name}: damaged, or not the file its summary describes (it changed while closed)`,
    );
  }

  /**
   * False if no message here has key hash `hash`, as the segment's saved key
   * filter tells without loading the index; else loads the index (if not
   * loaded) and says true. A sealed segment without a filter (sealed by a
   * version of opfs-log that saved none of this kind) gets one saved then.
   */
  async mayHoldKey(hash: number): Promise<boolean> {
    const lazy = this.lazy;
    if (lazy && lazy.keys === undefined) {
      const filter = await lazy.hooks.filter();
      const own = filter?.incarnation === lazy.summary.incarnation;
      lazy.keys = own ? new KeyFilterSlot(new Uint32Array(filter.bloom)) : null;
      if (lazy.keys === null) {
        await this.loadIndex();
        lazy.hooks.rebuilt(this);
      }
    }
    if (this.lacksKey(hash)) return false;
    await this.loadIndex();
    return true;
  }

  /** True if the key filter, already read, says no message here has key hash `hash`. */
  private lacksKey(hash: number): boolean {
    // Also once the index is loaded: the saved filter describes the same sealed file, and lets fewer through.
    return this.lazy?.keys?.lacks(hash) ?? false;
  }

  /**
   * The saved key filter, once read (`mayHoldKey`); null before, or if the
   * segment has none. A key lookup's walk over thousands of segments asks
   * these first, without waiting on anything (indexes/key-filters.ts).
   */
  get keyFilter(): KeyFilterSlot | null {
    return this.lazy?.keys ?? null;
  }

  /** Entries whose key hash is `hash`, newest first. */
  async entriesWithHash(hash: number): Promise<number[]> {
    return (await this.mayHoldKey(hash)) ? this.index.withHash(hash) : [];
  }

  offsetAt(i: number): number {
    return this.index.offsetAt(i);
  }

  hashAt(i: number): number {
    return this.index.hashAt(i);
  }

  /** Entry of the first message at or after `offset` (count if none). */
  lowerBound(offset: number): number {
    return this.index.lowerBound(offset);
  }

  /** Entry of the message at exactly `offset`, or -1 (deleted, or not in this segment). */
  find(offset: number): number {
    return this.index.find(offset);
  }

  /** Entry of the first message whose indexed time is ≥ `timeUs` (count if none). */
  timeLowerBound(timeUs: number): number {
    return this.index.timeLowerBound(timeUs);
  }

  /** Bytes of the record at entry `i`. */
  recordSize(i: number): number {
    return this.endOf(i) - this.index.positionAt(i);
  }

  /** Index rows (indexes/rows.ts) of entries [from, to). */
  indexRows(from: number, to: number): Uint8Array {
    return encodeIndexRows(this.index, from, to);
  }

  /** Creates an empty segment file (header only) and commits it: a new head, kept open (`keepOpen`). */
  static async create(pool: FilePool, base: number): Promise<Segment> {
    const name = segmentName(base);
    let segment: Segment | undefined;
    // Checked when the pool opens it again, once sealed: a file changed meanwhile must not answer reads.
    const file = pool.file(name, async (f) => segment?.checkOpened(f));
    await file.openNow(true);
    // Only a name no file holds becomes a new segment: bytes there are a log this writer did not see
    // (a listing that missed the file), and overwriting them would lose it.
    const found = await file.size();
    if (found > 0) {
      await file.close();
      throw new LogError('Internal', `${name} already holds ${found} bytes: a new segment is never written over it`);
    }
    const incarnation = newIncarnation();
    try {
      await file.write(encodeHeader(base, incarnation), 0);
      // A staged file (storage/staged-file.ts) has its header in memory only until it commits: a follower must find it.
      await file.commit();
    } catch (err) {
      await file.close();
      await pool.dir.remove(name);
      throw err;
    }
    const index = new SegmentIndex(base);
    segment = new Segment(name, base, file, index, incarnation, SEGMENT_HEADER_SIZE, true, pool.indexes);
    segment.keepOpen(true);
    return segment;
  }

  /**
   * A sealed segment as its IndexedDB summary describes it, neither its file
   * opened nor its index loaded: the summary is trusted until the first read
   * opens the file, which must then be the summary's size with its
   * incarnation in the header, or every read of it rejects `Corrupted` (and
   * `hooks.changed` is told, so that the next open reads the file instead).
   * Only a sealed segment has a summary (`summary`): a head's record may lag
   * its file.
   */
  static fromSummary(pool: FilePool, name: string, summary: SegmentSummary, hooks: LazyIndex): Segment {
    const base = parseSegmentName(name);
    if (base === null) throw new Error(`not a segment name: ${name}`);
    const file = pool.file(name, (f) => segment.checkOpened(f));
    file.sealed = true;
    const { incarnation, size } = summary;
    const segment: Segment = new Segment(name, base, file, null, incarnation, size, !pool.readonly, pool.indexes);
    segment.trustedSummary = true;
    segment.lazy = { summary, hooks };
    return segment;
  }

  /**
   * Checks a file opened again (or for the first time, if `fromSummary` made
   * this segment): its header must name this incarnation, and it may not be
   * shorter than what is indexed (a readonly log's head grows under it), or
   * other than the summary's size the first time.
   */
  private async checkOpened(file: StoredFile): Promise<void> {
    const [size, header] = await Promise.all([file.size(), file.read(0, SEGMENT_HEADER_SIZE)]);
    const incarnation = decodeHeader(header, this.base) ?? 0; // as `openFile` takes a header that is not valid
    const sizeOk = this.trustedSummary ? size === this.committedSize : size >= this.committedSize;
    if (incarnation === this.headerIncarnation && sizeOk) {
      this.trustedSummary = false;
      return;
    }
    this.lazy?.hooks.changed();
    throw new LogError(
      'Corrupted',
      `${this.name} is not the file its index describes (${size} bytes, incarnation ${incarnation}; ` +
        `expected ${this.trustedSummary ? '' : 'at least '}${this.committedSize} bytes, incarnation ${this.headerIncarnation}): ` +
        'it changed while it was closed',
    );
  }

  /**
   * Keeps the file open whatever the pool's bound (the writer's head), or
   * lets the pool close it again: then it is sealed, and only read.
   */
  keepOpen(on: boolean): void {
    this.file.pinned = on;
    this.file.sealed = !on;
    if (this.sealedForGood && this.indexData) this.indexes.touched(this); // counted from its roll on
  }

  /**
   * Opens an existing segment file and builds its index (`openFile`, then
   * `buildIndex`). `prevMaxTime` continues the running time maximum.
   */
  static async load(
    pool: FilePool,
    name: string,
    record: SegmentRecord | undefined,
    prevMaxTime: number,
  ): Promise<IndexBuild & { segment: Segment }> {
    const opened = await Segment.openFile(pool, name);
    try {
      return { ...(await opened.buildIndex(record, prevMaxTime)), segment: opened.segment };
    } catch (err) {
      await opened.segment.close();
      throw err;
    }
  }

  /**
   * The first half of `load`, which needs nothing from other segments, so a
   * log opens all its files at once: the file, its size and its header.
   * The second half, `buildIndex`, runs segment after segment.
   */
  static async openFile(pool: FilePool, name: string): Promise<OpenedSegment> {
    const base = parseSegmentName(name);
    if (base === null) throw new Error(`not a segment name: ${name}`);
    let segment: Segment | undefined;
    // The first open is unchecked (the header and size read below are the first look); later ones are checked.
    const file = pool.file(name, async (f) => segment?.checkOpened(f));
    try {
      await file.openNow();
      const [fileSize, header] = await Promise.all([file.size(), file.read(0, SEGMENT_HEADER_SIZE)]);
      const incarnation = decodeHeader(header, base);
      const index = new SegmentIndex(base);
      segment = new Segment(name, base, file, index, incarnation ?? 0, 0, !pool.readonly, pool.indexes);
      return {
        segment,
        buildIndex: (record, prevMaxTime) => segment!.buildIndex(incarnation !== null, fileSize, record, prevMaxTime),
      };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** `OpenedSegment.buildIndex` of a file of `fileSize` bytes whose header was valid or not. */
  private async buildIndex(
    validHeader: boolean,
    fileSize: number,
    record: SegmentRecord | undefined,
    prevMaxTime: number,
  ): Promise<IndexBuild> {
    if (!validHeader) return { scan: { committedEnd: 0, damaged: fileSize > 0 }, fromRecord: false };
    const usable = record !== undefined && record.incarnation === this.headerIncarnation && record.size <= fileSize;
    if (usable) this.indexData = SegmentIndex.unpack(this.base, record);
    const from = usable ? record.size : SEGMENT_HEADER_SIZE;
    this.committedSize = from;
    const scan = await this.scan(from, fileSize, usable ? this.index.maxTime : prevMaxTime);
    this.committedSize = scan.committedEnd;
    return { scan, fromRecord: usable };
  }

  /**
   * A readonly log catches up with its writer: indexes the whole batches
   * appended between `size` and `end` and moves `size` past them.
   */
  async catchUp(end: number, prevMaxTime: number): Promise<void> {
    this.committedSize = (await this.scan(this.committedSize, end, prevMaxTime)).committedEnd;
  }

  /**
   * Indexes the records in [from, end). Only whole batches count: records of
   * a batch whose last record is missing are left out, and so is anything
   * after the first record that fails its checksum or framing.
   */
  private async scan(from: number, end: number, prevMaxTime: number): Promise<ScanResult> {
    if (from >= end) return { committedEnd: from, damaged: false };
    const bytes = await this.file.read(from, end - from);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = this.index;
    let maxTime = Math.max(prevMaxTime, index.maxTime);
    const batches = scanBatches(bytes, view, 0, bytes.length, index.count > 0 ? index.lastOffset : this.base - 1);
    let step = batches.next();
    for (; !step.done; step = batches.next()) {
      for (const r of step.value) {
        maxTime = Math.max(maxTime, r.timeUs);
        index.append(r.offset, from + r.at, maxTime, keyHash(bytes, r.keyStart, r.keyStart + r.keyLen));
      }
    }
    // Lenient: whatever follows the last whole batch is a torn tail, whatever the fault.
    const { committed } = step.value;
    this.markVerified(from, from + committed);
    return { committedEnd: from + committed, damaged: committed < bytes.length };
  }

  /**
   * Whether the file under this segment's name is still this segment, read by
   * name rather than through the open handle (which goes on reading and
   * writing a file that was removed under it): false if the name is gone or
   * holds another file. Any other failure to read is thrown, not taken for a
   * removal.
   */
  async isStillStored(dir: Directory): Promise<boolean> {
    let file: StoredFile;
    try {
      file = await dir.openFile(this.name, { create: false, readonly: true });
    } catch (err) {
      if (err instanceof LogError && err.code === 'NotFound') return false;
      throw err;
    }
    try {
      return decodeHeader(await file.read(0, SEGMENT_HEADER_SIZE), this.base) === this.headerIncarnation;
    } finally {
      await file.close();
    }
  }

  /** The file's size now: a readonly log's writer may have appended to it since. */
  fileSize(): Promise<number> {
    return this.file.size();
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
      throw new LogError(
        'Corrupted',
        `${this.name}: expected ${end - start} bytes at ${start}, file ends after ${bytes.length}`,
      );
    }
    return bytes;
  }

  /** End of the record at index entry `i` is where the next one starts. */
  private endOf(i: number): number {
    return i + 1 < this.index.count ? this.index.positionAt(i + 1) : this.size;
  }

  /** The checked bytes of entries [from, to) of the index. */
  async readEntries(from: number, to: number): Promise<Uint8Array> {
    await this.loadIndex();
    const start = this.index.positionAt(from);
    const end = this.endOf(to - 1);
    if (end > this.verifiedEnd) await this.verifyAhead();
    const bytes = await this.read(start, end);
    if (end > this.verifiedEnd) {
      this.verify(bytes, start, from, to - from);
      this.markVerified(start, end);
    }
    return bytes;
  }

  /** Bytes [start, end) hold verified records: extend `verifiedEnd` if they continue it. */
  private markVerified(start: number, end: number): void {
    if (this.trusted && start <= this.verifiedEnd) this.verifiedEnd = Math.max(this.verifiedEnd, end);
  }

  /**
   * A writer's second read past what it verified checks the rest of the
   * segment at once, if small enough, so later reads of it cost no checksum.
   * The first checks only its own records: the one read a page makes as it
   * opens a log pays for no whole segment (~10 ms of a cold start, in code
   * not yet compiled: BENCHMARKS.md). Damage found here is left for the
   * reads of the damaged records to report.
   */
  private async verifyAhead(): Promise<void> {
    if (!this.readPast) {
      this.readPast = true;
      return;
    }
    if (!this.trusted || this.damagedAhead || this.size - this.verifiedEnd > VERIFY_AHEAD) return;
    const from = this.index.entryAtOrAfter(this.verifiedEnd);
    const start = from < this.index.count ? this.index.positionAt(from) : this.size;
    const bytes = await this.read(start, this.size);
    const at = verifyRecords(bytes, this.index.count - from, (k) => this.index.offsetAt(from + k));
    if (at >= 0) this.damagedAhead = true;
    else this.markVerified(start, this.size);
  }

  /** Reads one record by index entry, verified; returns the bytes and its view. */
  async readRecordAt(i: number): Promise<{ bytes: Uint8Array; record: RecordView }> {
    const bytes = await this.readEntries(i, i + 1);
    const record = readRecord(
      bytes,
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      0,
      bytes.length,
      false,
    );
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
  async append(bytes: Uint8Array, entries: AppendedEntry[]): Promise<void> {
    const start = this.size;
    try {
      await this.file.write(bytes, start);
      // On a staged file the batch is in the file only now: what a resolved publish needs.
      await this.file.commit();
    } catch (err) {
      await this.file.truncate(start).catch(() => undefined);
      throw err;
    }
    for (const e of entries) this.index.append(e.offset, start + e.at, e.timeUs, e.hash);
    this.committedSize = start + bytes.length;
    // Sealed here, checksums and all, and written whole: these bytes are the verified ones.
    this.markVerified(start, this.committedSize);
  }

  /** Makes what was appended durable: sync, close, a rollover and `autoSync` call it. */
  async flush(): Promise<void> {
    await this.file.flush();
  }

  /** Closes the file for good. The index stays loaded: a snapshot may still read it (see `pinIndex`). */
  async close(): Promise<void> {
    this.closed = true;
    this.indexes.forget(this);
    await this.file.close();
  }

  /**
   * What IndexedDB keeps of this segment as it is now: its record, and if it
   * is `sealed` (it will not grow: not the head) the summary a later open
   * reads instead of the record (`fromSummary`).
   */
  saved(dir: string, sealed: boolean): SavedIndex {
    return this.index.saved({ dir, base: this.base, incarnation: this.incarnation, size: this.size }, sealed);
  }

  /**
   * Rewrites the header of a segment whose header was torn (an empty head).
   * Not flushed: only the newest file can be a head whose header never
   * reached the disk (a rollover flushes the segment before it), and opening
   * a log starts such a head afresh again.
   */
  async resetTornHeader(): Promise<void> {
    this.headerIncarnation = newIncarnation();
    await this.file.truncate(0);
    await this.file.write(encodeHeader(this.base, this.headerIncarnation), 0);
    await this.file.commit();
    this.indexData = new SegmentIndex(this.base);
    this.committedSize = SEGMENT_HEADER_SIZE;
    this.verifiedEnd = SEGMENT_HEADER_SIZE;
  }

  /** Cuts the file back to its last whole batch: the head's tail torn by a crash mid-publish. */
  async cutTornTail(): Promise<void> {
    await this.file.truncate(this.committedSize);
    await this.file.commit();
  }

  /** Writes a new segment file `name` holding `records` (whole encoded records). */
  static async writeFile(dir: Directory, name: string, base: number, records: Uint8Array): Promise<void> {
    await writeWholeFile(dir, name, [encodeHeader(base, newIncarnation()), records]);
  }
}
