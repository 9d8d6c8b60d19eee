// Page-side tools of recovery.spec.ts, loaded into the harness page with a
// dynamic import. They damage a closed log's files from the page's main thread
// with the plain OPFS API (`createWritable`, `removeEntry`; the worker's sync
// access handles are exclusive, so the log must be closed first), edit its
// records in IndexedDB, publish messages whose every byte is known, and read a
// log back to compare it, message by message, with what it should hold.
//
// Kept apart from harness.ts on purpose: the engine never sees this module;
// what it knows of the on-disk format (src/codec/record.ts,
// src/segment/segment.ts, src/indexes/store.ts) is restated here, so a
// change of format shows up as a failing test rather than passing silently.
import type { Log, Message, NewMessage } from '../../src/index.ts';

export const SEGMENT_HEADER_SIZE = 24;
export const RECORD_HEADER_SIZE = 32;
const IDB_NAME = 'opfs-log';
const IDB_VERSION = 6;
const IDB_STORE = 'segments';
const IDB_CURSORS = 'cursors';

// ---------------------------------------------------------------------------
// Messages whose content follows from (offset, generation)

/** 2024-01-01T00:00:00Z: message times are this plus whole seconds. */
const T0 = Date.UTC(2024, 0, 1);

/** What a message published at `offset` by generation `gen` holds. */
export interface Expected {
  key: Uint8Array;
  value: Uint8Array | null;
  time: number;
}

/**
 * Message `offset` of generation `gen` (0 before a recovery, 1 after, …):
 * keys `k<o % 7>` (generation 0) or `n<o % 7>` (later ones); values of 0 to
 * 400 bytes, all 256 byte values; times one second apart, except every tenth
 * message (o % 10 == 7), which is five seconds older than its predecessor,
 * so the time index's running maximum matters.
 */
export function expected(offset: number, gen: number): Expected {
  const key = new TextEncoder().encode(`${gen === 0 ? 'k' : 'n'}${offset % 7}`);
  const length = offset % 13 === 4 ? 0 : 1 + ((offset * 53 + gen * 17) % 400);
  const value = new Uint8Array(length);
  for (let j = 0; j < length; j++) value[j] = (offset * 31 + j * 7 + gen * 101) & 0xff;
  const seconds = offset % 10 === 7 ? offset - 5 : offset;
  return { key, value: length === 0 ? null : value, time: T0 + seconds * 1000 };
}

