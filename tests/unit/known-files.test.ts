/**
 * A writer's open takes the segment files it knew for the directory's
 * listing when the change counter is as it was when it saved them
 * (engine/known-files.ts): these cases show it lists nothing then, and lists
 * (finding every file) whenever the saved files may be wrong.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import { IndexStore, type KnownFiles, type SavedIndex } from '../../src/indexes/store.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import { MemoryDirectory } from '../../src/storage/memory.ts';
import { encodeBatch } from '../../src/codec/record.ts';
import { toRecordColumns } from '../../src/client/validate.ts';
import { LogEngine } from '../../src/engine/engine.ts';
import { resolveOptions } from '../../src/engine/options.ts';
import { PRODUCERS_FILE } from '../../src/engine/producers.ts';
import { commitReplace } from '../../src/engine/replace.ts';
import { afterCrash, allOffsets, freshEnv, gen, headFile, interruptChange, openLog } from './helpers.ts';

const ROLLOVER = 300;
const range = (n: number) => [...Array(n).keys()];

/** How many times the directory is listed while `run` runs. */
async function listingsDuring(run: () => Promise<void>): Promise<number> {
  const names = vi.spyOn(MemoryDirectory.prototype, 'names');
  try {
    await run();
    return names.mock.calls.length;
  } finally {
    names.mockRestore();
  }
}

/** From now on the writer's saves of its known files never reach IndexedDB (its other saves do). */
function loseKnownFileSaves(): void {
  const putSoon = IndexStore.prototype.putSoon;
  vi.spyOn(IndexStore.prototype, 'putSoon').mockImplementation(function (this: IndexStore, saved) {
    if ('record' in (saved as SavedIndex | KnownFiles)) putSoon.call(this, saved);
  });
}

/** A log of `n` messages in several segments, closed. */
async function writtenLog(env: MemoryEnv, n: number): Promise<void> {
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  for (let i = 0; i < n; i += 5) await log.publish(gen(5, i));
  await log.close();
}

/** Waits until the writer's latest save of its known files reached IndexedDB (it is written some ms after the change). */
async function knownFilesSaved(env: MemoryEnv): Promise<void> {
  const { d } = await headFile(env);
  const seq = new DataView(d.raw(CHANGES_FILE)!.slice().buffer).getUint32(0, true);
  const store = await IndexStore.open(env.idb);
  try {
    while ((await store.knownFiles('log'))?.seq !== seq) await new Promise((r) => setTimeout(r, 10));
  } finally {
    store.close();
  }
}

/**
 * 20 messages written and closed; opened again, its known files saved, then
 * 40 more published across several rolls whose known files never reach
 * IndexedDB, and synced (left open: the caller crashes it). Returns the
 * counter's bytes as the open left them, when it saved its files.
 */
async function rolledUnsaved(env: MemoryEnv): Promise<{ d: MemoryDirectory; counter: Uint8Array }> {
  await writtenLog(env, 20);
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  await knownFilesSaved(env);
  const { d } = await headFile(env);
  const counter = d.raw(CHANGES_FILE)!.slice();
  loseKnownFileSaves();
  for (let i = 20; i < 60; i += 5) await log.publish(gen(5, i)); // rolls: the counter's head moves
  await log.sync();
  vi.restoreAllMocks();
  return { d, counter };
}

