/**
 * Snapshots: a log pinned at one offset so that an archive export can copy it
 * while publishing goes on (see src/archive/export.ts).
 *
 * Pinning runs inside the engine's one-at-a-time queue, so it sees whole
 * publishes only. It records each segment's byte size and index entry count.
 * Afterwards sealed segments do not change and the head only grows, so bytes
 * [0, size) and entries [0, count) stay as they were, and reading them needs
 * no queue. Only a rewrite (a delete, so also a trim or a compaction) changes
 * a segment, and it must not wait for an export (that would stall every call
 * queued behind it): before it, `preserve` copies the pinned bytes of the
 * segment into a side file (`<segment>.pin-<n>`, never a segment name) and
 * points the pins there. Releasing the last pin of a copy removes it; copies
 * left by a crash are removed when a writer opens the log (`removeSideCopies`).
 *
 * A readonly engine cannot hold back its writer (in another tab); there each
 * read checks that the segment file is still the one that was pinned.
 */
import { LogError } from '../errors.ts';
import type { Segment } from '../segment/segment.ts';
import type { Directory, StoredFile } from '../storage/files.ts';
import type { SnapshotSegment } from '../types.ts';
import type { ResolvedOptions } from './options.ts';

/** What `LogEngine.pinSnapshot` returns. */
export interface RawSnapshot {
  id: number;
  /** The log's directory. */
  dir: string;
  nextOffset: number;
  /** The options the log is open with (which indexes it keeps, its rollover). */
  options: { keyIndex: boolean; timeIndex: boolean; rollover: number };
  segments: SnapshotSegment[];
}

/** Side copies are named `<segment name>.pin-<n>`. */
const SIDE_COPY_SUFFIX = '.pin-';
const SIDE_COPY_PATTERN = /^\d{20}\.log\.pin-\d+$/;
/** Bytes copied at a time into a side copy, so memory stays bounded. */
const COPY_CHUNK_SIZE = 1024 * 1024;

/** Pinned bytes of a segment kept aside while the log rewrites it; shared by every pin of that segment. */
interface SideCopy {
  dir: Directory;
  name: string;
  file: StoredFile;
  /** Pins still reading it; the last release removes the file. */
  users: number;
}

interface PinnedSegment {
  segment: Segment;
  /** Pinned by a readonly engine, which cannot hold its writer back. */
  readonly: boolean;
  size: number;
  count: number;
  incarnation: number;
  /** Where the pinned bytes now are if the segment was rewritten since; null while they are in the segment. */
  copy: SideCopy | null;
}

function rewrittenError(p: PinnedSegment): LogError {
  return new LogError('Locked', `${p.segment.name} was rewritten by the log's writer during the export; export again`);
}

/** Removes side copies that a crash (or a failed close) left in `dir`; run by a writer before it opens the log. */
export async function removeSideCopies(dir: Directory): Promise<void> {
  for (const name of await dir.names()) {
    if (SIDE_COPY_PATTERN.test(name)) await dir.remove(name);
  }
}

export class SnapshotPins {
  private readonly pins = new Map<number, PinnedSegment[]>();
  private nextId = 1;
  private nextCopy = 1;

  constructor(
    /** Whether the engine is closed (its files too): reads then reject `Closed`. */
    private readonly isClosed: () => boolean,
  ) {}

  /** Pins `segments` as they are now; call inside the engine's queue. */
  pin(dir: string, segments: Segment[], nextOffset: number, options: ResolvedOptions): RawSnapshot {
    const pinned = segments.map((segment) => ({
      segment,
      readonly: options.readonly,
      size: segment.size,
      count: segment.count,
      incarnation: segment.incarnation,
      copy: null,
    }));
    const id = this.nextId++;
    this.pins.set(id, pinned);
    for (const p of pinned) p.segment.pinIndex(); // read unqueued (`readSnapshotIndex`): not dropped until released
    return {
      id,
      dir,
      nextOffset,
      options: { keyIndex: options.keyIndex, timeIndex: options.timeIndex, rollover: options.rollover },
      segments: pinned.map((p) => ({
        name: p.segment.name,
        base: p.segment.base,
        size: p.size,
        incarnation: p.incarnation,
        messages: p.count,
      })),
    };
  }

  private pinned(id: number, s: number): PinnedSegment {
    if (this.isClosed()) throw new LogError('Closed', 'the log was closed during the export');
    const found = this.pins.get(id)?.[s];
    if (!found)
      throw new LogError('InvalidArgument', `snapshot ${id} has no segment ${s} (released, or no such segment)`);
    return found;
  }

