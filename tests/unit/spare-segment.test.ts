/**
 * The spare segment file (engine/spare-segment.ts): made ahead of a roll and
 * renamed to the new segment's name at it. It must never cost a publish, a
 * crash, a reader or a close anything.
 */
import { describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/index.ts';
import { SPARE_FILE, SpareSegment } from '../../src/engine/spare-segment.ts';
import { parseSegmentName } from '../../src/segment/names.ts';
import type { Directory, StoredFile } from '../../src/storage/files.ts';
import { MemoryDirectory } from '../../src/storage/memory.ts';
import { type MemoryEnv, memoryEnv } from '../../src/storage/memory-env.ts';
import { IDBFactory } from 'fake-indexeddb';
import { unzipSync } from 'fflate';
import { afterCrash, allOffsets, freshEnv, gen, openLog } from './helpers.ts';

/** Small enough that ten batches of five roll several times. */
const ROLLOVER = 400;

async function logDir(env: MemoryEnv): Promise<MemoryDirectory> {
  return (await env.root.subdir(['log'], false)) as MemoryDirectory;
}

async function names(env: MemoryEnv): Promise<string[]> {
  return (await (await logDir(env)).names()).sort();
}

/** Publishes `batches` batches of five; resolves to the offsets published. */
async function publishBatches(log: Awaited<ReturnType<typeof openLog>>, batches: number, from = 0): Promise<number[]> {
  for (let b = 0; b < batches; b++) await log.publish(gen(5, from + 5 * b));
  return Array.from({ length: 5 * batches }, (_, i) => from + i);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('spare segment file', () => {
  it('is made ahead and taken at the roll, and close removes the spare it left', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await publishBatches(log, 10);
    expect(await names(env)).toContain(SPARE_FILE); // made after the last roll, for the next
    const segments = (await names(env)).filter((n) => parseSegmentName(n) !== null);
    expect(segments.length).toBeGreaterThan(2);
    await log.close();
    expect(await names(env)).not.toContain(SPARE_FILE);
    const reopened = await openLog(env, 'log', { rollover: ROLLOVER });
    expect(await allOffsets(reopened)).toEqual(range(50));
    await reopened.close();
  });

  it('left by a crash: removed when a writer opens the log, nothing lost', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await publishBatches(log, 10);
    await log.sync();
    expect(await names(env)).toContain(SPARE_FILE);
    // The worker dies with the log open: the spare stays.
    const after = afterCrash(env);
    const reopened = await openLog(after, 'log', { rollover: ROLLOVER });
    expect(await names(after)).not.toContain(SPARE_FILE);
    expect(await allOffsets(reopened)).toEqual(range(50));
    expect(await reopened.publish(gen(5, 50))).toBe(55);
    await reopened.close();
  });

  it('left by a crash: ignored by a readonly reader and by an export, which leave it there', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await publishBatches(log, 10);
    await log.sync();
    const after = afterCrash(env);
    const reader = await openLog(after, 'log', { readonly: true });
    expect(await allOffsets(reader)).toEqual(range(50));
    expect((await reader.stat()).segments).toBe(
      (await names(after)).filter((n) => parseSegmentName(n) !== null).length,
    );
    const files = Object.keys(unzipSync(new Uint8Array(await (await exportArchive(reader)).arrayBuffer())));
    expect(files.some((f) => f.includes('spare'))).toBe(false);
    await reader.close();
    expect(await names(after)).toContain(SPARE_FILE); // a reader changes nothing
  });

  it('a crash right after the spare became the new segment, before its header: the log opens whole', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: ROLLOVER });
    await publishBatches(log, 4);
    let renamed = false;
    env.root.faults.beforeChange = (op, file) => {
      if (op === 'rename' && file.endsWith(SPARE_FILE)) renamed = true;
      else if (renamed) throw new Error('crash'); // the worker stops right after the rename
    };
    await expect(publishBatches(log, 6, 20)).rejects.toThrow();
    expect(renamed).toBe(true);
    env.root.faults.beforeChange = undefined;
    const reopened = await openLog(afterCrash(env), 'log', { rollover: ROLLOVER });
    const offsets = await allOffsets(reopened);
    expect(offsets.slice(0, 20)).toEqual(range(20)); // everything before the roll that failed
    const next = await reopened.nextOffset();
    expect(await reopened.publish(gen(5, next))).toBe(next + 5);
    await reopened.close();
  });

  it('publishes go on when making the spare fails, or renaming it does', async () => {
    for (const failing of ['open', 'rename'] as const) {
      const env = freshEnv();
      let failed = 0;
      env.root.faults.beforeChange = (op, file) => {
        if (op === failing && file.endsWith(SPARE_FILE)) {
          failed++;
          throw new Error(`no ${failing} of the spare`);
        }
      };
      const log = await openLog(env, 'log', { rollover: ROLLOVER });
      await publishBatches(log, 10);
      expect(failed).toBeGreaterThan(0);
      expect(await allOffsets(log)).toEqual(range(50));
      await log.close();
      env.root.faults.beforeChange = undefined;
      const reopened = await openLog(env, 'log', { rollover: ROLLOVER });
      expect(await allOffsets(reopened)).toEqual(range(50));
      await reopened.close();
    }
  });

  it('close waits for a spare being made, then leaves it neither open nor there', async () => {
    const root = MemoryDirectory.create();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The spare's open waits at the gate: the spare is being made when close is called.
    const gated: Directory = Object.assign(Object.create(root) as Directory, {
      openFile: async (name: string, options: { create: boolean; readonly: boolean }): Promise<StoredFile> => {
        if (name === SPARE_FILE) await gate;
        return root.openFile(name, options);
      },
    });
    const spare = await SpareSegment.open(gated);
    spare.prepare();
    let closed = false;
    const closing = spare.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await root.names()).not.toContain(SPARE_FILE);
    // Nothing holds it: a writable open succeeds (a held memory file says Locked).
    await (await root.openFile(SPARE_FILE, { create: true, readonly: false })).close();
    spare.prepare(); // closed: no more spares
    expect(await spare.take(0)).toBe(false);
  });

  it('is not made on the staged (asynchronous) backend, where it would not help', async () => {
    const staged = memoryEnv(new IDBFactory(), { staged: true });
    let spares = 0;
    staged.root.faults.beforeChange = (op, file) => {
      if (op === 'rename' && file.endsWith(SPARE_FILE)) spares++;
    };
    const log = await openLog(staged, 'log', { rollover: ROLLOVER });
    await publishBatches(log, 10);
    expect(spares).toBe(0);
    expect(await names(staged)).not.toContain(SPARE_FILE);
    expect(await allOffsets(log)).toEqual(range(50));
    await log.close();
  });
});