async function reopenedOffsets(env: MemoryEnv): Promise<number[]> {
  const log = await openLog(env, 'log', { rollover: ROLLOVER });
  try {
    return await allOffsets(log);
  } finally {
    await log.close();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('an open that knows its files', () => {
  it('lists no directory after a clean close, nor after a crash that changed no file since', async () => {
    const env = freshEnv();
    await writtenLog(env, 40);
    expect((await headFile(env)).name).not.toBe('00000000000000000000.log'); // several segments
    let offsets: number[] = [];
    expect(await listingsDuring(async () => void (offsets = await reopenedOffsets(env)))).toBe(0);
    expect(offsets).toEqual(range(40));

    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await knownFilesSaved(env);
    await log.publish(gen(2, 40)); // into the head: no file added
    await log.sync();
    const crashed = afterCrash(env);
    expect(await listingsDuring(async () => void (offsets = await reopenedOffsets(crashed)))).toBe(0);
    expect(offsets).toEqual(range(42));
  });

  it('lists the directory when a roll saved no known files before a crash, and finds the new segments', async () => {
    const env = freshEnv();
    await rolledUnsaved(env);
    const crashed = afterCrash(env);
    let offsets: number[] = [];
    expect(await listingsDuring(async () => void (offsets = await reopenedOffsets(crashed)))).toBeGreaterThan(0);
    expect(offsets).toEqual(range(60));
  });

  it('finds segments a power cut kept while it lost the counter and the known files with them', async () => {
    const env = freshEnv();
    const { d, counter } = await rolledUnsaved(env);
    const crashed = afterCrash(env);
    d.setRaw(CHANGES_FILE, counter); // the counter's writes since the open lost: it matches the saved files again
    expect(await reopenedOffsets(crashed)).toEqual(range(60));
  });

  it('finds a head that is gone by listing, as a crash in a rewrite of it leaves it', async () => {
    const env = freshEnv();
    await writtenLog(env, 20);
    const { d, name } = await headFile(env);
    await d.rename(name, `${name}.tmp`); // the rewrite's copy complete, its rename not done
    expect(await reopenedOffsets(env)).toEqual(range(20));
  });

  it('finishes a producer table compaction that a crash cut short, without a listing', async () => {
    const env = freshEnv();
    await writtenLog(env, 10);
    const { d } = await headFile(env);
    d.setRaw('producers.tmp', new Uint8Array(0)); // a compacted copy whose original is still there: dropped
    expect(await listingsDuring(async () => void (await reopenedOffsets(env)))).toBe(0);
    expect(d.raw('producers.tmp')).toBeUndefined();
  });
});

describe('an open that lists the directory and recovers', () => {
  it('opens the producer table as recovery left it: an import cut short after its commit took the table away', async () => {
    const env = freshEnv();
    const engine = await LogEngine.open(env, 'log', resolveOptions({ createDirs: true }));
    await engine.publish(encodeBatch(toRecordColumns(gen(3, 0), 0)), { id: 'tab-a', seq: 0 });
    await engine.close();
    const { d } = await headFile(env);
    expect(d.raw(PRODUCERS_FILE)).toBeDefined();
    // The import's commit: its marker written, then a crash before it dropped the old producer table.
    env.root.faults.beforeChange = (op, file) => {
      if (op === 'remove' && file.endsWith(`/${PRODUCERS_FILE}`)) throw new Error('crash');
    };
    await expect(commitReplace(d, [0])).rejects.toThrow('crash');
    env.root.faults.beforeChange = undefined;
    await interruptChange(env);
    const reopened = await LogEngine.open(env, 'log', resolveOptions({ createDirs: true }));
    expect((await reopened.stat()).messages).toBe(3);
    expect(d.raw(PRODUCERS_FILE)).toBeUndefined();
    await reopened.close();
  });
});

describe('a segment file removed behind the log', () => {
  /** The second segment's file removed: returns the offsets it held. */
  async function removeSecondSegment(env: MemoryEnv): Promise<number[]> {
    const { d } = await headFile(env);
    const names = (await d.names()).filter((n) => n.endsWith('.log')).sort();
    const [from, to] = [Number.parseInt(names[1]!, 10), Number.parseInt(names[2]!, 10)];
    await d.remove(names[1]!);
    return range(to - from).map((i) => from + i);
  }

  it('fails the reads of it Corrupted, and the next open lists and goes on without it (removed while closed)', async () => {
    const env = freshEnv();
    await writtenLog(env, 40);
    const gone = await removeSecondSegment(env);
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await expect(log.get(gone[0]!)).rejects.toMatchObject({
      code: 'Corrupted',
      message: expect.stringMatching(/missing/),
    });
    expect((await log.get(0)).offset).toBe(0); // the others still read
    await log.close();
    let offsets: number[] = [];
    expect(await listingsDuring(async () => void (offsets = await reopenedOffsets(env)))).toBeGreaterThan(0);
    expect(offsets).toEqual(range(40).filter((o) => !gone.includes(o)));
  });

  it('does the same for a file its writer sealed and closed (removed while open), also after later rolls', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: ROLLOVER, maxOpenFiles: 2 });
    for (let i = 0; i < 40; i += 5) await log.publish(gen(5, i));
    const gone = await removeSecondSegment(env);
    await expect(log.get(gone[0]!)).rejects.toMatchObject({ code: 'Corrupted' });
    for (let i = 40; i < 60; i += 5) await log.publish(gen(5, i)); // rolls: each saves the known files again
    await log.close();
    expect(await reopenedOffsets(env)).toEqual(range(60).filter((o) => !gone.includes(o)));
  });
});
