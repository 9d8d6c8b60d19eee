/**
 * An export in progress never holds the writer back: deletes, trims and
 * publishes made while it is paused half-way resolve at once, and the archive
 * still restores to the log exactly as it was pinned.
 * The export is paused by its source: reads of segment `pauseAt` and later
 * wait until the test lets them go.
 */
import { describe, expect, it } from 'vitest';
import { restoreArchive } from '../../src/archive/restore.ts';
import { writeArchive } from '../../src/archive/export.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import { parseSegmentName } from '../../src/segment/segment.ts';
import type { MemoryDirectory } from '../../src/storage/memory.ts';
import { OffsetOldest, type Log, type LogSnapshot } from '../../src/types.ts';
import { afterCrash, dec, freshEnv, gen, openLog } from './helpers.ts';

/**
 * How long a call may stay unsettled before the test calls it stuck: it would
 * otherwise wait for the paused export forever. Not a speed limit: each call
 * takes milliseconds, and the tests' own timeout is far longer, so a stuck
 * call fails with its name rather than as a timeout.
 */
const STUCK_AFTER_MS = 3_000;

/** `promise`'s value, or a failure naming `what` if it is still pending after STUCK_AFTER_MS. */
async function settlesWhilePaused<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} waited for the paused export`)), STUCK_AFTER_MS);
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every message as `offset:key:value`, oldest first. */
async function dump(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (let at = OffsetOldest; ; ) {
    const batch = await log.consume(at, 1000);
    out.push(
      ...batch.messages.map((m) => `${m.offset}:${m.key && dec.decode(m.key)}:${m.value && dec.decode(m.value)}`),
    );
    if (batch.messages.length === 0) return out;
    at = batch.nextOffset;
  }
}

/**
 * Starts exporting `log` (the real `writeArchive` over the engine's snapshot)
 * and waits until it is paused before reading segment `pauseAt`.
 */
async function pausedExport(log: Log, pauseAt: number) {
  const pinned = await log.snapshot();
  let paused!: () => void;
  let resume!: () => void;
  const reachedPause = new Promise<void>((r) => (paused = r));
  const gate = new Promise<void>((r) => (resume = r));
  const snapshot: LogSnapshot = {
    ...pinned,
    async read(s, start, end) {
      if (s >= pauseAt) {
        paused();
        await gate;
      }
      return pinned.read(s, start, end);
    },
  };
  expect(snapshot.segments.length).toBeGreaterThan(pauseAt);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const state = { done: false };
  const finished = writeArchive(snapshot, { write: async (c) => void chunks.push(c.slice()) }, new Date())
    .finally(() => pinned.release())
    .then(() => {
      state.done = true;
      return new Blob(chunks);
    });
  finished.catch(() => undefined); // awaited by the test, or deliberately abandoned
  await reachedPause;
  return { snapshot, state, resume, finished };
}

/** The archive restored into a fresh origin, dumped. */
async function restoredDump(archive: Blob): Promise<string[]> {
  const target = freshEnv();
  await restoreArchive(target, 'copy', archive);
  const copy = await openLog(target, 'copy');
  const out = await dump(copy);
  await copy.close();
  return out;
}

async function fileNames(env: MemoryEnv, dir = 'log'): Promise<string[]> {
  const d = (await env.root.subdir(dir.split('/'), false)) as MemoryDirectory;
  return (await d.list()).map((e) => e.name).sort();
}

const sideCopies = (names: string[]) => names.filter((n) => n.includes('.pin-'));

/** Publishes `n` messages from offset `from` in batches of 5 (a batch never spans segments). */
async function publishSmall(log: Log, n: number, from = 0): Promise<void> {
  for (let i = 0; i < n; i += 5) await log.publish(gen(Math.min(5, n - i), from + i));
}

describe('export while the writer rewrites', { timeout: 30_000 }, () => {
  it('lets deletes and publishes through at once, and exports the log as pinned', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await publishSmall(log, 40);
    const pinned = await dump(log);
    const exp = await pausedExport(log, 1);
    try {
      // A middle segment rewritten, then every segment rewritten or removed, the head too (one a call).
      expect((await settlesWhilePaused(log.delete([12]), 'delete')).deletedOffsets).toEqual(new Set([12]));
      const all = [...Array(40).keys()];
      let calls = 1;
      while ((await settlesWhilePaused(log.delete(all), `delete call ${calls}`)).deletedOffsets.size > 0) calls++;
      expect(calls).toBeGreaterThan(2);
      expect(await settlesWhilePaused(log.publish(gen(5, 40)), 'publish')).toBe(45);
      expect(exp.state.done).toBe(false);
      const copies = sideCopies(await fileNames(env));
      expect(copies.length).toBeGreaterThan(2);
      expect(copies.map(parseSegmentName)).toEqual(copies.map(() => null));
    } finally {
      exp.resume();
    }
    expect(await restoredDump(await exp.finished)).toEqual(pinned);
    expect(sideCopies(await fileNames(env))).toEqual([]); // the release removed them
    expect((await dump(log)).map((m) => m.split(':')[0])).toEqual(['40', '41', '42', '43', '44']);
    await log.close();
  });

  it('lets retention trim after each publish during an export', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300, retention: { maxCount: 30 } });
    await publishSmall(log, 30);
    const pinned = await dump(log);
    expect(pinned.length).toBe(30);
    const exp = await pausedExport(log, 1);
    try {
      for (let b = 0; b < 10; b++) {
        expect(await settlesWhilePaused(log.publish(gen(5, 30 + 5 * b)), `publish ${b}`)).toBe(35 + 5 * b);
      }
      expect(exp.state.done).toBe(false);
      expect(sideCopies(await fileNames(env)).length).toBeGreaterThan(0); // the trims rewrote pinned segments
      const stat = await log.stat();
      expect(stat.messages).toBeLessThanOrEqual(30);
      expect((await dump(log)).at(-1)).toMatch(/^79:/);
    } finally {
      exp.resume();
    }
    expect(await restoredDump(await exp.finished)).toEqual(pinned);
    expect(sideCopies(await fileNames(env))).toEqual([]);
    await log.close();
  });

  it('shares one copy between two exports of the head pinned at different sizes', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log'); // one segment: the head
    await log.publish(gen(10));
    const first = await pausedExport(log, 0);
    const pinnedFirst = await dump(log);
    await log.publish(gen(10, 10));
    const second = await pausedExport(log, 0);
    const pinnedSecond = await dump(log);
    try {
      await settlesWhilePaused(log.delete([3, 15]), 'delete');
      await settlesWhilePaused(log.publish(gen(2, 20)), 'publish');
      expect(sideCopies(await fileNames(env)).length).toBe(1);
    } finally {
      first.resume();
    }
    expect(await restoredDump(await first.finished)).toEqual(pinnedFirst);
    expect(sideCopies(await fileNames(env)).length).toBe(1); // the second export still reads it
    second.resume();
    expect(await restoredDump(await second.finished)).toEqual(pinnedSecond);
    expect(sideCopies(await fileNames(env))).toEqual([]);
    await log.close();
  });

  it('rejects a delete QuotaExceeded, deleting nothing, when the copy finds no room', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await publishSmall(log, 40);
    const pinned = await dump(log);
    const exp = await pausedExport(log, 1);
    try {
      env.root.faults.quota = 0; // any write that grows a file comes up short
      await expect(settlesWhilePaused(log.delete([20]), 'delete')).rejects.toMatchObject({ code: 'QuotaExceeded' });
      env.root.faults.quota = Infinity;
      expect(await dump(log)).toEqual(pinned);
      expect(sideCopies(await fileNames(env))).toEqual([]);
    } finally {
      env.root.faults.quota = Infinity;
      exp.resume();
    }
    expect(await restoredDump(await exp.finished)).toEqual(pinned);
    await log.close();
  });

  it('removes the copies on close, and rejects the export Closed', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await publishSmall(log, 40);
    const exp = await pausedExport(log, 1);
    await settlesWhilePaused(log.delete([20]), 'delete');
    expect(sideCopies(await fileNames(env)).length).toBe(1);
    await log.close();
    expect(sideCopies(await fileNames(env))).toEqual([]);
    exp.resume();
    await expect(exp.finished).rejects.toMatchObject({ code: 'Closed' });
  });

  it('leaves no copy behind after a crash in the middle, once a writer opens the log', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await publishSmall(log, 40);
    const exp = await pausedExport(log, 1);
    await settlesWhilePaused(log.delete([20, 21]), 'delete');
    const expected = await dump(log);
    const copies = sideCopies(await fileNames(env));
    expect(copies.length).toBe(1);
    expect(copies.map(parseSegmentName)).toEqual([null]);

    const crashed = afterCrash(env); // the worker died mid-export: nothing was released or closed
    const reader = await openLog(crashed, 'log', { readonly: true, rollover: 300 });
    expect(await dump(reader)).toEqual(expected); // a copy is never taken for a segment
    await reader.close();
    const reopened = await openLog(crashed, 'log', { rollover: 300 });
    expect(sideCopies(await fileNames(crashed))).toEqual([]);
    expect(await dump(reopened)).toEqual(expected);
    await reopened.close();
    exp.resume();
  });
});
