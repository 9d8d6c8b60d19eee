/**
 * A readonly log follows its writer (another tab's engine) through the files
 * alone: before each read it catches up with what the writer did, and a read
 * that the writer's next change broke is answered again on a fresh view.
 * Bytes appended to the same head are scanned; any other change (a segment
 * added, removed or rewritten) reloads the segment list, keeping the sealed
 * segments that are unchanged.
 *
 * Telling that nothing but the head changed takes a look at every file (its
 * size, which costs a read each in OPFS) unless the writer's change counter
 * (changes.ts) says so: while it reads as it did before the last such look,
 * no sealed segment changed since, and a read costs the counter's read and
 * the head's size, however many segments the log has.
 */
import { LogError } from '../errors.ts';
import type { IndexStore } from '../indexes/store.ts';
import { parseSegmentName, type Segment } from '../segment/segment.ts';
import type { FilePool } from '../segment/file-pool.ts';
import type { StoredFile } from '../storage/files.ts';
import { CHANGES_FILE, type ChangeState, readChanges } from './changes.ts';
import { loadSegments } from './load.ts';
import type { ResolvedOptions } from './options.ts';
import { REPLACE_MARKER } from './replace.ts';
import type { SegmentList } from './segments.ts';

/**
 * How often a read starts again on a fresh view when the writer changed the
 * files under it. A writer whose retention trims after every publish changes
 * them all the time, and a loaded machine needs many attempts (BENCHMARKS.md).
 */
const READ_ATTEMPTS = 20;

/** What a follower sees of the log's files at one moment. */
interface View {
  /** Segment file name → size, in offset order. */
  files: Map<string, number>;
  /** The incarnation in the last listed segment's header, if it is one the follower knows. */
  head: number | null;
  /** An import is swapping every segment. */
  replacing: boolean;
  /** All of the above as one string, to tell whether anything changed between two views. */
  fingerprint: string;
}

/** What a catch-up saw: enough to tell afterwards whether the files are still as they were. */
interface Seen {
  /** A full look's `View.fingerprint`; null after a quick catch-up. */
  fingerprint: string | null;
  /** The change counter's even `seq` that vouches for the segment list (`knownSeq`), if any. */
  seq: number | null;
  /** The head, and how many of its bytes were indexed. */
  head: Segment | undefined;
  size: number;
}

export class LogFollower {
  /** The largest next offset seen so far: offsets only grow (see `catchUp`). */
  private highestNext = 0;
  /** The writer's change counter, opened on first use; null while there is none to open. */
  private changes: StoredFile | null = null;
  /**
   * The counter's `seq`, even, as read right before the look at every file
   * that the segment list was last made from; null if it was odd or missing
   * then (every catch-up then looks at every file).
   */
  private knownSeq: number | null = null;

  constructor(
    private readonly pool: FilePool,
    private readonly path: string,
    private readonly store: IndexStore,
    private readonly options: ResolvedOptions,
    private readonly list: SegmentList,
    /** Called when the log's directory is gone; returns the error every call then rejects with. */
    private readonly storageRemoved: () => LogError,
  ) {}

