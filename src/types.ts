/**
 * The public types of opfs-log: what users program against. The semantics
 * follow the Go library klevdb's `Log`; every edge case is stated here.
 */

/** The oldest message still available (for `consume` and `get`). */
export const OffsetOldest = -2;
/** The offset the next publish will use (for `consume`); the last message (for `get`). */
export const OffsetNewest = -1;
/** What an error path reports as an offset. */
export const OffsetInvalid = -3;

/** How a log is opened. Every field is optional and defaults to false/1 MiB. */
export interface Options {
  /** Create missing directories of `dir`; without it a missing dir rejects `NotFound`. */
  createDirs?: boolean;
  /**
   * Open for reading only: `publish` and `delete` reject `Readonly`. A readonly
   * log may be opened while a writer holds the log elsewhere; it re-reads the
   * files on each call, so it sees what the writer has published since.
   */
  readonly?: boolean;
  /** Enables `getByKey`, `offsetByKey` and `consumeByKey` (else they reject `NoIndex`). */
  keyIndex?: boolean;
  /** Enables `getByTime` and `offsetByTime` (else they reject `NoIndex`). */
  timeIndex?: boolean;
  /** Flush segment files before `publish` resolves (costs milliseconds per publish). */
  autoSync?: boolean;
  /** Segment size in bytes at which a new segment starts; default 1 MiB. */
  rollover?: number;
  /** Verify the head segment (CRC, framing, index agreement) on open, cutting a damaged tail. */
  check?: boolean;
  /**
   * Be the log's only writer. Without it any number of same-origin tabs and
   * workers may open the log for writing: one owns the files, the others
   * forward their calls to it, and when the owner goes away (closed, crashed,
   * killed) the next takes over by itself. With it, the open rejects `Locked`
   * at once while another writer has the log open, and while it is open any
   * other writer's open rejects `Locked` at once. Readonly opens are never
   * refused. Ignored with `readonly`.
   */
  exclusive?: boolean;
  /**
   * Trim the log automatically to stay within these limits (see
   * `RetentionPolicy`). Applied by the writer only; a readonly log ignores it.
   */
  retention?: RetentionPolicy;
  /**
   * How the writer writes its files (readonly logs read the same way under
   * either). `'auto'` (the default) uses OPFS's sync access handles where
   * the browser gives them (a dedicated worker in Chromium, Firefox and
   * Safari), and the asynchronous backend where they are missing or refused
   * (a service worker; WebKitGTK). `'sync'` insists on sync access handles and
   * rejects `Unsupported` without them; `'async'` uses the asynchronous
   * backend everywhere. Both write the same files: a log written with one
   * opens with the other.
   *
   * The asynchronous backend keeps what it writes in memory and commits it
   * before each `publish`, `delete` or roll resolves, by writing the file
   * whole under a new name and moving it over the old one: a crash (of the
   * tab, the worker or the browser) leaves every file as one commit or the
   * next left it, so every resolved publish is in the log, as on the sync
   * backend. A commit costs a copy of the head segment (up to `rollover`
   * bytes), so publish in batches there. `sync()` commits too; the
   * asynchronous API gives no way to ask the disk to flush beyond it. In
   * WebKit each commit also leaves a temporary file outside the origin's quota
   * (a WebKit bug): one per publish, another reason to batch.
   */
  backend?: StorageBackend;
  /**
   * The most segment files the log holds open at once; default 64, at least
   * 2 (the head and one more). Opening a log opens only its head (and any
   * segment a crash left without a complete index): a sealed segment's file
   * is opened on its first read, and when another must open past the bound,
   * the one read least recently is closed first. The head stays open.
   *
   * Each open file is a sync access handle, and Safari refuses more than
   * about 252 of them a page, for all logs together: keep the sum of the
   * logs' bounds under that there. A log also holds two small files open
   * beside its segments (the producer table and the change counter), and a
   * segment being rewritten or copied for an export holds one more while it
   * is. A lower bound saves handles and costs a reopen (about a millisecond
   * in Chromium) on reads that jump between many segments. Where opening a
   * handle costs several times opening the file readonly (Firefox, above
   * all on a busy machine), a sealed segment's file is read without one,
   * through `getFile()` snapshots: it still takes a place in the bound, but
   * holds no handle. A readonly log reads every file so, and keeps the same
   * bound.
   */
  maxOpenFiles?: number;
}

/** `Options.maxOpenFiles` unless given. */
export const DEFAULT_MAX_OPEN_FILES = 64;

