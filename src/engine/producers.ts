/**
 * Idempotent publish, as Kafka's idempotent producer: a publish may name its
 * producer (an id) and its sequence number, and the engine remembers, for each
 * producer's recent publishes, the next offset each resolved to. A publish
 * sent again because its answer was lost (a tab that forwarded it saw the tab
 * owning the log die first) is then answered again, not appended twice.
 *
 * The table is durable beside the segments, in `producers`. An entry is
 * appended (and flushed with the segments, before them) ahead of its batch's
 * records, and trusted on open only if the log holds the offsets it names: a
 * crash between the two leaves an entry for offsets that never made it, and
 * `open` drops it before anything else could take those offsets.
 *
 * Entry layout, little-endian (named below): crc32c u32 over the rest ·
 * id length u16 · reserved u16 · seq u32 · count u32 · first offset u64 · id.
 */
import { crc32c } from '../codec/crc32.ts';
import { getU64, setU64 } from '../codec/u64.ts';
import { invalidArgument } from '../errors.ts';
import type { Directory, StoredFile } from '../storage/files.ts';
import { writeWholeFile } from '../storage/write-file.ts';

export const PRODUCERS_FILE = 'producers';
const COMPACTED_SUFFIX = '.tmp';

const ENT_CRC = 0;
const ENT_ID_LEN = 4;
const ENT_SEQ = 8;
const ENT_COUNT = 12;
const ENT_FIRST = 16;
const ENT_HEADER_SIZE = 24;

/** Longest producer id, in UTF-8 bytes. */
export const MAX_PRODUCER_ID = 64;
/** Publishes remembered per producer: how many may be in flight, and so retried, at once. */
export const PRODUCER_WINDOW = 64;
/** Producers remembered; the one heard from longest ago is forgotten first. */
export const MAX_PRODUCERS = 256;
/**
 * The file's size from which `record` writes it back compacted, once it also
 * holds twice what is remembered: on the async backend every publish commits
 * the whole file, so it must not grow with the log.
 */
export const COMPACT_FROM = 64 * 1024;

/** Who sent a publish, and its place among that producer's publishes. */
export interface Producer {
  id: string;
  seq: number;
}

interface Entry extends Producer {
  first: number;
  count: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Checks a producer that came with a publish; InvalidArgument if malformed. */
export function checkProducer(producer: unknown): Producer {
  const p = producer as Partial<Producer> | null;
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || p.id.length === 0) {
    throw invalidArgument('a producer needs a non-empty string id');
  }
  if (utf8.encode(p.id).length > MAX_PRODUCER_ID)
    throw invalidArgument(`a producer id is at most ${MAX_PRODUCER_ID} bytes`);
  if (typeof p.seq !== 'number' || !Number.isSafeInteger(p.seq) || p.seq < 0 || p.seq >= 2 ** 32) {
    throw invalidArgument('a producer seq is an integer from 0 to 2^32 - 1');
  }
  return { id: p.id, seq: p.seq };
}

function encodeEntry(e: Entry): Uint8Array {
  const id = utf8.encode(e.id);
  const bytes = new Uint8Array(ENT_HEADER_SIZE + id.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(ENT_ID_LEN, id.length, true);
  view.setUint32(ENT_SEQ, e.seq, true);
  view.setUint32(ENT_COUNT, e.count, true);
  setU64(view, ENT_FIRST, e.first);
  bytes.set(id, ENT_HEADER_SIZE);
  view.setUint32(ENT_CRC, crc32c(bytes, ENT_CRC + 4, bytes.length), true);
  return bytes;
}

/** The whole entries of `bytes`, up to the first torn or damaged one (a crash mid-append). */
function decodeEntries(bytes: Uint8Array): Entry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: Entry[] = [];
  for (let at = 0; at + ENT_HEADER_SIZE <= bytes.length; ) {
    const end = at + ENT_HEADER_SIZE + view.getUint16(at + ENT_ID_LEN, true);
    if (end > bytes.length || crc32c(bytes, at + ENT_CRC + 4, end) !== view.getUint32(at + ENT_CRC, true)) break;
    entries.push({
      id: fromUtf8.decode(bytes.subarray(at + ENT_HEADER_SIZE, end)),
      seq: view.getUint32(at + ENT_SEQ, true),
      count: view.getUint32(at + ENT_COUNT, true),
      first: getU64(view, at + ENT_FIRST),
    });
    at = end;
  }
  return entries;
}

type Known = Map<string, Map<number, number>>;

/** Remembers, in `known`, that publish `seq` of producer `id` resolved to `next`, within the bounds. */
function remember(known: Known, id: string, seq: number, next: number): void {
  let recent = known.get(id);
  if (recent) known.delete(id); // re-inserted below: the map's order is the order last heard from
  recent ??= new Map();
  recent.set(seq, next);
  if (recent.size > PRODUCER_WINDOW) recent.delete(recent.keys().next().value!);
  known.set(id, recent);
  if (known.size > MAX_PRODUCERS) known.delete(known.keys().next().value!);
}

/** `known` as entries to write; each covers no offsets and ends at its publish's next. */
function entriesOf(known: Known): Entry[] {
  const out: Entry[] = [];
  for (const [id, recent] of known) for (const [seq, next] of recent) out.push({ id, seq, first: next, count: 0 });
  return out;
}

export class ProducerTable {
  private constructor(
    private readonly dir: Directory,
    /** Opened on the first entry: a log whose publishes name no producer never has the file. */
    private file: StoredFile | null,
    private size: number,
    /** Producer id → its recent publishes' seq → the next offset the publish resolved to. */
    private readonly known: Known,
  ) {}

