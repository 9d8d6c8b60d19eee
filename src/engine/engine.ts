/**
 * The log engine: an ordered list of segments, the last of which (the head)
 * takes appends. It owns the files and the writer lock, and runs one
 * operation at a time so that no read sees half a publish.
 */
import { LogError, toLogError } from '../errors.ts';
import { keyHash } from '../codec/hash.ts';
import { keyEquals, sealBatch } from '../codec/record.ts';
import { indexEntrySize } from '../indexes/entry-size.ts';
import { IndexStore, type SegmentRecord } from '../indexes/store.ts';
import { lockName } from '../namespace.ts';
import { parseSegmentName, Segment } from '../segment/segment.ts';
import type { Directory, Env, HeldLock } from '../storage/files.ts';
import { OffsetNewest, OffsetOldest, type Stats } from '../types.ts';
import { backupSegments } from './backup.ts';
import { rewriteSegment } from './rewrite.ts';
import { loadSegments } from './load.ts';
import { checkProducer, ProducerTable, type Producer } from './producers.ts';
import { REPLACE_MARKER } from './replace.ts';
import { Retention } from './retention.ts';
import { SnapshotPins, type RawSnapshot } from './snapshot.ts';
import type { RawBatch, RawDeleteResult, RawLog } from './raw.ts';
import { normalizeDir, resolveOptions, type ResolvedOptions } from './options.ts';

const EMPTY = new Uint8Array(0);

/** How often a readonly log starts a read again on a fresh view when its writer changed the files under it. */
const READ_ATTEMPTS = 20;

export class LogEngine implements RawLog {
  private segments: Segment[] = [];
  private next = 0;
  /** A writer's memory of which producer's publishes it took (engine/producers.ts). */
  private producers: ProducerTable | null = null;
  /** A readonly log's largest next offset so far (see `refresh`). */
  private highestNext = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Snapshots pinned for archive export; a rewrite first copies their bytes aside (engine/snapshot.ts). */
  private readonly pins = new SnapshotPins(() => this.closed);
  /** Where the last consume ended. */
  private consumedTo = -1;
  /** What `readAhead` read for the consume likely to come next. */
  private ahead: { seg: Segment; from: number; to: number; bytes: Promise<Uint8Array> } | null = null;
  /** The `retention` option, applied on open and after each publish; null without one. */
  private retention: Retention | null = null;
  /** Set once the log's files were found removed under it: every call then rejects with it (see `storageRemoved`). */
  private removed: LogError | null = null;
  /** IndexedDB closed our connection, as clearing the site's data does: check the files before the next call. */
  private suspect = false;

  private constructor(
    private readonly env: Env,
    readonly path: string,
    private readonly dir: Directory,
    readonly options: ResolvedOptions,
    private readonly store: IndexStore,
    private readonly lock: HeldLock | null,
  ) {}

  /** Opens (or creates) the log at `dir`; the rules are in the TSDoc of `open` (client/open.ts). */
  static async open(env: Env, dir: unknown, options?: unknown): Promise<LogEngine> {
    const path = normalizeDir(dir);
    const opts = resolveOptions(options);
    const lock = opts.readonly
      ? null
      : await env.locks.tryAcquire(lockName(path)).catch((err: unknown) => {
          throw toLogError(err, `taking the writer lock of ${path}`);
        });
    if (!opts.readonly && !lock) throw new LogError('Locked', `log ${path} is open for writing elsewhere`);
    let store: IndexStore | undefined;
    let engine: LogEngine | undefined;
    try {
      const directory = await env.root.subdir(path.split('/'), opts.createDirs);
      store = await IndexStore.open(env.idb); // never rejects: without IndexedDB every open rescans
      engine = new LogEngine(env, path, directory, opts, store, lock);
      const opened = engine;
      store.onLost = () => {
        opened.suspect = true;
      };
      await engine.load();
      await engine.startRetention();
      return engine;
    } catch (err) {
      // Nothing may stay held (a file handle, the lock), or the next open would say Locked instead.
      await Promise.allSettled([...(engine?.segments ?? []).map((s) => s.close()), engine?.producers?.close()]);
      store?.close();
      lock?.release();
      throw toLogError(err, `opening log ${path}`);
    }
  }