/** Which file API a writer uses: see `Options.backend`. */
export type StorageBackend = 'auto' | 'sync' | 'async';

/**
 * What a log keeps at most, applied on open and after every publish. Plain
 * data (it crosses to the worker). Each limit given must be a positive number.
 *
 * When the log is over a limit, the oldest messages are deleted (klevdb's
 * TrimByCount / TrimBySize / TrimByAge) down to 15/16 of it (rounded up):
 * 15/16 of `maxCount` messages, 15/16 of `maxBytes`, nothing older than
 * 15/16 of `maxAgeMs`. The sixteenth of headroom is what keeps retention cheap: a
 * trim rewrites the oldest segment, so it happens once per sixteenth of the
 * limit published rather than on every publish. Right after `open` and after
 * each `publish` resolves, the log is within every limit.
 *
 * `maxAgeMs` counts from the messages' own times and, like klevdb's
 * TrimByAge, deletes from the start of the log up to the first message
 * young enough. A log that is not published to ages unchecked until the next
 * publish or open. A failed trim (e.g. out of storage while rewriting a
 * segment) does not fail the publish; the next publish tries again.
 */
export interface RetentionPolicy {
  /** Most messages kept. */
  maxCount?: number;
  /**
   * Bytes the log stays below, as `stat().size` counts them: a log that
   * reaches `maxBytes` is trimmed, as `trimBySize(log, bound)` leaves a log
   * below `bound` (klevdb's rule).
   */
  maxBytes?: number;
  /** Oldest message kept, in milliseconds before now. */
  maxAgeMs?: number;
}

/** A stored message, as read back. */
export interface Message {
  /** Assigned by publish; dense and increasing (gaps only where messages were deleted). */
  offset: number;
  /** Milliseconds since the Unix epoch, stored to the microsecond. */
  time: number;
  /** The key; a zero-length key reads back as null. */
  key: Uint8Array | null;
  /** The value; a zero-length value reads back as null (a tombstone). */
  value: Uint8Array | null;
}

/** A message to publish. */
export interface NewMessage {
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  /** Milliseconds since the Unix epoch; absent or 0 means the time of publish. */
  time?: number;
}

/** A page of messages from `consume`/`consumeByKey`, and where to continue. */
export interface Batch {
  nextOffset: number;
  messages: Message[];
}

/** What `stat` reports. */
export interface Stats {
  /** Number of segment files. */
  segments: number;
  /** Number of messages stored (deleted ones not counted). */
  messages: number;
  /** Bytes used on disk: segment files plus index entries. */
  size: number;
}