function hex(bytes: Uint8Array | null): string {
  if (bytes === null) return 'null';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${bytes.length}B:${head}${bytes.length > 8 ? '…' : ''}`;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why `m` is not message `offset` of generation `gen`, or null if it is, byte for byte. */
export function mismatch(m: Message, offset: number, gen: number): string | null {
  const want = expected(offset, gen);
  if (m.offset !== offset) return `expected offset ${offset}, got ${m.offset}`;
  if (!sameBytes(m.key, want.key)) return `offset ${offset}: key ${hex(m.key)}, expected ${hex(want.key)}`;
  if (!sameBytes(m.value, want.value)) return `offset ${offset}: value ${hex(m.value)}, expected ${hex(want.value)}`;
  if (m.time !== want.time) return `offset ${offset}: time ${m.time}, expected ${want.time}`;
  return null;
}

function log(name: string): Log {
  return window.harness.log(name);
}

/**
 * Publishes batches of `sizes` messages of generation `gen` from offset
 * `from` to the log kept as `name`; checks each resolves to the right next
 * offset and returns the last.
 */
async function publish(name: string, from: number, sizes: number[], gen: number): Promise<number> {
  let next = from;
  for (const size of sizes) {
    const batch: NewMessage[] = Array.from({ length: size }, (_, i) => expected(next + i, gen));
    const got = await log(name).publish(batch);
    if (got !== next + size)
      throw new Error(`publish of ${size} at ${next} resolved to ${got}, expected ${next + size}`);
    next = got;
  }
  return next;
}

/** Settles a promise into what crosses `page.evaluate`. */
async function settle<T>(p: Promise<T>) {
  return window.harness.settle(p);
}

/**
 * Reads the whole log kept as `name` and compares it with `gens` (the
 * generation of each offset from 0; its length is the expected next offset):
 * nextOffset, consume from the oldest, get, and where `indexes` says so, every
 * key's getByKey and consumeByKey and a getByTime at and just after every
 * message's time. Returns what differed (empty: all as expected).
 */
async function verify(name: string, gens: number[], indexes: { key: boolean; time: boolean }): Promise<string[]> {
  const { OffsetOldest, OffsetNewest } = window.harness.lib;
  const target = log(name);
  const problems: string[] = [];
  const next = gens.length;
  const add = (p: string | null) => {
    if (p !== null && problems.length < 20) problems.push(p);
  };
  const describe = (s: Awaited<ReturnType<typeof settle>>) => (s.ok ? 'ok' : `${s.code}: ${s.error.split('\n')[0]}`);

  const gotNext = await target.nextOffset();
  if (gotNext !== next) add(`nextOffset is ${gotNext}, expected ${next}`);

  // Everything, in order, by consume.
  let at: number = OffsetOldest;
  let count = 0;
  for (let round = 0; round < 10_000; round++) {
    const s = await settle(target.consume(at, 16));
    if (!s.ok) {
      add(`consume(${at}) rejected ${describe(s)}`);
      break;
    }
    const batch = s.value as Awaited<ReturnType<Log['consume']>>;
    for (const m of batch.messages) {
      add(count < next ? mismatch(m, count, gens[count]!) : `extra message at offset ${m.offset}`);
      count++;
    }
    if (batch.messages.length === 0 && batch.nextOffset === (at < 0 ? next : at)) break;
    if (at >= 0 && batch.nextOffset <= at) {
      add(`consume(${at}) did not advance: next ${batch.nextOffset}`);
      break;
    }
    at = batch.nextOffset;
  }
  if (count !== next) add(`consume read ${count} messages, expected ${next}`);

  // By offset: a spread of them, the sentinels, and just past the end.
  const probes = new Set([0, next - 1, ...gens.map((_, o) => o).filter((o) => o % 5 === 2)]);
  for (const o of probes) {
    const gen = gens[o];
    if (gen === undefined) continue; // next - 1 and 0 of an empty log: `past` below asks for those
    const s = await settle(target.get(o));
    add(s.ok ? mismatch(s.value as Message, o, gen) : `get(${o}) rejected ${describe(s)}`);
  }
  if (next > 0) {
    const newest = await settle(target.get(OffsetNewest));
    add(
      newest.ok
        ? mismatch(newest.value as Message, next - 1, gens[next - 1]!)
        : `get(OffsetNewest) rejected ${describe(newest)}`,
    );
  }
  const past = await settle(target.get(next));
  if (past.ok || past.code !== 'InvalidOffset')
    add(`get(${next}) (the next offset) gave ${describe(past)}, expected InvalidOffset`);

  if (indexes.key) {
    const keys = new Map<string, number[]>();
    for (const prefix of ['k', 'n']) for (let k = 0; k < 7; k++) keys.set(`${prefix}${k}`, []);
    gens.forEach((g, o) => {
      keys.get(new TextDecoder().decode(expected(o, g).key))!.push(o);
    });
    for (const [text, offsets] of keys) {
      const key = new TextEncoder().encode(text);
      const s = await settle(target.getByKey(key));
      const last = offsets.at(-1);
      if (last === undefined) {
        if (s.ok || s.code !== 'NotFound')
          add(
            `getByKey(${text}) gave ${s.ok ? `offset ${(s.value as Message).offset}` : describe(s)}, expected NotFound`,
          );
      } else {
        add(
          s.ok
            ? mismatch(s.value as Message, last, gens[last]!) // a key's offsets are below next
            : `getByKey(${text}) rejected ${describe(s)}, expected offset ${last}`,
        );
      }
      const found: number[] = [];
      let from: number = OffsetOldest;
      for (let round = 0; round < 1000; round++) {
        const c = await settle(target.consumeByKey(key, from, 1000));
        if (!c.ok) {
          add(`consumeByKey(${text}, ${from}) rejected ${describe(c)}`);
          break;
        }
        const batch = c.value as Awaited<ReturnType<Log['consumeByKey']>>;
        for (const m of batch.messages) {
          found.push(m.offset);
          if (m.offset < next) add(mismatch(m, m.offset, gens[m.offset]!));
        }
        if (batch.nextOffset >= next) break;
        from = batch.nextOffset;
      }
      if (found.join() !== offsets.join()) add(`consumeByKey(${text}) found [${found}], expected [${offsets}]`);
    }
  }

  if (indexes.time) {
    // The first message whose running maximum time is at or after `start`.
    const runningMax: number[] = [];
    gens.forEach((g, o) => {
      runningMax.push(Math.max(runningMax[o - 1] ?? -Infinity, expected(o, g).time));
    });
    const starts = new Set<number>();
    gens.forEach((g, o) => {
      const t = expected(o, g).time;
      starts
        .add(t)
        .add(t + 1)
        .add(t - 0.5);
    });
    for (const start of [...starts].sort((a, b) => a - b)) {
      const want = runningMax.findIndex((t) => t >= start);
      const s = await settle(target.getByTime(start));
      if (want < 0) {
        if (s.ok || s.code !== 'NotFound')
          add(
            `getByTime(${start}) gave ${s.ok ? `offset ${(s.value as Message).offset}` : describe(s)}, expected NotFound`,
          );
      } else {
        add(
          s.ok
            ? mismatch(s.value as Message, want, gens[want]!) // runningMax has one entry per gen
            : `getByTime(${start}) rejected ${describe(s)}, expected offset ${want}`,
        );
      }
    }
    if (next > 0) {
      const after = runningMax[next - 1]! + 1;
      const s = await settle(target.getByTime(after));
      if (s.ok || s.code !== 'NotFound')
        add(`getByTime(${after}) (after every message) gave ${describe(s)}, expected NotFound`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// OPFS, from the main thread

async function dirHandle(path: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of path.split('/')) dir = await dir.getDirectoryHandle(part);
  return dir;
}

/** The files of `path` (not subdirectories), by name, with their sizes. */
async function files(path: string): Promise<{ name: string; size: number }[]> {
  const dir = await dirHandle(path);
  const out: { name: string; size: number }[] = [];
  for await (const [name, handle] of (
    dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
  ).entries()) {
    if (handle.kind === 'file') out.push({ name, size: (await (handle as FileSystemFileHandle).getFile()).size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Segment file names of `path` (`%020d.log`), in offset order. */
async function segments(path: string): Promise<string[]> {
  return (await files(path)).map((f) => f.name).filter((n) => /^\d{20}\.log$/.test(n));
}

async function readFile(path: string, name: string): Promise<Uint8Array<ArrayBuffer>> {
  const file = await (await (await dirHandle(path)).getFileHandle(name)).getFile();
  return new Uint8Array(await file.arrayBuffer());
}

/** Opens a writable on `name` (created if `create`), applies `edit`, commits. */
async function edit(
  path: string,
  name: string,
  create: boolean,
  change: (w: FileSystemWritableFileStream) => Promise<void>,
) {
  const handle = await (await dirHandle(path)).getFileHandle(name, { create });
  const writable = await handle.createWritable({ keepExistingData: !create });
  try {
    await change(writable);
  } catch (err) {
    await writable.abort();
    throw err;
  }
  await writable.close();
}

async function truncate(path: string, name: string, size: number): Promise<void> {
  await edit(path, name, false, (w) => w.truncate(size));
}

/** XORs the byte at `position` with `mask`. */
async function flip(path: string, name: string, position: number, mask = 0xff): Promise<void> {
  const bytes = await readFile(path, name);
  if (position >= bytes.length) throw new Error(`${name} has ${bytes.length} bytes, cannot flip byte ${position}`);
  const data = new Uint8Array([bytes[position]! ^ mask]);
  await edit(path, name, false, (w) => w.write({ type: 'write', position, data }));
}

/** Creates (or replaces) `name` holding exactly `bytes`. */
async function writeFile(path: string, name: string, bytes: Uint8Array<ArrayBuffer> | number[]): Promise<void> {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  await edit(path, name, true, (w) => w.write({ type: 'write', position: 0, data }));
}

/** Copies `from` to a new file `to` in the same directory. */
async function copyFile(path: string, from: string, to: string): Promise<void> {
  await writeFile(path, to, await readFile(path, from));
}

async function removeFile(path: string, name: string): Promise<void> {
  await (await dirHandle(path)).removeEntry(name);
}

/** One record of a segment file, as its framing says. */
export interface RecordInfo {
  at: number;
  end: number;
  offset: number;
  batchLeft: number;
}

/**
 * Walks the records of a segment file by their framing (no CRC check).
 * `end` is where the walk stopped: the file's size if it holds whole records only.
 */
async function records(path: string, name: string) {
  const bytes = await readFile(path, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RecordInfo[] = [];
  let at = SEGMENT_HEADER_SIZE;
  while (at + RECORD_HEADER_SIZE <= bytes.length) {
    const size = RECORD_HEADER_SIZE + view.getUint32(at + 8, true) + view.getUint32(at + 12, true);
    if (at + size > bytes.length) break;
    const offset = view.getUint32(at + 16, true) + view.getUint32(at + 20, true) * 2 ** 32;
    out.push({ at, end: at + size, offset, batchLeft: view.getUint32(at + 4, true) });
    at += size;
  }
  const incarnation = bytes.length >= SEGMENT_HEADER_SIZE ? view.getUint32(16, true) : null;
  return { records: out, end: Math.min(at, bytes.length), size: bytes.length, incarnation };
}

// ---------------------------------------------------------------------------
// IndexedDB: the `segments` store of database `opfs-log`

/** A record of the store without its packed index data (which does not cross `page.evaluate`). */
export interface IndexRecordInfo {
  dir: string;
  base: number;
  incarnation: number;
  size: number;
  count: number;
}

interface IndexRecord extends IndexRecordInfo {
  data: ArrayBuffer;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Opens the database as the engine does (creating the store if it is new), so it is never left without it. */
async function withStore<T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => Promise<T>): Promise<T> {
  const open = indexedDB.open(IDB_NAME, IDB_VERSION);
  open.onupgradeneeded = () => {
    const names = open.result.objectStoreNames;
    if (!names.contains(IDB_STORE)) open.result.createObjectStore(IDB_STORE, { keyPath: ['dir', 'base'] });
    if (!names.contains(IDB_CURSORS)) open.result.createObjectStore(IDB_CURSORS, { keyPath: ['dir', 'name'] });
    for (const store of ['summaryPages', 'filters', 'keyFilters'])
      if (!names.contains(store)) open.result.createObjectStore(store, { keyPath: ['dir', 'base'] });
    if (!names.contains('knownFiles')) open.result.createObjectStore('knownFiles', { keyPath: 'dir' });
  };
  const db = await request(open);
  try {
    const tx = db.transaction(IDB_STORE, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    });
    const result = await use(tx.objectStore(IDB_STORE));
    await done;
    return result;
  } finally {
    db.close();
  }
}

function range(dir: string): IDBKeyRange {
  return IDBKeyRange.bound([dir, -Infinity], [dir, Infinity]);
}

async function indexRecordsFull(dir: string): Promise<IndexRecord[]> {
  return withStore('readonly', (s) => request(s.getAll(range(dir)) as IDBRequest<IndexRecord[]>));
}

/** The records of log `dir`, by base. */
async function indexRecords(dir: string): Promise<IndexRecordInfo[]> {
  return (await indexRecordsFull(dir)).map(({ dir: d, base, incarnation, size, count }) => ({
    dir: d,
    base,
    incarnation,
    size,
    count,
  }));
}

/**
 * Changes the record of segment `base` by `patch`. With `copy`, the original
 * stays and the patched record is added (give it another `base`).
 */
async function patchIndexRecord(
  dir: string,
  base: number,
  patch: Partial<IndexRecordInfo>,
  copy = false,
): Promise<void> {
  await withStore('readwrite', async (s) => {
    const record = (await request(s.get([dir, base]))) as IndexRecord | undefined;
    if (!record) throw new Error(`no IndexedDB record for ${dir} base ${base}`);
    const patched = { ...record, ...patch };
    if (!copy && (patched.base !== base || patched.dir !== dir)) await request(s.delete([dir, base]));
    await request(s.put(patched));
  });
}

const stashed = new Map<string, IndexRecord>();

/** Waits until the record of segment `base` covers `count` messages, and keeps a copy of it. */
async function stashIndexRecord(dir: string, base: number, count: number, timeoutMs = 5000): Promise<IndexRecordInfo> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const record = (await indexRecordsFull(dir)).find((r) => r.base === base);
    if (record && record.count === count) {
      stashed.set(`${dir}\0${base}`, record);
      const { data: _data, ...info } = record;
      return info;
    }
    if (Date.now() > until)
      throw new Error(`no IndexedDB record of ${count} messages for ${dir} base ${base} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Puts a stashed record back, replacing what the store holds for that segment. */
async function restoreIndexRecord(dir: string, base: number): Promise<void> {
  const record = stashed.get(`${dir}\0${base}`);
  if (!record) throw new Error(`nothing stashed for ${dir} base ${base}`);
  await withStore('readwrite', (s) => request(s.put(record)));
}

/** Deletes the whole database; says whether an open connection blocked it first. */
async function deleteIndexDatabase(timeoutMs = 5000): Promise<{ blocked: boolean; exists: boolean }> {
  let blocked = false;
  await new Promise<void>((resolve, reject) => {
    const r = indexedDB.deleteDatabase(IDB_NAME);
    const timer = setTimeout(
      () => reject(new Error(`deleteDatabase(${IDB_NAME}) did not finish in ${timeoutMs} ms (blocked: ${blocked})`)),
      timeoutMs,
    );
    r.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    r.onerror = () => {
      clearTimeout(timer);
      reject(r.error);
    };
    r.onblocked = () => (blocked = true);
  });
  const exists = (await indexedDB.databases()).some((d) => d.name === IDB_NAME);
  return { blocked, exists };
}

const tools = {
  expected,
  publish,
  verify,
  files,
  segments,
  readFile,
  truncate,
  flip,
  writeFile,
  copyFile,
  removeFile,
  records,
  indexRecords,
  patchIndexRecord,
  stashIndexRecord,
  restoreIndexRecord,
  deleteIndexDatabase,
};

export type RecoveryTools = typeof tools;

declare global {
  interface Window {
    recovery: RecoveryTools;
  }
}

window.recovery = tools;
