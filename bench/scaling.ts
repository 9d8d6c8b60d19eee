/**
 * The scaling run's page side (bench/scaling.mjs drives it): one log of a
 * given size at a time, published, weighed on disk, read back, reopened,
 * looked up by key and by time and probed for open handles, each step timed
 * on its own and verified, then removed so that the next size starts on a
 * clean disk (10M messages take ~1.7 GB). And the cold start: a fresh page's
 * first open() to its first message.
 */
import type { Log } from '../src/index.ts';
import { opfsLog } from './package.ts';
import { DB_NAME } from '../src/namespace.ts';
import { checksum, expectedChecksum, keyFor, message, randomInts, TIME_BASE, type BenchMessage } from './messages.ts';
import type { HandleCount } from './handles-worker.ts';
import { RpcClient } from './rpc.ts';
import { BATCH, check } from './workloads.ts';
import { consumeStretches } from './stretches.ts';

const { open } = opfsLog;

/** As bench/systems/opfs-log.ts opens its logs: both indexes, the rest default. */
const OPTIONS = { keyIndex: true, timeIndex: true } as const;

/** The one log under test, kept open between the driver's calls. */
let log: Log | null = null;

function current(): Log {
  if (!log) throw new Error('scaling: no log open');
  return log;
}

/** Messages [start, start + count) as bench/messages.ts shapes them. */
function batchAt(start: number, count: number): BenchMessage[] {
  return Array.from({ length: count }, (_, j) => message(start + j));
}

/**
 * Opens a fresh log at `dir` and publishes `total` messages in batches of
 * BATCH, then syncs. Each batch is made just before its publish, outside the
 * timed part: ten million messages would not fit in memory at once.
 * Resolves to the milliseconds of the publish calls and the final sync.
 */
export async function publish(dir: string, total: number): Promise<number> {
  log = await open(dir, { ...OPTIONS, createDirs: true });
  let ms = 0;
  for (let start = 0; start < total; start += BATCH) {
    const batch = batchAt(start, Math.min(BATCH, total - start));
    const t = performance.now();
    await log.publish(batch);
    ms += performance.now() - t;
  }
  const t = performance.now();
  await log.sync();
  ms += performance.now() - t;
  check((await log.nextOffset()) === total, `published ${total}, next offset ${await log.nextOffset()}`);
  return ms;
}

/**
 * Reads the stretches `consumeStretches(total, max, 10)` names in batches of
 * BATCH, timing only the consume calls; each batch is checked (offsets and
 * checksum) between calls, as workloads.ts's timedScan does.
 */
export async function consume(total: number, max: number): Promise<{ ms: number; read: number; stretches: number }> {
  const stretches = consumeStretches(total, max, 10);
  let ms = 0;
  let read = 0;
  for (const [from, to] of stretches) {
    for (let at = from; at < to; ) {
      const t = performance.now();
      const got = (await current().consume(at, Math.min(BATCH, to - at))).messages;
      ms += performance.now() - t;
      check(got.length > 0, `consume stopped at ${at} of [${from}, ${to})`);
      check(got[0]?.offset === at && checksum(got) === expectedChecksum(at, at + got.length), `consume batch at ${at}`);
      at += got.length;
      read += got.length;
    }
  }
  return { ms, read, stretches: stretches.length };
}

export async function close(): Promise<void> {
  await log?.close();
  log = null;
}

/**
 * Milliseconds from `open()` until the first `get` resolved, as
 * bench/reopen.ts times it; the log stays open for the heap reading.
 */
export async function reopen(dir: string, total: number): Promise<number> {
  const t = performance.now();
  log = await open(dir, OPTIONS);
  const first = await log.get(0);
  const ms = performance.now() - t;
  check(checksum([first]) === expectedChecksum(0, 1), 'first message after reopen');
  const { messages } = await log.stat();
  check(messages === total, `reopened log has ${messages} messages, not ${total}`);
  return ms;
}

/**
 * Milliseconds for `count` getByKey calls of random existing keys (keys are
 * unique, so each must find its own offset), checked after the timed part.
 */