/** Options of `consumeBlocking`. */
export interface BlockingOptions {
  /** Aborting it rejects the waiting call with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of `tail`. */
export interface TailOptions {
  /** Most messages per batch; default 100. */
  maxCount?: number;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
}

/**
 * A named, durable consumer position of a log, from `log.cursor(name)`.
 * Stored with the log (in its IndexedDB database, beside the segments);
 * survives reloads and crashes. Readonly logs may commit too. Two tabs
 * committing the same cursor: the last commit wins. Where IndexedDB cannot
 * be used (absent, or its database taken over by another script of the
 * origin without our stores), `position` and `commit` reject `Unsupported`;
 * the log itself works on without it.
 */
export interface Cursor {
  readonly name: string;
  /**
   * The next offset to consume: what was last committed, or `OffsetOldest`
   * if nothing was (so `consume(await cursor.position(), n)` always works).
   */
  position(): Promise<number>;
  /**
   * Stores `offset` as the position, atomically; on disk when it resolves.
   * Commit the `nextOffset` of the last batch you processed. It may move
   * back (to reprocess). `OffsetOldest` forgets the cursor (back to the
   * start); `OffsetNewest` stores the log's next offset (skip everything so
   * far). An offset past the next offset, or another negative: rejects
   * `InvalidOffset`; not an integer: rejects `InvalidArgument`.
   */
  commit(offset: number): Promise<void>;
}

/** What `delete` reports. */
export interface DeleteResult {
  /** The offsets actually deleted (a subset of those asked for). */
  deletedOffsets: Set<number>;
  /** The sum of `size()` of the deleted messages. */
  deletedSize: number;
}

/**
 * An open log. Obtain one with `open(dir, options)`. All methods reject with a
 * `LogError`; after `close()` every method rejects `Closed` (a second `close`
 * resolves and does nothing). Bad input (a wrong type, `NaN`, an array with
 * holes) rejects `InvalidArgument` and changes nothing; an unexpected failure
 * rejects `Internal`, never `Corrupted` (which means damaged data only).
 *
 * Many tabs: a log opened for writing (not `exclusive`) in several tabs or
 * workers is one log. Its owner (the first writer, then the next in line)
 * runs the engine; the others' calls go to it and behave the same. When the
 * owner goes away (closed, crashed, killed) another takes over by itself;
 * calls in flight then pause and are answered by the new owner. No call's
 * outcome is left unknown: a `publish` that resolved is in the log once
 * (durable after `sync`), one that rejected is not in it, and a publish
 * whose answer was lost with its owner is recognized by the next (by a
 * producer id and sequence it carries) rather than appended twice. After
 * such a handover a `delete` may report fewer `deletedOffsets` than it
 * deleted (the lost attempt's are gone already), and a `snapshot` pinned by
 * the lost owner is gone (its reads reject; export again). `close` waits for
 * this log's calls in flight to be answered.
 *
 * Storage removed: if the log's files go while it is open (the user clears
 * the site's data, the browser evicts the origin's storage, other code
 * removes the directory), the log finds out at the latest at its next `sync`
 * (with `autoSync`, at the next `publish`), sooner when IndexedDB tells it
 * its database went: a writer's handles otherwise go on writing files that
 * no longer exist, so a `publish` that resolved before then may be lost with
 * the rest, but a `sync` that resolves always means the messages are on
 * disk. From then on every call of this `Log`, in every tab that has it
 * open (writers and readonly logs alike), rejects `StorageRemoved`, and
 * `close` resolves. Nothing is recreated by itself: an `open` with
 * `createDirs` starts a new, empty log. (Chromium keeps a removed file's
 * sync access handle until the browser restarts, so there an open of the
 * same log in the same browser session may reject `Locked` instead.)
 */
export interface Log {
  /**
   * Appends the batch atomically: after a crash or error either all of it is
   * readable or none of it is. Resolves to the next offset after the batch.
   * `publish([])` resolves to the current next offset. A message whose key and
   * value together exceed 64 MiB rejects `InvalidArgument` and nothing of the
   * batch is written. Out of storage: rejects `QuotaExceeded`, nothing written.
   * Readonly: rejects `Readonly`.
   */
  publish(messages: NewMessage[]): Promise<number>;

  /** The offset the next publish will use (0 for an empty log). */
  nextOffset(): Promise<number>;

  /**
   * Up to `maxCount` messages in offset order starting at `offset`, and the
   * offset to ask for next. It may return fewer (even none, at a segment
   * boundary), but then `nextOffset > offset` unless caught up, when
   * `nextOffset == offset`.
   * - `OffsetOldest`: from the oldest available; an empty log gives `{0, []}`.
   * - `OffsetNewest` or `offset == next`: `{next, []}`.
   * - A deleted offset, or one before the oldest available: starts at the next
   *   available offset, no error.
   * - `offset > next`, or negative other than the sentinels: rejects `InvalidOffset`.
   * - `maxCount < 1`: rejects `InvalidArgument`.
   */
  consume(offset: number, maxCount: number): Promise<Batch>;

  /**
   * Like `consume`, but only messages whose key equals `key` byte for byte.
   * Without `keyIndex`: rejects `NoIndex`, before any argument is looked at
   * (as klevdb does), so even an offset past the next one gives `NoIndex`.
   */
  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<Batch>;

  /**
   * The message at `offset`; `OffsetOldest`/`OffsetNewest` give the first/last.
   * - `offset >= next`, or negative other than the sentinels: rejects `InvalidOffset`.
   * - `OffsetOldest`/`OffsetNewest` when the log holds no message: rejects `InvalidOffset`.
   * - An offset below `next` that no longer exists (deleted, trimmed,
   *   compacted), also when every message is gone: rejects `NotFound`.
   */
  get(offset: number): Promise<Message>;

  /**
   * The last message with exactly this key. None: rejects `NotFound`. After the
   * newest message of a key is deleted, the previous one is found.
   * Without `keyIndex`: rejects `NoIndex`.
   */
  getByKey(key: Uint8Array): Promise<Message>;

  /** The offset of `getByKey(key)`, with the same rejections. */
  offsetByKey(key: Uint8Array): Promise<number>;

  /**
   * The first message whose time is at or after `start` (ms or a Date). The
   * index makes times non-decreasing (a message older than its predecessor is
   * indexed at the running maximum), so it finds by that running maximum; the
   * message carries its own time. Start after every message: rejects
   * `NotFound`. A log that holds no message (none published, or every one
   * deleted): rejects `InvalidOffset`. Without `timeIndex`: rejects `NoIndex`.
   */
  getByTime(start: number | Date): Promise<Message>;