  private async load(): Promise<void> {
    // A reader opens as it catches up before a read: the writer may remove or rewrite a file
    // between the listing and its opening, and the catch-up lists again rather than give up.
    if (this.options.readonly) return this.readFresh(async () => undefined);
    const { segments, stale } = await loadSegments(this.dir, this.path, this.store, this.options);
    this.segments = segments;
    if (segments.length === 0) this.segments.push(await Segment.create(this.dir, 0));
    for (const record of stale) this.persist(record);
    this.next = this.computeNext();
    this.producers = await ProducerTable.open(this.dir, this.next);
  }

  /** Applies the `retention` option now (a log opened after a while may be over its age limit) and after every publish. */
  private async startRetention(): Promise<void> {
    this.retention = Retention.of(this.options, {
      segments: () => this.segments,
      entrySize: indexEntrySize(this.options),
      deleteStored: (offsets) => this.deleteStored(offsets),
    });
    await this.run(async () => this.retention?.apply());
  }

  private computeNext(): number {
    const head = this.segments.at(-1);
    if (!head) return 0;
    return head.count > 0 ? head.lastOffset + 1 : head.base;
  }

  /**
   * Runs operations one at a time, in call order; rejects `Closed` once
   * closed and `StorageRemoved` once the files were found gone. A writer's
   * failure that a removal could explain (the platform's, not the log's own
   * answers such as a deleted offset's NotFound) is checked against the files first.
   */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      if (this.closed) throw new LogError('Closed', `log ${this.path} is closed`);
      if (this.suspect) await this.checkStored();
      if (this.removed) throw this.removed;
      try {
        return await op();
      } catch (err) {
        if (err instanceof LogError && (err.code === 'Internal' || err.cause !== undefined)) await this.checkStored();
        throw this.removed ?? err;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * A writer's sync access handles go on reading and writing files removed
   * under them (site data cleared, storage evicted): only a look by name
   * tells. If the head is no longer there, the log lets go of everything it
   * holds and every call from then on rejects `StorageRemoved`.
   */
  private async checkStored(): Promise<void> {
    this.suspect = false;
    if (this.options.readonly || this.removed || this.closed) return;
    const stored = await this.head.isStillStored(this.dir).catch(() => true); // a failed look proves nothing
    if (!stored) this.storageRemoved();
  }

  /**
   * The files are gone: let go of the index store and the lock, so that a new
   * log can be opened there. The file handles are dropped, not closed:
   * Chromium's `close()` of a sync access handle whose file was removed never
   * returns (it blocks the worker); they go with the worker or its realm.
   */
  private storageRemoved(): void {
    this.removed = new LogError(
      'StorageRemoved',
      `the files of log ${this.path} were removed while it was open ` +
        '(site data cleared, storage evicted, or its directory removed); what it held is gone, and opening it again starts a new log',
    );
    this.ahead = null;
    this.suspect = false;
    this.segments = [];
    this.producers = null;
    this.store.close();
    this.lock?.release();
  }

  /** A read: a readonly log first catches up with what the writer did. */
  private read<T>(op: () => Promise<T>): Promise<T> {
    return this.run(() => (this.options.readonly ? this.readFresh(op) : op()));
  }

  /**
   * A readonly log's read. The writer (another tab) may rewrite or remove a
   * file between the catch-up and the answer; the segment reads then fail
   * their checks (every record read must be the one its index names, see
   * `Segment.readEntries`). A failure is believed only if the files are
   * still as they were: else the log is reloaded and the call answered again.
   */
  private async readFresh<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let seen: string | null = null;
      try {
        seen = await this.refresh(attempt);
        return await op();
      } catch (err) {
        if (
          !(err instanceof LogError) ||
          err.code === 'Closed' ||
          err.code === 'StorageRemoved' ||
          attempt >= READ_ATTEMPTS
        )
          throw err;
        if (seen !== null && seen === (await this.look()).fingerprint) throw err;
        await pause(attempt);
      }
    }
  }

  private writable(): void {
    if (this.options.readonly) throw new LogError('Readonly', `log ${this.path} is open readonly`);
  }

  /** Saves a segment's index in the background; it is derived data, so a lost put only costs a rescan. */
  private persist(record: SegmentRecord): void {
    this.store.putSoon(record);
  }

  private get head(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** The running time maximum before the head's next message. */
  private maxTime(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (this.segments[i].count > 0) return this.segments[i].maxTime;
    }
    return -Infinity;
  }

  /** A writer's producer table (a readonly log never publishes). */
  private producerTable(): ProducerTable {
    if (!this.producers) throw new LogError('Internal', `log ${this.path} has no producer table`);
    return this.producers;
  }

  /** Flushes the producer table, then the head: an entry is never less durable than its batch. */
  private async flushAll(): Promise<void> {
    await this.producers?.flush();
    await this.head.flush();
  }

  /** Flushes, then makes sure what was flushed is in the log's files and not in files removed under it. */
  private async flushStored(): Promise<void> {
    await this.flushAll();
    await this.checkStored();
    if (this.removed) throw this.removed;
  }

  /** Flushes the head and saves its index: what sync, close and a rollover each need. */
  private async saveHead(): Promise<void> {
    await this.flushAll();
    this.persist(this.head.record(this.path));
  }

  /** Seals the head (flushed, index saved) and starts a new one at the next offset. */
  private async roll(): Promise<void> {
    await this.saveHead();
    this.segments.push(await Segment.create(this.dir, this.next));
  }

  /**
   * Appends a batch encoded by `encodeBatch` (the facade does that): offsets and checksums are set here.
   * With a `producer`, a publish it sent before (a retry whose first answer was lost) is answered
   * again from the producer table instead of appended twice (engine/producers.ts).
   */
  publish(records: Uint8Array, producer?: Producer): Promise<number> {
    return this.run(async () => {
      this.writable();
      const from = producer === undefined ? undefined : checkProducer(producer);
      const known = from && this.producers?.lookup(from.id, from.seq);
      if (known !== undefined) return known;
      if (records.length === 0) return this.afterPublish();
      const entries: { offset: number; at: number; timeUs: number; hash: number }[] = [];
      let maxTime = this.maxTime();
      let count: number;
      try {
        count = sealBatch(records, this.next, (r) => {
          maxTime = Math.max(maxTime, r.timeUs);
          entries.push({
            offset: r.offset,
            at: r.at,
            timeUs: maxTime,
            hash: keyHash(records, r.keyStart, r.keyStart + r.keyLen),
          });
        });
      } catch (err) {
        throw new LogError('Internal', `malformed publish batch (the client encodes it): ${(err as Error).message}`);
      }
      // A batch never spans segments: one write keeps it all-or-nothing.
      if (this.head.count > 0 && this.head.size + records.length > this.options.rollover) await this.roll();
      const undo = from && (await this.producerTable().record(from, this.next, count));
      try {
        await this.head.append(records, entries);
      } catch (err) {
        await undo?.();
        throw err;
      }
      this.next += count;
      if (from) this.producers!.remember(from.id, from.seq, this.next);
      if (this.options.autoSync) await this.flushStored();
      return this.afterPublish();
    });
  }

  /** What a publish resolves to, once the log is back within its retention policy. */
  private async afterPublish(): Promise<number> {
    await this.retention?.apply();
    return this.next;
  }

  nextOffset(): Promise<number> {
    return this.read(async () => this.next);
  }

  /** Oldest offset still stored, or null if no message is. */
  private oldest(): number | null {
    const s = this.segments.find((seg) => seg.count > 0);
    return s ? s.firstOffset : null;
  }

  /** Number of the segment `offset` falls in: the last one based at or before it (0 if none is). */
  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Position (segment number, entry) of the first message at or after `offset`, or null. */
  private locate(offset: number): { s: number; i: number } | null {
    for (let s = this.segmentFor(offset); s < this.segments.length; s++) {
      const i = this.segments[s].lowerBound(offset);
      if (i < this.segments[s].count) return { s, i };
    }
    return null;
  }

  /** Position (segment number, entry) of the message at exactly `offset`, or null if none is stored. */
  private entryOf(offset: number): { s: number; i: number } | null {
    const s = this.segmentFor(offset);
    const i = s < this.segments.length ? this.segments[s].find(offset) : -1;
    return i >= 0 ? { s, i } : null;
  }

  /** Where a consume starts: an offset ≤ next, or null for "nothing to return". */
  private startOf(offset: number): number | null {
    if (offset === OffsetNewest) return null;
    if (offset === OffsetOldest) return this.oldest();
    if (offset > this.next) {
      throw new LogError('InvalidOffset', `offset ${offset} is past the next offset ${this.next}`);
    }
    return offset;
  }

  consume(offset: number, maxCount: number): Promise<RawBatch> {
    return this.read(async () => {
      const start = this.startOf(offset);
      const at = start === null ? null : this.locate(start);
      if (!at) return { nextOffset: this.next, records: EMPTY };
      const seg = this.segments[at.s];
      const end = Math.min(seg.count, at.i + maxCount);
      const records = await this.readRange(seg, at.i, end);
      const nextOffset = seg.offsetAt(end - 1) + 1;
      // Only a reader going through the log in order: a random one would pay for reads it never uses.
      if (start === this.consumedTo) this.readAhead(nextOffset, maxCount);
      this.consumedTo = nextOffset;
      return { nextOffset, records };
    });
  }

  /** Entries [from, to) of `seg`: read ahead already, or read now. */
  private async readRange(seg: Segment, from: number, to: number): Promise<Uint8Array> {
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead?.seg === seg && ahead.from === from && ahead.to === to) {
      const bytes = await ahead.bytes.catch(() => null);
      if (bytes) return bytes;
    }
    return seg.readEntries(from, to);
  }

  /**
   * A writer reads the batch a consume would ask for next, once this one is
   * answered (a timer: after the answer is sent), so a reader going through
   * the log finds it read while it decoded the last one. A writer's bytes do
   * not change under it and a rewrite replaces the segment object, so what is
   * read ahead is used only for that same segment and range; a failed read
   * ahead is dropped, and the consume then reads (and reports) for itself.
   */
  private readAhead(offset: number, maxCount: number): void {
    const at = this.options.readonly ? null : this.locate(offset);
    if (!at) return;
    const seg = this.segments[at.s];
    const to = Math.min(seg.count, at.i + maxCount);
    const bytes = new Promise<Uint8Array>((resolve, reject) => {
      setTimeout(() => seg.readEntries(at.i, to).then(resolve, reject), 0);
    });
    bytes.catch(() => undefined);
    this.ahead = { seg, from: at.i, to, bytes };
  }

  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<RawBatch> {
    return this.read(async () => {
      if (!this.options.keyIndex) throw new LogError('NoIndex', `log ${this.path} was opened without keyIndex`);
      const start = this.startOf(offset);
      const at = start === null ? null : this.locate(start);
      if (!at) return { nextOffset: this.next, records: EMPTY };
      const hash = keyHash(key);
      const found: Uint8Array[] = [];
      for (let s = at.s; s < this.segments.length; s++) {
        const seg = this.segments[s];
        for (let i = s === at.s ? at.i : 0; i < seg.count; i++) {
          if (seg.hashAt(i) !== hash) continue;
          const { bytes, record } = await seg.readRecordAt(i);
          if (!keyEquals(bytes, record, key)) continue;
          found.push(bytes);
          if (found.length === maxCount) return { nextOffset: record.offset + 1, records: concat(found) };
        }
      }
      return { nextOffset: this.next, records: concat(found) };
    });
  }

  get(offset: number): Promise<Uint8Array> {
    // A readonly log may run this more than once (see readFresh): resolve a sentinel afresh each time.
    return this.read(async () => {
      let wanted = offset;
      if (offset === OffsetOldest || offset === OffsetNewest) {
        const oldest = this.oldest();
        if (oldest === null) throw new LogError('InvalidOffset', `log ${this.path} has no messages`);
        wanted = offset === OffsetOldest ? oldest : this.newest();
      } else if (offset >= this.next) {
        throw new LogError('InvalidOffset', `offset ${offset} is at or past the next offset ${this.next}`);
      }
      // Below the next offset, a missing message was deleted, even when none is left.
      const at = this.entryOf(wanted);
      if (!at) throw new LogError('NotFound', `offset ${wanted} was deleted`);
      return this.segments[at.s].readEntries(at.i, at.i + 1);
    });
  }

  /** Last stored offset (the log has at least one message). */
  private newest(): number {
    for (let s = this.segments.length - 1; ; s--) {
      if (this.segments[s].count > 0) return this.segments[s].lastOffset;
    }
  }

  getByKey(key: Uint8Array): Promise<Uint8Array> {
    return this.read(async () => {
      const hash = keyHash(key);
      for (let s = this.segments.length - 1; s >= 0; s--) {
        const seg = this.segments[s];
        for (const i of seg.withHash(hash)) {
          const { bytes, record } = await seg.readRecordAt(i);
          if (keyEquals(bytes, record, key)) return bytes;
        }
      }
      throw new LogError('NotFound', 'no message has this key');
    });
  }

  getByTime(startUs: number): Promise<Uint8Array> {
    return this.read(async () => {
      if (this.oldest() === null) throw new LogError('InvalidOffset', `log ${this.path} has no messages`);
      // Indexed times rise across the log, so the first segment whose largest reaches `startUs` holds
      // the answer. Only the head can be empty (see roll and delete): leave it out of the bisection.
      let lo = 0;
      let hi = this.head.count > 0 ? this.segments.length : this.segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.segments[mid].maxTime < startUs) lo = mid + 1;
        else hi = mid;
      }
      const seg = this.segments[lo];
      if (seg && seg.count > 0) {
        const i = seg.timeLowerBound(startUs);
        return seg.readEntries(i, i + 1);
      }
      throw new LogError('NotFound', `no message at or after time ${startUs / 1000}`);
    });
  }

  delete(offsets: number[]): Promise<RawDeleteResult> {
    return this.run(async () => {
      this.writable();
      return this.deleteStored(offsets);
    });
  }

  /** `delete` inside the queue, also what retention trims with. */
  private async deleteStored(offsets: number[]): Promise<RawDeleteResult> {
    // Like klevdb, one segment per call: the one holding the lowest offset asked for.
    const wanted = new Set(offsets.filter((o) => Number.isSafeInteger(o) && o >= 0 && o < this.next));
    const first = this.firstStored([...wanted].sort((a, b) => a - b));
    if (!first) return { deletedOffsets: [], deletedSize: 0 };
    if (first.s === this.segments.length - 1 && wanted.has(this.head.lastOffset)) {
      // The newest message goes: an empty head named by the next offset keeps nextOffset across reopens.
      await this.roll();
    }
    // An export may still be reading this segment: its pinned bytes go aside, so nothing waits for it.
    await this.pins.preserve(this.dir, this.segments[first.s]);
    const result = await rewriteSegment({
      dir: this.dir,
      path: this.path,
      store: this.store,
      entrySize: indexEntrySize(this.options),
      segments: this.segments,
      s: first.s,
      wanted,
    });
    for (const record of result.records) this.persist(record);
    return { deletedOffsets: result.deletedOffsets, deletedSize: result.deletedSize };
  }

  /** Where the first of `sorted` offsets that is still stored lives, or null. */
  private firstStored(sorted: number[]): { s: number; i: number } | null {
    for (const offset of sorted) {
      const at = this.entryOf(offset);
      if (at) return at;
    }
    return null;
  }

  stat(): Promise<Stats> {
    return this.read(async () => {
      let messages = 0;
      let bytes = 0;
      for (const seg of this.segments) {
        messages += seg.count;
        bytes += seg.size;
      }
      return { segments: this.segments.length, messages, size: bytes + messages * indexEntrySize(this.options) };
    });
  }

  /** Pins the log as it is now for an archive export; see engine/snapshot.ts. Release it when done. */
  pinSnapshot(): Promise<RawSnapshot> {
    return this.read(async () => this.pins.pin(this.path, this.segments, this.next, this.options));
  }

  /** Bytes [start, end) of segment `s` of a pinned snapshot. Not queued: pinned bytes do not change. */
  readSnapshot(id: number, s: number, start: number, end: number): Promise<Uint8Array> {
    if (this.removed) return Promise.reject(this.removed);
    return this.pins.readSegment(id, s, start, end);
  }

  /** Index rows (indexes/rows.ts) of entries [from, to) of segment `s` of a pinned snapshot. */
  async readSnapshotIndex(id: number, s: number, from: number, to: number): Promise<Uint8Array> {
    if (this.removed) throw this.removed;
    return this.pins.readIndex(id, s, from, to);
  }

  /** Unpins a snapshot and removes the side copies of segments rewritten since it was pinned. */
  releaseSnapshot(id: number): Promise<void> {
    return this.pins.release(id);
  }

  backup(dir: string): Promise<void> {
    return this.read(async () => {
      const target = normalizeDir(dir);
      if (target === this.path) throw new LogError('InvalidArgument', `cannot back up ${this.path} onto itself`);
      const lock = await this.env.locks.tryAcquire(lockName(target));
      if (!lock) throw new LogError('Locked', `log ${target} is open for writing elsewhere`);
      try {
        const targetDir = await this.env.root.subdir(target.split('/'), true);
        await backupSegments(this.segments, targetDir, this.path, target, this.store);
      } finally {
        lock.release();
      }
    });
  }

  sync(): Promise<number> {
    return this.run(async () => {
      if (!this.options.readonly) {
        await this.flushStored();
        this.persist(this.head.record(this.path));
      }
      return this.next;
    });
  }

  /** Resolves once everything is released, also after the files were removed (there is nothing left to flush). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const closing = this.queue.then(async () => {
      if (this.closed) return;
      await this.checkStored();
      this.closed = true;
      if (this.removed) return; // storageRemoved released everything
      try {
        if (!this.options.readonly) await this.saveHead();
        await this.store.settle();
        await Promise.all(this.segments.map((s) => s.close()));
        await this.producers?.close();
      } finally {
        await this.pins.releaseAll(); // before the lock: the next writer must not find our copies in use
        this.store.close();
        this.lock?.release();
      }
    });
    this.queue = closing.catch(() => undefined);
    return closing;
  }

  /**
   * What a readonly log sees of its files now: their sizes, and the head's
   * incarnation, which changes whenever the writer rewrites the head (a
   * rewrite can leave it at the same size, so sizes alone cannot tell).
   */
  private async look(): Promise<{
    files: Map<string, number>;
    head: number | null;
    replacing: boolean;
    fingerprint: string;
  }> {
    const listing = await this.dir.list().catch((err: unknown) => {
      if (!(err instanceof LogError) || err.code !== 'NotFound') throw err;
      this.storageRemoved();
      throw this.removed;
    });
    const replacing = listing.some((e) => e.name === REPLACE_MARKER);
    const entries = listing.filter((e) => parseSegmentName(e.name) !== null);
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    const files = new Map(entries.map((e) => [e.name, e.size]));
    const last = entries.at(-1);
    const known = last && this.segments.find((s) => s.name === last.name);
    const head = known ? await known.currentIncarnation() : null;
    return {
      files,
      head,
      replacing,
      fingerprint: `${entries.map((e) => `${e.name}:${e.size}`).join()}|${head}|${replacing}`,
    };
  }

  /**
   * A readonly log catches up with its writer and returns what it saw. Bytes
   * appended to the same head are scanned; any other change (a segment
   * added, removed or rewritten) reloads the segment list. No I/O beyond the
   * listing and one header read when nothing changed.
   */
  private async refresh(attempt: number): Promise<string> {
    const seen = await this.look();
    // An import is swapping every segment: the listing mixes two logs until the marker goes (a writer
    // that crashed there leaves it until the next writer opens, so after the last attempt go on).
    if (seen.replacing && attempt < READ_ATTEMPTS) throw new LogError('Internal', `log ${this.path} is being replaced`);
    const names = this.segments.map((s) => s.name);
    const unchanged =
      attempt === 1 &&
      names.length === seen.files.size &&
      seen.head === this.head?.incarnation &&
      names.every(
        (n, i) => seen.files.get(n) === this.segments[i].size || (i === names.length - 1 && seen.files.has(n)),
      );
    if (!unchanged || !(await this.catchUpHead(seen.files.get(this.head.name)!))) await this.reload(seen.files);
    this.next = this.computeNext();
    // Offsets only grow: a log that seems to shrink is most likely a writer's change half seen. Only
    // if it stays so (an import replaced the log with a shorter one) is it believed.
    if (this.next < this.highestNext && attempt < READ_ATTEMPTS) {
      throw new LogError('Internal', `log ${this.path} seemed to shrink while its writer changed it`);
    }
    this.highestNext = this.next;
    return seen.fingerprint;
  }

  /** Scans what the writer appended to the head; false if the head turned out to be another file. */
  private async catchUpHead(size: number): Promise<boolean> {
    const head = this.head;
    if (size < head.size) return false;
    if (size === head.size) return true;
    await head.catchUp(size, this.maxTime());
    // Same incarnation after the scan as before it: every byte scanned was of this file.
    return (await head.currentIncarnation()) === head.incarnation;
  }

  /**
   * Reads the segment list afresh. The writer in another tab may be renaming
   * or removing a segment right then, so a file listed a moment ago can be
   * gone or another: try again on a fresh listing before giving up.
   */
  private async reload(files: ReadonlyMap<string, number>): Promise<void> {
    const keep = await this.unchangedSealed(files);
    await Promise.all(this.segments.filter((s) => !keep.has(s.name)).map((s) => s.close()));
    this.segments = [];
    for (let attempt = 1; ; attempt++) {
      try {
        this.segments = (await loadSegments(this.dir, this.path, this.store, { ...this.options, keep })).segments;
        return;
      } catch (err) {
        if (!(err instanceof LogError) || attempt >= READ_ATTEMPTS) throw err;
        await pause(attempt);
      }
    }
  }

  /**
   * The segments a reload may keep as they are: sealed ones (not the last
   * listed) of the same size whose header still names the same file. A
   * writer changes a sealed segment only by rewriting it smaller or removing
   * it, so this spares a reader re-reading every segment after each change.
   */
  private async unchangedSealed(files: ReadonlyMap<string, number>): Promise<Map<string, Segment>> {
    const last = [...files.keys()].at(-1);
    const keep = new Map<string, Segment>();
    await Promise.all(
      this.segments.map(async (seg) => {
        if (seg.name === last || files.get(seg.name) !== seg.size) return;
        if ((await seg.currentIncarnation()) === seg.incarnation) keep.set(seg.name, seg);
      }),
    );
    return keep;
  }
}

/**
 * A growing pause between attempts to read past a writer's change: 5, 10, 20 … ms, at most 200 ms.
 * A writer whose retention trims after every publish changes the files all the time; on a loaded
 * machine eight attempts (~1.3 s) were not always enough for a readonly open (1 in 25 in CI).
 */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** (attempt - 1), 200)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