  /**
   * Call inside the writer's queue before `segment` is rewritten or removed:
   * copies the bytes that snapshots pinned of it (the largest pinned size: the
   * head may have been pinned more than once as it grew) into one side file in
   * `dir`, and reads them from there from now on. Nothing pinned: does nothing.
   * Fails (e.g. `QuotaExceeded`) with nothing changed and no file left.
   * Resolves true if it made a copy.
   */
  async preserve(dir: Directory, segment: Segment): Promise<boolean> {
    const readers = () => [...this.pins.values()].flat().filter((p) => p.segment === segment && p.copy === null);
    const pinned = readers();
    if (pinned.length === 0) return false;
    const size = Math.max(...pinned.map((p) => p.size));
    const name = `${segment.name}${SIDE_COPY_SUFFIX}${this.nextCopy++}`;
    const file = await dir.openFile(name, { create: true, readonly: false });
    try {
      await file.truncate(0);
      for (let at = 0; at < size; at += COPY_CHUNK_SIZE) {
        await file.write(await segment.read(at, Math.min(size, at + COPY_CHUNK_SIZE)), at);
      }
      await file.commit(); // a staged copy may then leave memory (storage/staged-file.ts)
    } catch (err) {
      await file.close().catch(() => undefined);
      await dir.remove(name).catch(() => undefined);
      throw err;
    }
    // An export may have ended while the bytes were copied: count only the pins left.
    const users = readers();
    const copy: SideCopy = { dir, name, file, users: users.length };
    for (const p of users) p.copy = copy;
    if (users.length === 0) await removeCopy(copy).catch(() => undefined); // else the next open removes it
    return true;
  }

  /** Bytes [start, end) of segment `s` of snapshot `id`, within its pinned size. */
  async readSegment(id: number, s: number, start: number, end: number): Promise<Uint8Array> {
    const p = this.pinned(id, s);
    if (!(start >= 0 && start <= end && end <= p.size)) {
      throw new LogError(
        'InvalidArgument',
        `bytes [${start}, ${end}) are outside ${p.segment.name} (${p.size} bytes pinned)`,
      );
    }
    if (!p.readonly) return this.readWriterPin(p, start, end);
    // A readonly log's writer may rewrite the file (a delete) at any moment: the read then
    // fails (shorter file, file gone mid-rename) or returns other bytes. Either way the file
    // is no longer the pinned one, which the header's incarnation tells.
    let bytes: Uint8Array;
    try {
      bytes = await p.segment.read(start, end);
    } catch (err) {
      if (await this.rewritten(p)) throw rewrittenError(p);
      throw err;
    }
    if (await this.rewritten(p)) throw rewrittenError(p);
    return bytes;
  }

  /**
   * A pin of this engine's own: from the segment, or from its side copy once
   * a rewrite moved the bytes there. A read that started on the segment just
   * as the rewrite closed it is read again from the copy.
   */
  private async readWriterPin(p: PinnedSegment, start: number, end: number): Promise<Uint8Array> {
    const copy = p.copy;
    if (copy === null) {
      try {
        return await p.segment.read(start, end);
      } catch (err) {
        if (p.copy === null) throw err;
        return this.readWriterPin(p, start, end);
      }
    }
    const bytes = await copy.file.read(start, end - start);
    if (bytes.length !== end - start) {
      throw new LogError(
        'Corrupted',
        `${copy.name}: expected ${end - start} bytes at ${start}, file ends after ${bytes.length}`,
      );
    }
    return bytes;
  }

  /** Whether the file is no longer the one pinned (another incarnation, or gone). */
  private async rewritten(p: PinnedSegment): Promise<boolean> {
    // Gone or torn reads as null, which no pinned incarnation is.
    return (await p.segment.currentIncarnation()) !== p.incarnation;
  }

  /** Index rows (see indexes/rows.ts) for entries [from, to) of segment `s`. */
  readIndex(id: number, s: number, from: number, to: number): Uint8Array {
    const p = this.pinned(id, s);
    if (!(from >= 0 && from <= to && to <= p.count)) {
      throw new LogError(
        'InvalidArgument',
        `entries [${from}, ${to}) are outside ${p.segment.name} (${p.count} pinned)`,
      );
    }
    return p.segment.indexRows(from, to);
  }

  /** Unpins snapshot `id` and removes the side copies only it still used; unknown ids are ignored. */
  async release(id: number): Promise<void> {
    const pinned = this.pins.get(id) ?? [];
    this.pins.delete(id);
    for (const p of pinned) p.segment.unpinIndex();
    const unused: SideCopy[] = [];
    for (const { copy } of pinned) {
      if (copy && --copy.users === 0) unused.push(copy);
    }
    await Promise.all(unused.map(removeCopy));
  }

  /** Drops every pin and removes every side copy (the engine is closing). Never rejects. */
  async releaseAll(): Promise<void> {
    const copies = new Set(
      [...this.pins.values()]
        .flat()
        .map((p) => p.copy)
        .filter((c): c is SideCopy => c !== null),
    );
    this.pins.clear();
    await Promise.all([...copies].map((c) => removeCopy(c).catch(() => undefined)));
  }
}

/** Closes and removes a side copy; should the removal fail, the next writer open removes it. */
async function removeCopy(copy: SideCopy): Promise<void> {
  await copy.file.close();
  await copy.dir.remove(copy.name);
}