  /** The offset and own time of `getByTime(start)`, with the same rejections. */
  offsetByTime(start: number | Date): Promise<{ offset: number; time: number }>;

  /**
   * Tries to delete the given offsets. It may delete only part of them (those
   * in one segment per call, rewriting it) and says which in `deletedOffsets`;
   * offsets that don't exist are ignored. Deleting the newest message does not
   * change `nextOffset`, also after reopening. Readonly: rejects `Readonly`,
   * even for an empty set.
   */
  delete(offsets: Iterable<number>): Promise<DeleteResult>;

  /**
   * Bytes that `message` occupies on disk: its record framing plus its index
   * entry for this log's options. Synchronous; does not touch the files.
   */
  size(message: Message): number;

  /** Segment count, message count and bytes used (segments + index). */
  stat(): Promise<Stats>;

  /**
   * Copies the log, consistent at one offset, to another OPFS directory
   * (created if missing; it must not hold a log already), which `open(dir)`
   * opens with the same messages, next offset and committed cursors.
   * A target that holds a log rejects `InvalidArgument`; one open for
   * writing elsewhere rejects `Locked`.
   */
  backup(dir: string): Promise<void>;

  /**
   * Pins the log as it is now, to copy it whole while publishing goes on:
   * what `exportArchive` reads. Its segments and index rows keep reading as
   * they were pinned, whatever is published meanwhile.
   * - Release it when done. Nothing waits for it meanwhile: a `delete`,
   *   trim or compaction that rewrites a segment the snapshot still needs
   *   first copies the pinned bytes aside (a `<segment>.pin-<n>` file, as
   *   large as that segment, removed on release; without room for it the
   *   delete rejects `QuotaExceeded` and changes nothing).
   * - On a readonly log the writer (elsewhere) is not held back: a read of a
   *   segment it rewrote meanwhile rejects `Locked`.
   * - Rejects `Closed` on a closed log; reads of a snapshot whose log was
   *   closed reject `Closed`.
   */
  snapshot(): Promise<LogSnapshot>;

  /**
   * Flushes everything published so far; resolves to the next offset it made
   * durable. Rejects `StorageRemoved` if the log's files were removed under
   * it (see the `Log` notes): a `sync` that resolves means the messages are
   * in the log's files on disk.
   */
  sync(): Promise<number>;

  /**
   * Like `consume`, but if there is nothing at or after `offset` yet it waits
   * until there is, and resolves with a non-empty batch (klevdb's
   * ConsumeBlocking). `OffsetNewest` waits for the next publish after the
   * call. Publishes through this log, another log of the same dir in this
   * page, another tab or a worker all wake it (by BroadcastChannel; a
   * readonly reader sees a writer tab's publish within milliseconds).
   * Nothing polls while it waits.
   * - Aborting `options.signal` rejects with `signal.reason` (an `AbortError`
   *   DOMException unless you gave another); an aborted signal rejects at once.
   *   This is the one rejection that is not a `LogError`, as with `fetch`.
   * - Closing the log rejects the waiting call `Closed`.
   * - Otherwise the same rejections as `consume`.
   */
  consumeBlocking(offset: number, maxCount: number, options?: BlockingOptions): Promise<Batch>;

  /**
   * The batches from `offset` on, as an async iterable, for ever: first what
   * is already there, then each batch as soon as it is published (each
   * iteration is a `consumeBlocking`; `nextOffset` of one is where the next
   * starts). Batches are never empty.
   * - Aborting `options.signal` or closing the log ends the iteration
   *   quietly; so does `break` in a `for await`.
   * - A bad `offset` format or `options` throws at once (`InvalidOffset`,
   *   `InvalidArgument`); so does calling it on a closed log (`Closed`). An
   *   offset past the next offset rejects the first iteration `InvalidOffset`.
   */
  tail(offset: number, options?: TailOptions): AsyncIterableIterator<Batch>;

  /**
   * The durable cursor called `name` (any non-empty string, else throws
   * `InvalidArgument`); see `Cursor`. Cursors of different logs are separate.
   * After `close`, its calls reject `Closed`.
   */
  cursor(name: string): Cursor;

  /**
   * Whether this log's files are owned here, that is its engine runs in this
   * context (this tab's worker, or in place in a worker). True for the writer
   * that owns a shared log and for an `exclusive` writer; false for a
   * readonly log, for a writer that forwards its calls to the owner in
   * another tab or worker, and after `close`. It changes when ownership moves
   * (the owner went away and this writer was next in line).
   */
  isOwner(): boolean;