export async function getByKey(total: number, count: number, seed: number): Promise<number> {
  const offsets = randomInts(count, total, seed);
  const keys = offsets.map(keyFor);
  const found = [];
  const t = performance.now();
  for (const key of keys) found.push(await current().getByKey(key));
  const ms = performance.now() - t;
  found.forEach((m, i) => {
    const offset = offsets[i]!; // found has one answer per offset
    check(m !== null && m.offset === offset, `getByKey: expected offset ${offset}, got ${m?.offset}`);
    check(checksum([m!]) === expectedChecksum(offset, offset + 1), `getByKey: bytes of offset ${offset}`);
  });
  return ms;
}

/**
 * Milliseconds for `count` getByTime calls (or offsetByTime with `offsetOnly`)
 * of random existing times: message i was published at TIME_BASE + i ms
 * (bench/messages.ts), each time distinct, so each must find offset i;
 * checked after the timed part.
 */
export async function getByTime(total: number, count: number, seed: number, offsetOnly = false): Promise<number> {
  const offsets = randomInts(count, total, seed);
  const log = current();
  const found: { offset: number; time: number; message?: Awaited<ReturnType<Log['getByTime']>> }[] = [];
  const t = performance.now();
  if (offsetOnly) for (const offset of offsets) found.push(await log.offsetByTime(TIME_BASE + offset));
  else
    for (const offset of offsets) {
      const m = await log.getByTime(TIME_BASE + offset);
      found.push({ offset: m.offset, time: m.time, message: m });
    }
  const ms = performance.now() - t;
  found.forEach((f, i) => {
    const offset = offsets[i]!; // found has one answer per offset
    const what = offsetOnly ? 'offsetByTime' : 'getByTime';
    check(f.offset === offset && f.time === TIME_BASE + offset, `${what}: expected offset ${offset}, got ${f.offset}`);
    if (f.message)
      check(checksum([f.message]) === expectedChecksum(offset, offset + 1), `getByTime: bytes of offset ${offset}`);
  });
  return ms;
}

/**
 * What the origin stores, as navigator.storage.estimate() tells it: in
 * Chromium the origin's usage across its storage (OPFS files and IndexedDB
 * here, the only log being the one under test), in Firefox the same from its
 * quota manager; and the origin's quota.
 */
export async function usage(): Promise<{ usage: number; quota: number }> {
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return { usage, quota };
}

/**
 * How many of the log's segment files at `dir` have a sync access handle
 * open, counted from a dedicated worker of this page that asks for one of
 * each itself (bench/handles-worker.ts), for at most `budgetMs` (then of an
 * even sample). A worker of its own each time, ended after.
 */
export async function countHandles(dir: string, budgetMs: number): Promise<HandleCount> {
  const rpc = new RpcClient(new Worker(new URL('./handles-worker.ts', import.meta.url), { type: 'module' }));
  try {
    return await rpc.call<HandleCount>('count', dir, budgetMs);
  } finally {
    rpc.terminate();
  }
}

/**
 * The cold start, in a page that has not opened a log yet: milliseconds
 * from its first `open()` (which starts the worker) until `get(0)` resolved;
 * checked, then closed.
 */
export async function coldStart(dir: string, total: number): Promise<number> {
  check(log === null, 'cold start: this page already has a log open');
  const t = performance.now();
  log = await open(dir, OPTIONS);
  const first = await log.get(0);
  const ms = performance.now() - t;
  check(checksum([first]) === expectedChecksum(0, 1), 'cold start: first message');
  check((await log.nextOffset()) === total, `cold start: the log has ${await log.nextOffset()} messages, not ${total}`);
  await close();
  return ms;
}

/** An empty log held open: the baseline of the heap reading. */
export async function holdEmpty(dir: string): Promise<void> {
  log = await open(dir, { ...OPTIONS, createDirs: true });
  await log.nextOffset();
}

/**
 * Closes the log and removes its directory and the index database. Deleting
 * the whole database is safe here only because the scaling run has a profile
 * of its own and holds one log at a time.
 */
export async function remove(dir: string): Promise<void> {
  await close();
  const parts = dir.split('/');
  const name = parts.pop() ?? dir;
  let parent = await navigator.storage.getDirectory();
  for (const part of parts) parent = await parent.getDirectoryHandle(part);
  await parent.removeEntry(name, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
