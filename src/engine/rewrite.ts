/**
 * Deleting messages rewrites the one segment that holds them: the survivors
 * go to `X.log.tmp`, which is flushed and renamed over `X.log` (load.ts
 * finishes or drops an interrupted rename on open). Its IndexedDB record is
 * removed first, so a crash never pairs a new file with an old index. A
 * segment left with nothing is removed instead, its file first.
 */
import { readRecord, setBatchLeft } from '../codec/record.ts';
import { LogError } from '../errors.ts';
import type { IndexStore, SavedIndex } from '../indexes/store.ts';
import { Segment } from '../segment/segment.ts';
import type { FilePool } from '../segment/file-pool.ts';
import { REWRITE_SUFFIX } from './load.ts';

export interface RewriteContext {
  pool: FilePool;
  path: string;
  store: IndexStore;
  /** Index bytes per message, counted in `deletedSize`. */
  entrySize: number;
  /** The log's segments; `segments[s]` is replaced or removed in place. */
  segments: Segment[];
  s: number;
  wanted: Set<number>;
}

export interface RewriteResult {
  deletedOffsets: number[];
  deletedSize: number;
  /** Index records to persist for the rewritten segment. */
  records: SavedIndex[];
}

/** Copies the records of `bytes` not in `wanted`, each made a batch of its own. */
function survivors(bytes: Uint8Array, wanted: Set<number>, entrySize: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: [number, number][] = [];
  const deletedOffsets: number[] = [];
  let deletedSize = 0;
  let keptSize = 0;
  for (let at = 0; at < bytes.length; ) {
    const r = readRecord(bytes, view, at, bytes.length, false)!;
    if (wanted.has(r.offset)) {
      deletedOffsets.push(r.offset);
      deletedSize += r.size + entrySize;
    } else {
      kept.push([at, r.size]);
      keptSize += r.size;
    }
    at += r.size;
  }
  const out = new Uint8Array(keptSize);
  const outView = new DataView(out.buffer);
  let pos = 0;
  for (const [at, size] of kept) {
    out.set(bytes.subarray(at, at + size), pos);
    setBatchLeft(out, outView, pos, size, 0);
    pos += size;
  }
  return { out, deletedOffsets, deletedSize };
}

export async function rewriteSegment(ctx: RewriteContext): Promise<RewriteResult> {
  const { pool, segments, s } = ctx;
  const dir = pool.dir;
  const seg = segments[s];
  if (!seg) throw new LogError('Internal', `no segment number ${s} to rewrite`);
  const { out, deletedOffsets, deletedSize } = survivors(
    await seg.readEntries(0, seg.count),
    ctx.wanted,
    ctx.entrySize,
  );
  let prevMaxTime = -Infinity;
  for (const before of segments.slice(0, s)) if (before.count > 0) prevMaxTime = before.maxTime;

  if (out.length === 0 && s < segments.length - 1) {
    // A whole segment goes, its file first: IndexedDB refuses even a removal at the quota (Firefox), and
    // trims there are what makes room. A record left of no file misleads nothing, and goes after the next
    // open (load.ts `removeLeftovers`).
    await seg.close();
    await dir.remove(seg.name);
    segments.splice(s, 1);
    await ctx.store.remove(ctx.path, seg.base).catch(() => undefined);
    return { deletedOffsets, deletedSize, records: [] };
  }
  await ctx.store.remove(ctx.path, seg.base);
  await seg.close();
  const tmp = seg.name + REWRITE_SUFFIX;
  try {
    await Segment.writeFile(dir, tmp, seg.base, out);
    await dir.rename(tmp, seg.name);
  } catch (err) {
    // The original is intact (the rename is the commit point): reopen it and report.
    await dir.remove(tmp);
    segments[s] = await reload(ctx, prevMaxTime);
    throw err;
  }
  const segment = await reload(ctx, prevMaxTime);
  segments[s] = segment;
  return { deletedOffsets, deletedSize, records: [segment.saved(ctx.path, s < segments.length - 1)] };
}

/** Opens segment `s` again after its rewrite (or a failed one), kept open if it is the head. */
async function reload(ctx: RewriteContext, prevMaxTime: number): Promise<Segment> {
  const { segments, s } = ctx;
  const { segment } = await Segment.load(ctx.pool, segments[s]!.name, undefined, prevMaxTime);
  segment.keepOpen(s === segments.length - 1);
  return segment;
}