  /**
   * Flushes, releases files and the writer lock. Later calls reject `Closed`;
   * a second close is a no-op. After the storage was removed it resolves too,
   * having released what it held (there is nothing left to flush).
   */
  close(): Promise<void>;
}

/** One segment file of a `LogSnapshot`. */
export interface SnapshotSegment {
  /** File name, `%020d.log`. */
  name: string;
  base: number;
  /** Bytes of the file (header included) that belong to the snapshot. */
  size: number;
  /** The random id in the file's header (ties index records to the file). */
  incarnation: number;
  /** Index entries (messages) of the segment in the snapshot. */
  messages: number;
}

/** A log pinned at one offset by `Log.snapshot`. */
export interface LogSnapshot {
  /** The log's directory. */
  readonly dir: string;
  /** The log's next offset when it was pinned. */
  readonly nextOffset: number;
  /** The options the log is open with (which indexes it keeps, its rollover). */
  readonly options: { keyIndex: boolean; timeIndex: boolean; rollover: number };
  /** Its segment files, oldest first; `segment` below is a position in this list. */
  readonly segments: readonly SnapshotSegment[];
  /**
   * Bytes [start, end) of a segment file. A range outside its pinned size, or
   * a read after `release`, rejects `InvalidArgument`.
   */
  read(segment: number, start: number, end: number): Promise<Uint8Array>;
  /**
   * The index of entries [from, to) of a segment, as rows of 24 bytes, little
   * endian: offset (u64), indexed time in microseconds (u64), the record's
   * byte position in the file (u32), the key's hash (u32). A range outside
   * its pinned entries, or a read after `release`, rejects `InvalidArgument`.
   */
  readIndex(segment: number, from: number, to: number): Promise<Uint8Array>;
  /** Unpins it. Never rejects; a second call, or one after the log closed, does nothing. */
  release(): Promise<void>;
}

/** How `importArchive` restores an archive. */
export interface ImportOptions {
  /**
   * Replace the log that the target dir already holds (its segment files and
   * index records). Without it, a target that holds a log rejects `InvalidArgument`.
   */
  overwrite?: boolean;
}

/** What an archive holds, as `importArchive` reports it (read from its manifest). */
export interface ArchiveInfo {
  /** The dir of the log it was exported from. */
  dir: string;
  /** When it was exported, in milliseconds since the Unix epoch. */
  createdAt: number;
  /** The restored log's next offset, as the exported log's was. */
  nextOffset: number;
  /** Messages stored (deleted ones not counted). */
  messages: number;
  /** Segment files. */
  segments: number;
  /**
   * The options the exported log was open with. Options are not stored with a
   * log: open the restored one with these to keep the same indexes and rollover.
   */
  options: { keyIndex: boolean; timeIndex: boolean; rollover: number };
}

/**
 * Where a page gets the worker that owns a log's files, for the rare set-up
 * that cannot use the default; pass it to `setWorkerSource` (as pdf.js takes
 * its `workerSrc`). On the main thread, `open` and `importArchive` start one
 * dedicated module worker per open log (and per import); by default it is the
 * package's `worker.js`, found beside its client code through
 * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`,
 * the shape Vite and webpack 5 see and bundle. A worker of your own:
 *
 * - a URL (or a string, resolved against the page's base URL): where you
 *   serve a copy of the package's `dist/worker.js` (it imports nothing, so it
 *   runs as it is; serve it with a JavaScript MIME type, from the page's
 *   origin, as workers must be). It is started as a module worker.
 * - a function, called for each worker with the options opfs-log would use
 *   (`{ type: 'module', name }`, the name shown in developer tools), that
 *   returns a new `Worker` running that file, e.g.
 *   `(options) => new Worker(new URL('./vendor/opfs-log-worker.js', import.meta.url), options)`.
 *   A function that throws makes `open` reject `Unsupported` with its error
 *   as the `cause`; one that returns no `Worker` rejects `InvalidArgument`.
 *
 * The worker must be the same version as the client: they speak a protocol
 * that may change between versions. A worker that fails to load (a 404, a
 * wrong MIME type, a syntax error) makes `open` and `importArchive` reject
 * `Unsupported`, with a message that names the URL tried and points to the
 * README's "Use it in your app". Inside a worker of your own, `open` runs the
 * engine in place and starts no worker, so this has no effect there.
 */
export type WorkerSource = string | URL | ((options: WorkerOptions) => Worker);
