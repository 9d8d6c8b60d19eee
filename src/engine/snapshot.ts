/**
 * Snapshots: a log pinned at one offset so that an archive export can copy it
 * while publishing goes on (see src/archive/export.ts).
 *
 * Pinning runs inside the engine's one-at-a-time queue, so it sees whole
 * publishes only. It records each segment's byte size and index entry count.
 * Afterwards sealed segments do not change and the head only grows, so bytes
 * [0, size) and entries [0, count) stay as they were, and reading them needs
 * no queue. Only a rewrite (delete) could change them: the engine waits for
 * `idle()` before it rewrites a segment.
 *
 * A readonly engine cannot hold back its writer (in another tab); there each
 * read checks that the segment file is still the one that was pinned.
 */
import { LogError } from '../errors.ts';
import { encodeIndexRows } from '../indexes/rows.ts';
import type { SegmentIndex } from '../indexes/segment-index.ts';
import type { Segment } from '../segment/segment.ts';
import { decodeHeader, SEGMENT_HEADER_SIZE } from '../segment/segment.ts';
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

interface PinnedSegment {
  segment: Segment;
  /** Pinned by a readonly engine, which cannot hold its writer back. */
  readonly: boolean;
  index: SegmentIndex;
  size: number;
  count: number;
  incarnation: number;
}

function rewrittenError(p: PinnedSegment): LogError {
  return new LogError('Locked', `${p.segment.name} was rewritten by the log's writer during the export; export again`);
}

export class SnapshotPins {
  private readonly pins = new Map<number, PinnedSegment[]>();
  private nextId = 1;
  private waiters: (() => void)[] = [];

  constructor(
    /** Whether the engine is closed (its files too): reads then reject `Closed`. */
    private readonly isClosed: () => boolean,
  ) {}

  /** Pins `segments` as they are now; call inside the engine's queue. */
  pin(dir: string, segments: Segment[], nextOffset: number, options: ResolvedOptions): RawSnapshot {
    const pinned = segments.map((segment) => ({
      segment, readonly: options.readonly, index: segment.index, size: segment.size, count: segment.index.count, incarnation: segment.incarnation,
    }));
    const id = this.nextId++;
    this.pins.set(id, pinned);
    return {
      id,
      dir,
      nextOffset,
      options: { keyIndex: options.keyIndex, timeIndex: options.timeIndex, rollover: options.rollover },
      segments: pinned.map((p) => ({
        name: p.segment.name, base: p.segment.base, size: p.size, incarnation: p.incarnation, messages: p.count,
      })),
    };
  }

  private pinned(id: number, s: number): PinnedSegment {
    if (this.isClosed()) throw new LogError('Closed', 'the log was closed during the export');
    const found = this.pins.get(id)?.[s];
    if (!found) throw new LogError('InvalidArgument', `snapshot ${id} has no segment ${s} (released?)`);
    return found;
  }

  /** Bytes [start, end) of segment `s` of snapshot `id`, within its pinned size. */
  async readSegment(id: number, s: number, start: number, end: number): Promise<Uint8Array> {
    const p = this.pinned(id, s);
    if (!(start >= 0 && start <= end && end <= p.size)) {
      throw new LogError('InvalidArgument', `bytes [${start}, ${end}) are outside ${p.segment.name} (${p.size} bytes pinned)`);
    }
    if (!p.readonly) return p.segment.read(start, end);
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

  /** Whether the file is no longer the one pinned (another incarnation, or gone). */
  private async rewritten(p: PinnedSegment): Promise<boolean> {
    try {
      const header = await p.segment.file.read(0, SEGMENT_HEADER_SIZE);
      return decodeHeader(header, p.segment.base) !== p.incarnation;
    } catch {
      return true;
    }
  }

  /** Index rows (see indexes/rows.ts) for entries [from, to) of segment `s`. */
  readIndex(id: number, s: number, from: number, to: number): Uint8Array {
    const p = this.pinned(id, s);
    if (!(from >= 0 && from <= to && to <= p.count)) {
      throw new LogError('InvalidArgument', `entries [${from}, ${to}) are outside ${p.segment.name} (${p.count} pinned)`);
    }
    return encodeIndexRows(p.index, from, to);
  }

  /** Unpins snapshot `id`; unknown ids are ignored. */
  release(id: number): void {
    this.pins.delete(id);
    if (this.pins.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no snapshot is pinned: a rewrite of a segment waits here. */
  idle(): Promise<void> {
    if (this.pins.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
