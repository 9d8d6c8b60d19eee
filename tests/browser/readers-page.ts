// Page-side tools of readers.spec.ts and model.spec.ts, loaded into the
// harness page with a dynamic import (as recovery-page.ts is). A writer tab
// runs a workload and records its history: every message it published with
// its content, every offset its deletes, trims and compactions removed, and
// when (Date.now() before and after each call; the tabs share the clock). A
// reader tab reads in a loop and records every call with what it answered.
// Nothing is judged here: model-check.ts judges the two records in Node.
import type { Batch, Log, Message, NewMessage, Options } from '../../src/index.ts';
import { errorOf, mulberry32 } from './shared-tools.ts';

// ---------------------------------------------------------------------------
// What crosses page.evaluate

/** A message as the checks compare it: the value by length and FNV-1a digest. */
export interface Seen {
  offset: number;
  key: string | null;
  /** -1 for a null value. */
  length: number;
  digest: string;
  time: number;
}

/** One publish: its messages are offsets `first` … `first + messages.length - 1`. */
export interface PublishEvent {
  first: number;
  messages: Seen[];
  start: number;
  end: number;
}

/** One call that removes messages (delete, a trim, a compaction), and what it removed. */
export interface DeleteEvent {
  op: string;
  deleted: number[];
  start: number;
  end: number;
}

export interface History {
  publishes: PublishEvent[];
  deletes: DeleteEvent[];
  /** Every writer operation in order, for a failure's report. */
  ops: string[];
  /** A writer call that failed, or answered what it should not have. */
  problems: string[];
  /** The writer's own view of the log when the run ended. */
  final: LogView | null;
}

/** One reader call and its answer. */
export interface ReadCall {
  call: 'consume' | 'blocking' | 'get' | 'getByKey' | 'getByTime' | 'nextOffset';
  /** consume/blocking/get: the offset; getByKey: the key; getByTime: the time. */
  arg: number | string;
  max?: number;
  /** The largest next offset this reader had seen before the call. */
  before: number;
  start: number;
  end: number;
  ok: boolean;
  messages?: Seen[];
  next?: number;
  /** The LogError code, or the error's name for anything else. */
  code?: string;
  error?: string;
}

/** Everything a log answers, for comparing a reader with the writer. */
export interface LogView {
  /** -1 if nextOffset rejected. */
  next: number;
  messages: Seen[];
  /** Why consume stopped before the end, if it did. */
  consumeError: string | null;
  /** get(o) for every o in [0, next]: the message or the error code. */
  gets: (Seen | string)[];
  oldest: Seen | string;
  newest: Seen | string;
  byKey: Record<string, Seen | string>;
  byTime: Record<string, Seen | string>;
  stat: { segments: number; messages: number } | string;
}

// ---------------------------------------------------------------------------
// Content

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** 2024-01-01T00:00:00Z: the fixed messages' times are this plus whole seconds. */
export const T0 = Date.UTC(2024, 0, 1);

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function seen(m: Pick<Message, 'key' | 'value' | 'time'> & { offset: number }): Seen {
  return {
    offset: m.offset,
    key: m.key === null ? null : decoder.decode(m.key),
    length: m.value === null ? -1 : m.value.length,
    digest: m.value === null ? '' : fnv1a(m.value),
    time: m.time,
  };
}

/** A value of `length` bytes (at least the prefix) that starts `${offset}:${tag}:`. */
function valueFor(offset: number, tag: string, length: number): Uint8Array {
  const prefix = encoder.encode(`${offset}:${tag}:`);
  const value = new Uint8Array(Math.max(length, prefix.length));
  for (let j = prefix.length; j < value.length; j++) value[j] = (offset * 31 + j * 7) & 0xff;
  value.set(prefix);
  return value;
}

/** Key of fixed message `o`: 10 bytes, one per offset. */
export function fixedKey(o: number): string {
  return `key-${String(o).padStart(6, '0')}`;
}

/** Fixed message `o` of generation `gen`: a 10-byte key, a 128-byte value, a time `o` seconds after T0. */
function fixed(o: number, gen: number): NewMessage {
  return { key: encoder.encode(fixedKey(o)), value: valueFor(o, `g${gen}`, 128), time: T0 + o * 1000 };
}

// ---------------------------------------------------------------------------
// Small helpers

function lib() {
  return window.harness.lib;
}

/** The message, or the error code it rejected with. */
async function outcome(p: Promise<Message>): Promise<Seen | string> {
  try {
    return seen(await p);
  } catch (err) {
    return errorOf(err).code;
  }
}

// ---------------------------------------------------------------------------
// Reading a whole log

