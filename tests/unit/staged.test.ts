// The asynchronous backend's way of writing, on memory: files staged in
// memory and committed whole (storage/staged-file.ts). What it must keep: a
// crash at any step leaves every resolved publish in the log, whole, and no
// batch in part; and the memory it holds stays bounded.
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/codec/record.ts';
import { toRecordColumns } from '../../src/client/validate.ts';
import { LogEngine } from '../../src/engine/engine.ts';
import { resolveOptions } from '../../src/engine/options.ts';
import { memoryEnv, type MemoryEnv } from '../../src/storage/memory-env.ts';
import { IMAGE_BUDGET, type ReplaceableFile, StagedFile } from '../../src/storage/staged-file.ts';
import { afterCrash, dec, enc, gen, openLog } from './helpers.ts';

function stagedEnv(): MemoryEnv {
  return memoryEnv(new IDBFactory(), { staged: true });
}

const BATCHES = 12;
const BATCH = 5;

function batch(id: number) {
  return Array.from({ length: BATCH }, (_, i) => ({ key: enc.encode(`b${id}`), value: enc.encode(`${id}:${i}`) }));
}

/**
 * Publishes batches into a log whose file system dies at its `crashAt`-th
 * change (a write, commit, remove, rename…), as a killed worker would, then
 * reopens it. Resolves to how many batches were acknowledged, what the reopened
 * log holds, and whether the crash point was reached at all.
 */
async function crashAndReopen(crashAt: number, rollover: number) {
  const env = stagedEnv();
  let changes = 0;
  env.root.faults.beforeChange = () => {
    if (++changes >= crashAt) throw new Error('crashed');
  };
  let acknowledged = 0;
  try {
    const log = await openLog(env, 'log', { rollover });
    for (let id = 0; id < BATCHES; id++) {
      await log.publish(batch(id));
      acknowledged++;
    }
  } catch {
    // the crash
  }
  const crashed = changes >= crashAt;
  env.root.faults.beforeChange = undefined;
  const log = await openLog(afterCrash(env), 'log', { rollover });
  const values: string[] = [];
  for (let at = 0; at < (await log.nextOffset()); ) {
    const { messages, nextOffset } = await log.consume(at, BATCHES * BATCH);
    values.push(...messages.map((m) => dec.decode(m.value!)));
    at = nextOffset;
  }
  await log.close();
  return { acknowledged, crashed, values };
}

describe('staged files (the asynchronous backend on memory)', () => {
  for (const rollover of [1 << 20, 64]) {
    it(`a crash at any step keeps every resolved publish whole (rollover ${rollover})`, async () => {
      let steps = 0;
      for (let crashAt = 1; ; crashAt++) {
        const { acknowledged, crashed, values } = await crashAndReopen(crashAt, rollover);
        // Whole batches in order: those acknowledged, and perhaps the one in flight.
        const batches = values.length / BATCH;
        expect(Number.isInteger(batches), `crash at ${crashAt}: ${values.join(' ')}`).toBe(true);
        expect(batches === acknowledged || batches === acknowledged + 1, `crash at ${crashAt}`).toBe(true);
        expect(values).toEqual(
          Array.from({ length: batches }, (_, id) => batch(id).map((_, i) => `${id}:${i}`)).flat(),
        );
        if (!crashed) break;
        steps++;
      }
      expect(steps).toBeGreaterThan(BATCHES); // the loop did crash at every step of the run
    });
  }

  it('a publish that resolved is in the files without a sync or a close', async () => {
    const env = stagedEnv();
    const log = await openLog(env);
    await log.publish(batch(0));
    const reopened = await openLog(afterCrash(env));
    expect((await reopened.consume(0, 100)).messages).toHaveLength(BATCH);
    await reopened.close();
  });

  it("a producer's publish that resolved is answered again after a crash, not appended twice", async () => {
    const env = stagedEnv();
    const open = (e: MemoryEnv) => LogEngine.open(e, 'log', resolveOptions({ createDirs: true }));
    const records = encodeBatch(toRecordColumns(gen(3, 0), 0));
    const engine = await open(env);
    expect(await engine.publish(records, { id: 'tab-a', seq: 0 })).toBe(3);
    const reopened = await open(afterCrash(env));
    expect(await reopened.publish(records, { id: 'tab-a', seq: 0 })).toBe(3);
    expect((await reopened.stat()).messages).toBe(3);
    await reopened.close();
  });

  it('lets go of the images of files it no longer writes, and keeps the one it does', async () => {
    const store = new Map<number, Uint8Array>();
    const stored = (n: number): ReplaceableFile => ({
      read: async (position, length) => (store.get(n) ?? new Uint8Array()).slice(position, position + length),
      size: async () => store.get(n)?.length ?? 0,
      replace: async (content) => void store.set(n, content),
    });
    const files = Array.from({ length: 24 }, (_, n) => new StagedFile(stored(n), `f${n}`));
    const mib = new Uint8Array(1024 * 1024).fill(7);
    for (const f of files) {
      await f.write(mib, 0);
      await f.commit();
    }
    const kept = files.reduce((n, f) => n + f.imageBytes(), 0);
    expect(kept).toBeLessThanOrEqual(IMAGE_BUDGET + files.at(-1)!.imageBytes());
    expect(files.at(-1)!.imageBytes()).toBeGreaterThan(0);
    // A file whose image went reads its stored content, and loads it again to write.
    expect(files[0]!.imageBytes()).toBe(0);
    expect((await files[0]!.read(10, 2))[0]).toBe(7);
    await files[0]!.write(new Uint8Array([1]), 0);
    await files[0]!.commit();
    expect(store.get(0)!.length).toBe(mib.length);
    expect(store.get(0)![0]).toBe(1);
  });

  it('commits one at a time, so an older image never lands after a newer one', async () => {
    const landed: string[] = [];
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const file = new StagedFile(
      {
        read: async () => new Uint8Array(),
        size: async () => 0,
        replace: async (content) => {
          if (first) {
            first = false;
            await slow;
          }
          landed.push(dec.decode(content));
        },
      },
      'f',
    );
    await file.write(enc.encode('a'), 0);
    const one = file.commit();
    await file.write(enc.encode('b'), 0);
    const two = file.commit();
    release();
    await Promise.all([one, two]);
    expect(landed).toEqual(['a', 'b']);
  });
});