  /**
   * Runs a read on a view caught up with the writer. The writer may rewrite
   * or remove a file between the catch-up and the answer; the segment reads
   * then fail their checks (every record read must be the one its index
   * names, see `Segment.readEntries`). A failure is believed only if the
   * files are still as they were: else the read runs again on a fresh view.
   */
  async read<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let seen: Seen | null = null;
      try {
        seen = await this.catchUp(attempt);
        return await op();
      } catch (err) {
        if (!(err instanceof LogError) || err.code === 'Closed' || err.code === 'StorageRemoved') throw err;
        if (attempt >= READ_ATTEMPTS) throw err;
        if (seen !== null && (await this.unchangedSince(seen, err.code === 'Internal'))) throw err;
        await pause(attempt);
      }
    }
  }

  /**
   * Whether every byte a read on `seen` could have looked at is still as it
   * was: the change counter has not moved (no sealed segment was rewritten
   * or removed) and the head has not shrunk (the writer only appends to it,
   * or cuts off a write that failed). A platform failure (`Internal`: in
   * Chromium a read of the head's file while the writer appends to it fails
   * `NotReadableError`) needs the head not to have grown either. Without a
   * counter: whether a full look sees the very files it saw.
   */
  private async unchangedSince(seen: Seen, platformFailure: boolean): Promise<boolean> {
    if (seen.seq !== null && seen.head !== undefined) {
      if ((await this.readChanges())?.seq !== seen.seq) return false;
      const size = await seen.head.fileSize().catch(() => null);
      return size !== null && (platformFailure ? size === seen.size : size >= seen.size);
    }
    return seen.fingerprint !== null && seen.fingerprint === (await this.view()).fingerprint;
  }

  /** Catches up with the writer and returns what it saw. */
  private async catchUp(attempt: number): Promise<Seen> {
    const quick = attempt === 1 && (await this.quickCatchUp());
    const fingerprint = quick ? null : await this.fullCatchUp(attempt);
    // Offsets only grow: a log that seems to shrink is most likely a writer's change half seen. Only
    // if it stays so (an import replaced the log with a shorter one) is it believed.
    if (this.list.next < this.highestNext && attempt < READ_ATTEMPTS) {
      throw new LogError('Internal', `log ${this.path} seemed to shrink while its writer changed it`);
    }
    this.highestNext = this.list.next;
    const head = this.list.head;
    return { fingerprint, seq: this.knownSeq, head, size: head?.size ?? 0 };
  }

  /**
   * The catch-up when the change counter reads as it did before the last
   * full look (so no sealed segment changed since): the head's appended
   * bytes are scanned, or after a roll the new segments opened. Null if the
   * counter moved (or there is none), or the head is not what it was: a
   * full catch-up is needed.
   */
  private async quickCatchUp(): Promise<boolean> {
    const head = this.list.head;
    if (this.knownSeq === null || head === undefined) return false;
    const state = await this.readChanges();
    if (state?.seq !== this.knownSeq) return false;
    return state.head === head.base ? this.caughtUp(head) : this.addRolled(head);
  }

  /** Scans what the writer appended to the head since; false if the head is not what it was. */
  private async caughtUp(head: Segment): Promise<boolean> {
    const size = await head.fileSize().catch(() => null);
    return size !== null && (await this.scanAppended(head, size));
  }

  /**
   * The writer rolled since the last look and changed no sealed segment:
   * the old head is sealed at its final size, and only the segments after it
   * are new, so only those are opened.
   */
  private async addRolled(head: Segment): Promise<boolean> {
    if (!(await this.caughtUp(head))) return false;
    const known = this.list.all;
    const keep = new Map(known.map((seg) => [seg.name, seg]));
    let loaded: Segment[];
    try {
      loaded = (await loadSegments(this.pool, this.path, this.store, { ...this.options, keep })).segments;
    } catch (err) {
      if (err instanceof LogError) return false; // a full catch-up tells what it was
      throw err;
    }
    if (loaded.length <= known.length || known.some((seg, i) => loaded[i] !== seg)) {
      await Promise.all(loaded.filter((seg) => !keep.has(seg.name)).map((seg) => seg.close()));
      return false;
    }
    this.adopt(loaded);
    // Still the same counter: no sealed segment changed while the new ones were opened.
    return (await this.readChanges())?.seq === this.knownSeq;
  }

  /** Takes `segments` for the log's: every one but the last, the writer's head, is sealed (`Segment.rolledPast`). */
  private adopt(segments: Segment[]): void {
    this.list.all = segments;
    for (const segment of segments.slice(0, -1)) segment.rolledPast();
  }

  /** What the writer's change counter says now, or null if there is none (no writer made one yet, or it is gone). */
  private async readChanges(): Promise<ChangeState | null> {
    try {
      this.changes ??= await this.pool.dir.openFile(CHANGES_FILE, { create: false, readonly: true });
      return await readChanges(this.changes);
    } catch {
      this.changes = null; // look for it again next time
      return null;
    }
  }

  /** Catches up by a look at every file; no I/O beyond a listing and a header read when nothing changed. */
  private async fullCatchUp(attempt: number): Promise<string> {
    this.knownSeq = null;
    // Read before the listing: a writer that changes a sealed segment after this moves the counter on.
    const state = await this.readChanges();
    const seen = await this.view();
    // An import is swapping every segment: the listing mixes two logs until the marker goes (a writer
    // that crashed there leaves it until the next writer opens, so after the last attempt go on).
    if (seen.replacing && attempt < READ_ATTEMPTS) throw new LogError('Internal', `log ${this.path} is being replaced`);
    const head = this.list.head;
    const grown = attempt === 1 && head !== undefined && this.onlyHeadGrew(seen, head);
    if (!grown || !(await this.scanAppended(head, seen.files.get(head.name)!))) await this.reload(seen.files);
    if (state && state.seq % 2 === 0) this.knownSeq = state.seq;
    return seen.fingerprint;
  }

  /** Whether the files are the segments known, the sealed ones at their known sizes and the head the same file. */
  private onlyHeadGrew(seen: View, head: Segment): boolean {
    const all = this.list.all;
    if (all.length !== seen.files.size || seen.head !== head.incarnation) return false;
    return all.every((seg) => seen.files.get(seg.name) === seg.size || (seg === head && seen.files.has(seg.name)));
  }

  /**
   * What the files are now: their sizes, and the head's incarnation, which
   * changes whenever the writer rewrites the head (a rewrite can leave it at
   * the same size, so sizes alone cannot tell).
   */
  private async view(): Promise<View> {
    const listing = await this.pool.dir.list().catch((err: unknown) => {
      if (err instanceof LogError && err.code === 'NotFound') throw this.storageRemoved();
      throw err;
    });
    const replacing = listing.some((e) => e.name === REPLACE_MARKER);
    const entries = listing.filter((e) => parseSegmentName(e.name) !== null);
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    const files = new Map(entries.map((e) => [e.name, e.size]));
    const last = entries.at(-1);
    const known = last && this.list.all.find((s) => s.name === last.name);
    const head = known ? await known.currentIncarnation() : null;
    const fingerprint = `${entries.map((e) => `${e.name}:${e.size}`).join()}|${head}|${replacing}`;
    return { files, head, replacing, fingerprint };
  }

  /** Scans what the writer appended to the head; false if the head turned out to be another file. */
  private async scanAppended(head: Segment, size: number): Promise<boolean> {
    if (size < head.size) return false;
    if (size === head.size) return true;
    await head.catchUp(size, this.list.maxTime());
    // Same incarnation after the scan as before it: every byte scanned was of this file.
    return (await head.currentIncarnation()) === head.incarnation;
  }

  /**
   * Reads the segment list afresh. The writer may be renaming or removing a
   * segment right then, so a file listed a moment ago can be gone or another:
   * try again on a fresh listing before giving up.
   */
  private async reload(files: ReadonlyMap<string, number>): Promise<void> {
    const keep = await this.reusableSegments(files);
    await Promise.all(this.list.all.filter((s) => !keep.has(s.name)).map((s) => s.close()));
    this.list.all = [];
    for (let attempt = 1; ; attempt++) {
      try {
        const options = { ...this.options, keep };
        this.adopt((await loadSegments(this.pool, this.path, this.store, options)).segments);
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
   * it, so this spares re-reading every segment after each change.
   */
  private async reusableSegments(files: ReadonlyMap<string, number>): Promise<Map<string, Segment>> {
    const last = [...files.keys()].at(-1);
    const keep = new Map<string, Segment>();
    await Promise.all(
      this.list.all.map(async (seg) => {
        if (seg.name === last || files.get(seg.name) !== seg.size) return;
        if ((await seg.currentIncarnation()) === seg.incarnation) keep.set(seg.name, seg);
      }),
    );
    return keep;
  }
}

/** A growing pause between attempts to read past a writer's change: 5, 10, 20 … ms, at most 200 ms. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** (attempt - 1), 200)));
}