/**
 * What the log kept as `name` answers: next offset, every message by consume
 * from the oldest, get of every offset up to next (or of the last `gets`
 * of them), the oldest and newest,
 * getByKey of each of `keys`, getByTime at each of `times`, stat's counts.
 */
function view(name: string, keys: string[], times: number[], gets = Infinity): Promise<LogView> {
  return viewOf(window.harness.log(name), keys, times, gets);
}

async function viewOf(log: Log, keys: string[], times: number[], getCount = Infinity): Promise<LogView> {
  const { OffsetOldest, OffsetNewest } = lib();
  let next: number;
  try {
    next = await log.nextOffset();
  } catch (_err) {
    next = -1;
  }
  const { messages, consumeError } = await consumeAll(log, OffsetOldest);
  const gets: (Seen | string)[] = [];
  for (let o = Math.max(0, next + 1 - getCount); o <= next; o++) gets.push(await outcome(log.get(o)));
  const byKey: Record<string, Seen | string> = {};
  for (const k of keys) byKey[k] = await outcome(log.getByKey(encoder.encode(k)));
  const byTime: Record<string, Seen | string> = {};
  for (const t of times) byTime[t] = await outcome(log.getByTime(t));
  let stat: LogView['stat'];
  try {
    const s = await log.stat();
    stat = { segments: s.segments, messages: s.messages };
  } catch (err) {
    stat = errorOf(err).code;
  }
  return {
    next,
    messages,
    consumeError,
    gets,
    oldest: await outcome(log.get(OffsetOldest)),
    newest: await outcome(log.get(OffsetNewest)),
    byKey,
    byTime,
    stat,
  };
}

/** Every message from `from` on by consume, up to the first error (reported, not thrown). */
async function consumeAll(log: Log, from: number): Promise<{ messages: Seen[]; consumeError: string | null }> {
  const messages: Seen[] = [];
  let at = from;
  try {
    for (let round = 0; round < 100_000; round++) {
      const batch = await log.consume(at, 37);
      messages.push(...batch.messages.map(seen));
      if (batch.messages.length === 0) break;
      at = batch.nextOffset;
    }
    return { messages, consumeError: null };
  } catch (err) {
    return { messages, consumeError: `consume(${at}): ${errorOf(err).error}` };
  }
}

/** Publishes fixed messages `from` … `from + count - 1` of generation `gen`; resolves to the next offset. */
function publishFixed(name: string, from: number, count: number, gen = 0): Promise<number> {
  const batch = Array.from({ length: count }, (_, i) => fixed(from + i, gen));
  return window.harness.log(name).publish(batch);
}

/**
 * Publishes `count` messages from `from` with keys `k<o % keys>`, 128-byte
 * values (null for every offset divisible by `tombstoneEvery`, if given) and
 * times `o` seconds after T0; resolves to the next offset.
 */
function publishKeyed(name: string, from: number, count: number, keys: number, tombstoneEvery = 0): Promise<number> {
  const batch = Array.from({ length: count }, (_, i): NewMessage => {
    const o = from + i;
    const tombstone = tombstoneEvery > 0 && o % tombstoneEvery === 0;
    return {
      key: encoder.encode(`k${o % keys}`),
      value: tombstone ? null : valueFor(o, 'keyed', 128),
      time: T0 + o * 1000,
    };
  });
  return window.harness.log(name).publish(batch);
}

/** What fixed message `o` of generation `gen` is, as `view` reports it. */
function expectedFixed(o: number, gen = 0): Seen {
  const m = fixed(o, gen);
  return seen({ offset: o, key: m.key ?? null, value: m.value ?? null, time: m.time ?? 0 });
}

/** Sizes of the log files in OPFS directory `dir`, by name, read from the page. */
async function fileSizes(dir: string): Promise<Record<string, number>> {
  let handle = await navigator.storage.getDirectory();
  for (const part of dir.split('/')) handle = await handle.getDirectoryHandle(part);
  const sizes: Record<string, number> = {};
  for await (const [name, entry] of (
    handle as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
  ).entries()) {
    if (entry.kind === 'file') sizes[name] = (await (entry as FileSystemFileHandle).getFile()).size;
  }
  return sizes;
}

// ---------------------------------------------------------------------------
// The writer's workload

/** Relative weights of the writer's operations; 0 leaves one out. */
export interface Mix {
  publish: number;
  delete: number;
  compact: number;
  trim: number;
  sync: number;
  reopen: number;
}