  /** The file's size at which `oversized` next counts what is remembered. */
  private compactAt = COMPACT_FROM;

  /**
   * Opens the table of a log whose next offset is `next`, keeping only the
   * entries whose offsets the log holds. If any is dropped, or the file holds
   * much more than is remembered, it is written back compacted (through a
   * copy renamed over it, so a crash leaves one or the other). `listed`: the
   * directory's file names, if the caller listed it already.
   */
  static async open(dir: Directory, next: number, listed?: readonly string[]): Promise<ProducerTable> {
    if (!(await finishCompaction(dir, listed))) return new ProducerTable(dir, null, 0, new Map());
    const file = await dir.openFile(PRODUCERS_FILE, { create: false, readonly: false });
    let entries: Entry[];
    let size: number;
    try {
      size = await file.size();
      entries = decodeEntries(await file.read(0, size));
    } catch (err) {
      await file.close();
      throw err;
    }
    const known: Known = new Map();
    let kept = 0;
    for (const e of entries) {
      if (e.first + e.count > next) continue; // its batch never made it
      remember(known, e.id, e.seq, e.first + e.count);
      kept++;
    }
    const remembered = entriesOf(known);
    const written = entries.reduce((n, e) => n + ENT_HEADER_SIZE + utf8.encode(e.id).length, 0);
    if (kept === entries.length && written === size && entries.length <= 2 * remembered.length) {
      return new ProducerTable(dir, file, size, known);
    }
    await file.close();
    const table = new ProducerTable(dir, null, 0, known);
    await table.writeCompacted();
    return table;
  }

  /**
   * Writes what is remembered back as the whole file, through a copy renamed
   * over it (a crash leaves one or the other: see `finishCompaction`), and
   * goes on appending to that.
   */
  private async writeCompacted(): Promise<void> {
    await this.file?.close();
    this.file = null;
    const compacted = entriesOf(this.known).map(encodeEntry);
    await writeWholeFile(this.dir, PRODUCERS_FILE + COMPACTED_SUFFIX, compacted);
    await this.dir.rename(PRODUCERS_FILE + COMPACTED_SUFFIX, PRODUCERS_FILE);
    this.file = await this.dir.openFile(PRODUCERS_FILE, { create: true, readonly: false });
    this.size = compacted.reduce((n, bytes) => n + bytes.length, 0);
  }

  /**
   * Whether the file holds at least `COMPACT_FROM` bytes and twice what is
   * remembered. Counting that walks every producer, so a publish does it only
   * once the file reaches the size the last count named.
   */
  private oversized(): boolean {
    if (this.size < this.compactAt) return false;
    let remembered = 0;
    for (const [id, recent] of this.known) remembered += recent.size * (ENT_HEADER_SIZE + utf8.encode(id).length);
    this.compactAt = Math.max(COMPACT_FROM, 2 * remembered);
    return this.size >= this.compactAt;
  }

  /** The next offset the publish `seq` of producer `id` resolved to, if it is one of its recent ones. */
  lookup(id: string, seq: number): number | undefined {
    return this.known.get(id)?.get(seq);
  }

  /**
   * Appends the entry of a publish about to write offsets [first, first + count);
   * call before writing its records. Returns what undoes it, for a batch whose
   * write failed (its offsets will be taken by another).
   */
  async record(producer: Producer, first: number, count: number): Promise<() => Promise<void>> {
    if (this.oversized()) await this.writeCompacted();
    this.file ??= await this.dir.openFile(PRODUCERS_FILE, { create: true, readonly: false });
    const file = this.file;
    const start = this.size;
    const undo = async () => {
      await file.truncate(start).catch(() => undefined);
      this.size = start;
    };
    const bytes = encodeEntry({ ...producer, first, count });
    try {
      await file.write(bytes, start);
      // Committed before its batch (a staged file's writes are in the file only then): never less durable.
      await file.commit();
    } catch (err) {
      await undo();
      throw err;
    }
    this.size = start + bytes.length;
    return undo;
  }

  /** Remembers that publish `seq` of producer `id` resolved to `next`. */
  remember(id: string, seq: number, next: number): void {
    remember(this.known, id, seq, next);
  }

  async flush(): Promise<void> {
    await this.file?.flush();
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}

/**
 * Which of the table's files are in `dir`, as a listing would say, found by
 * looking for the two (listing thousands of segment files takes tens of
 * milliseconds or more).
 */
export async function tableFiles(dir: Directory): Promise<string[]> {
  const names = [PRODUCERS_FILE + COMPACTED_SUFFIX, PRODUCERS_FILE];
  const there = await Promise.all(names.map((name) => dir.exists(name)));
  return names.filter((_, i) => there[i]);
}

/**
 * Finishes a compaction that a crash interrupted (its copy is whole only if
 * the original is gone, see rename); says whether the table's file exists.
 * `listed`: the directory's names (or `tableFiles`) if the caller has them.
 */
async function finishCompaction(dir: Directory, listed?: readonly string[]): Promise<boolean> {
  const tmp = PRODUCERS_FILE + COMPACTED_SUFFIX;
  const names = listed ?? (await tableFiles(dir));
  const hasTable = names.includes(PRODUCERS_FILE);
  if (!names.includes(tmp)) return hasTable;
  if (hasTable) await dir.remove(tmp);
  else await dir.rename(tmp, PRODUCERS_FILE);
  return true;
}