export interface WriterPlan {
  dir: string;
  options: Options;
  seed: number;
  mix: Mix;
  /** Keys are `k0` … `k<keys - 1>`; one message in ten has none. */
  keys: number;
  /** Trims keep the log around this many messages. */
  target: number;
}

const history: History = { publishes: [], deletes: [], ops: [], problems: [], final: null };
let writerFailed = false;
/** Writer operations so far. */
let steps = 0;
let writer: { plan: WriterPlan; log: Log; rnd: () => number; next: number; live: Set<number> } | null = null;

function pick<T>(rnd: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rnd() * items.length)];
  if (item === undefined) throw new Error('nothing to pick from');
  return item;
}

function int(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** Opens the writer's log and remembers the plan; resolves to the next offset. */
async function openWriter(plan: WriterPlan): Promise<number> {
  const log = await lib().open(plan.dir, plan.options);
  const next = await log.nextOffset();
  writer = { plan, log, rnd: mulberry32(plan.seed), next, live: new Set() };
  return next;
}

function w() {
  if (!writer) throw new Error('openWriter first');
  return writer;
}

async function publishRandom(count: number): Promise<void> {
  const s = w();
  const now = Date.now();
  const messages: NewMessage[] = [];
  for (let i = 0; i < count; i++) {
    const o = s.next + i;
    const key = s.rnd() < 0.1 ? null : encoder.encode(`k${int(s.rnd, 0, s.plan.keys - 1)}`);
    const value = s.rnd() < 0.05 ? null : valueFor(o, Math.floor(s.rnd() * 1e9).toString(36), int(s.rnd, 0, 300));
    // One message in ten is up to 5 s older than its predecessors: the time index's running maximum.
    const time = s.rnd() < 0.1 ? now - int(s.rnd, 1, 5000) : now + i;
    messages.push({ key, value, time });
  }
  const start = Date.now();
  const got = await s.log.publish(messages);
  const end = Date.now();
  const first = s.next;
  if (got !== first + count) history.problems.push(`publish of ${count} at ${first} resolved to ${got}`);
  history.publishes.push({
    first,
    messages: messages.map((m, i) =>
      seen({ offset: first + i, key: m.key ?? null, value: m.value ?? null, time: m.time! }),
    ),
    start,
    end,
  });
  for (let i = 0; i < count; i++) s.live.add(first + i);
  s.next = got;
}

/** Runs a call that removes messages and records what it removed. */
async function removing(op: string, call: (log: Log) => Promise<{ deletedOffsets: Set<number> }>): Promise<void> {
  const s = w();
  const start = Date.now();
  const result = await call(s.log);
  const end = Date.now();
  const deleted = [...result.deletedOffsets].sort((a, b) => a - b);
  for (const o of deleted) {
    if (!s.live.delete(o)) history.problems.push(`${op} deleted offset ${o}, which was not there`);
  }
  history.deletes.push({ op, deleted, start, end });
  history.ops[history.ops.length - 1] += ` → ${deleted.length} deleted`;
}

/** A random trim that keeps at least one message. */
async function trimRandom(): Promise<void> {
  const { trimByCount, trimByOffset, trimBySize, trimByAge } = lib();
  const s = w();
  const live = [...s.live].sort((a, b) => a - b);
  if (live.length < 2) return;
  const over = live.length > s.plan.target;
  const kind = over ? 'count' : pick(s.rnd, ['count', 'offset', 'size', 'age'] as const);
  if (kind === 'count') {
    const max = over ? Math.ceil(s.plan.target / 2) : Math.max(1, live.length - int(s.rnd, 1, 40));
    history.ops.push(`trimByCount(${max})`);
    return removing('trimByCount', (log) => trimByCount(log, max));
  }
  if (kind === 'offset') {
    const before = live[int(s.rnd, 0, Math.min(live.length - 1, 40))]!; // live holds 2 or more
    history.ops.push(`trimByOffset(${before})`);
    return removing('trimByOffset', (log) => trimByOffset(log, before));
  }
  if (kind === 'size') {
    const size = (await s.log.stat()).size;
    const bound = Math.floor(size * (0.7 + 0.25 * s.rnd()));
    history.ops.push(`trimBySize(${bound} of ${size})`);
    return removing('trimBySize', (log) => trimBySize(log, bound));
  }
  const published = history.publishes.flatMap((p) => p.messages);
  const byOffset = new Map(published.map((m) => [m.offset, m.time]));
  const before = byOffset.get(live[int(s.rnd, 0, Math.min(live.length - 1, 40))]!)!;
  history.ops.push(`trimByAge(${before})`);
  return removing('trimByAge', (log) => trimByAge(log, before));
}

async function compactRandom(): Promise<void> {
  const { compact, compactUpdates, compactDeletes } = lib();
  const s = w();
  const kind = pick(s.rnd, ['compact', 'compactUpdates', 'compactDeletes'] as const);
  const age = int(s.rnd, 0, 3000);
  history.ops.push(`${kind}(${age} ms)`);
  if (kind === 'compact') return removing(kind, (log) => compact(log, age));
  if (kind === 'compactUpdates') return removing(kind, (log) => compactUpdates(log, Date.now() - age));
  return removing(kind, (log) => compactDeletes(log, Date.now() - age));
}

async function deleteRandom(): Promise<void> {
  const s = w();
  const live = [...s.live].sort((a, b) => a - b);
  if (live.length < 2) return;
  // Often the newest message, which must leave nextOffset alone.
  const wanted = new Set<number>();
  if (s.rnd() < 0.3) wanted.add(live[live.length - 1]!); // live holds 2 or more
  for (let n = int(s.rnd, 1, 5); n > 0; n--) wanted.add(pick(s.rnd, live));
  if (wanted.size >= live.length) wanted.delete(live[0]!);
  const offsets = [...wanted];
  history.ops.push(`delete(${offsets.join(',')})`);
  return removing('delete', (log) => log.delete(offsets));
}

async function reopen(): Promise<void> {
  const s = w();
  history.ops.push('close+reopen');
  await s.log.close();
  s.log = await lib().open(s.plan.dir, s.plan.options);
  const next = await s.log.nextOffset();
  if (next !== s.next) history.problems.push(`after reopening, next offset ${next} instead of ${s.next}`);
}

/**
 * One operation of the writer's mix, chosen by its seeded PRNG; every 20th
 * is the next kind of the mix in turn, so that a run of a few hundred
 * operations has each kind however the dice fall.
 */
async function writerStep(): Promise<void> {
  const s = w();
  const { mix } = s.plan;
  const kinds = (Object.keys(mix) as (keyof Mix)[]).filter((k) => mix[k] > 0);
  let r = s.rnd() * kinds.reduce((sum, k) => sum + mix[k], 0);
  const n = steps++;
  const kind =
    n % 20 === 19 ? kinds[Math.floor(n / 20) % kinds.length] : (kinds.find((k) => (r -= mix[k]) < 0) ?? 'publish');
  if (kind === 'publish') {
    const count = int(s.rnd, 1, 50);
    history.ops.push(`publish(${count}) at ${s.next}`);
    return publishRandom(count);
  }
  if (kind === 'delete') return deleteRandom();
  if (kind === 'compact') return compactRandom();
  if (kind === 'trim') return trimRandom();
  if (kind === 'sync') {
    history.ops.push('sync');
    const got = await s.log.sync();
    if (got !== s.next) history.problems.push(`sync resolved to ${got}, expected ${s.next}`);
    return;
  }
  return reopen();
}

/**
 * Runs the writer's mix for about `ms` milliseconds (at least one operation),
 * `pauseMs` apart. A writer call that fails ends this and every later run and
 * is reported in `problems`. Resolves to the number of operations so far, or
 * -1 once one failed.
 */
async function runWriter(ms: number, pauseMs = 0): Promise<number> {
  if (writerFailed) return -1;
  const deadline = Date.now() + ms;
  try {
    do {
      await writerStep();
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    } while (Date.now() < deadline);
    return steps;
  } catch (err) {
    writerFailed = true;
    history.problems.push(`writer operation ${history.ops.at(-1)} failed: ${errorOf(err).error}`);
    return -1;
  }
}

/** Records the writer's own view of its log (`history.final`). */
async function finishWriter(keys: string[]): Promise<void> {
  try {
    history.final = await viewOf(w().log, keys, [], 300);
  } catch (err) {
    history.problems.push(`the writer could not read its own log: ${errorOf(err).error}`);
  }
}

/** Publishes `count` random messages (the log's first content, before the reader opens). */
async function seed(count: number): Promise<void> {
  history.ops.push(`publish(${count}) at ${w().next}`);
  for (let left = count; left > 0; left -= 50) await publishRandom(Math.min(50, left));
}

// ---------------------------------------------------------------------------
// The reader's loop

export interface ReaderPlan {
  seed: number;
  keys: string[];
  /** Gives up after this long even if the writer never says stop. */
  ms: number;
  /** Abort each consumeBlocking after this long. */
  blockMs: number;
}

/**
 * Reads the log kept as 'r' in a loop until the spec sets `readersStop` (when
 * the writer's run is over) or `ms` pass: a consumer that follows the log from the oldest message
 * (consume, then consumeBlocking once caught up) mixed with random
 * consume, get, getByKey, getByTime and nextOffset calls.
 */
let readCount = 0;
let foundCount = 0;

async function runReader(plan: ReaderPlan): Promise<ReadCall[]> {
  const { OffsetOldest, OffsetNewest } = lib();
  const log = window.harness.log('r');
  const rnd = mulberry32(plan.seed);
  const calls: ReadCall[] = [];
  const times: number[] = [];
  let maxNext = 0;
  let position: number = OffsetOldest;
  const deadline = Date.now() + plan.ms;
  window.readersStop = false;

  const record = async (
    call: ReadCall['call'],
    arg: number | string,
    run: () => Promise<Batch | Message | number>,
    max?: number,
  ) => {
    const c: ReadCall = { call, arg, max, before: maxNext, start: Date.now(), end: 0, ok: false };
    try {
      const result = await run();
      c.ok = true;
      if (typeof result === 'number') c.next = result;
      else if ('messages' in result) {
        c.messages = result.messages.map(seen);
        c.next = result.nextOffset;
      } else c.messages = [seen(result)];
    } catch (err) {
      Object.assign(c, errorOf(err));
    }
    c.end = Date.now();
    calls.push(c);
    readCount = calls.length;
    if (c.ok && (c.messages?.length ?? 0) > 0) foundCount++;
    for (const m of c.messages ?? []) {
      maxNext = Math.max(maxNext, m.offset + 1);
      if (times.length < 1000) times.push(m.time);
    }
    if (c.ok && c.next !== undefined) maxNext = Math.max(maxNext, c.next);
    return c;
  };

  while (!window.readersStop && Date.now() < deadline) {
    const r = rnd();
    const offset = int(rnd, 0, maxNext);
    if (r < 0.3) {
      const max = int(rnd, 1, 40);
      const caughtUp = position >= 0 && position >= maxNext;
      const c = caughtUp
        ? await record(
            'blocking',
            position,
            () => log.consumeBlocking(position, max, { signal: AbortSignal.timeout(plan.blockMs) }),
            max,
          )
        : await record('consume', position, () => log.consume(position, max), max);
      if (c.ok) position = c.next!;
    } else if (r < 0.45) {
      const max = int(rnd, 1, 40);
      const from = rnd() < 0.1 ? OffsetOldest : offset;
      await record('consume', from, () => log.consume(from, max), max);
    } else if (r < 0.5) {
      const max = int(rnd, 1, 10);
      await record(
        'blocking',
        maxNext,
        () => log.consumeBlocking(maxNext, max, { signal: AbortSignal.timeout(plan.blockMs) }),
        max,
      );
    } else if (r < 0.7) {
      const at = rnd() < 0.15 ? OffsetOldest : rnd() < 0.15 ? OffsetNewest : Math.min(offset, Math.max(0, maxNext - 1));
      await record('get', at, () => log.get(at));
    } else if (r < 0.82) {
      const key = pick(rnd, plan.keys);
      await record('getByKey', key, () => log.getByKey(encoder.encode(key)));
    } else if (r < 0.94) {
      const t = times.length === 0 ? Date.now() : pick(rnd, times) + int(rnd, -3, 3);
      await record('getByTime', t, () => log.getByTime(t));
    } else {
      await record('nextOffset', 0, () => log.nextOffset());
    }
  }
  return calls;
}

/**
 * Opens `dir` readonly, reads its oldest batch and closes it, `count` times in a row: what a
 * reader tab does on every load while the writer goes on. Resolves to each failure it saw.
 */
async function openReadonlyRepeatedly(dir: string, options: Options, count: number): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const log = await lib().open(dir, { ...options, readonly: true });
      try {
        await log.consume(lib().OffsetOldest, 50);
      } finally {
        await log.close();
      }
    } catch (err) {
      failures.push(`open ${i}: ${errorOf(err).error}`);
    }
  }
  return failures;
}

// ---------------------------------------------------------------------------

const tools = {
  view,
  openReadonlyRepeatedly,
  publishFixed,
  publishKeyed,
  expectedFixed,
  fileSizes,
  openWriter,
  seed,
  runWriter,
  finishWriter,
  runReader,
  /** How many calls the reader's loop has made so far. */
  readCount: () => readCount,
  /** How many of them were answered with messages. */
  foundCount: () => foundCount,
  history: () => history,
};

export type ReadersTools = typeof tools;

declare global {
  interface Window {
    readers: ReadersTools;
    /** Set when the writer's run is over: the reader's loop ends. */
    readersStop: boolean;
  }
}

window.readers = tools;
