/**
 * Idempotent publish: a publish that names its producer and sequence, sent
 * again because its answer was lost, is answered again and appended once;
 * also after a crash, never for a batch that did not make it, and not after
 * its entry was undone by a failed write.
 */
import { resolveOptions } from '../../src/engine/options.ts';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/codec/record.ts';
import { toRecordColumns } from '../../src/client/validate.ts';
import { LogEngine } from '../../src/engine/engine.ts';
import { COMPACT_FROM, PRODUCER_WINDOW, PRODUCERS_FILE, type Producer } from '../../src/engine/producers.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import type { MemoryDirectory } from '../../src/storage/memory.ts';
import { exportArchive } from '../../src/archive/export.ts';
import { restoreArchive } from '../../src/archive/restore.ts';
import { afterCrash, freshEnv, gen, headFile, openLog, quotaOnWrite, recSize, rejection } from './helpers.ts';

const open = (env: MemoryEnv) =>
  LogEngine.open(env, 'log', resolveOptions({ createDirs: true, keyIndex: true, timeIndex: true }));
const batch = (n: number, from: number) => encodeBatch(toRecordColumns(gen(n, from), 0));
const p = (seq: number, id = 'tab-a'): Producer => ({ id, seq });

async function count(engine: LogEngine): Promise<number> {
  return (await engine.stat()).messages;
}

async function files(env: MemoryEnv): Promise<string[]> {
  return (await (await env.root.subdir(['log'], false)).names()).sort();
}

describe('a publish that names its producer', () => {
  it('sent again is answered again, not appended twice; a new seq or another producer appends', async () => {
    const env = freshEnv();
    const engine = await open(env);
    expect(await engine.publish(batch(3, 0), p(0))).toBe(3);
    expect(await engine.publish(batch(3, 0), p(0))).toBe(3);
    expect(await count(engine)).toBe(3);
    expect(await engine.publish(batch(2, 3), p(1))).toBe(5);
    expect(await engine.publish(batch(2, 5), p(1, 'tab-b'))).toBe(7);
    expect(await engine.publish(batch(3, 0), p(0))).toBe(3); // an old answer, still known
    expect(await count(engine)).toBe(7);
    await engine.close();
  });

  it('is recognized after a crash, from the table beside the segments', async () => {
    const env = freshEnv();
    const engine = await open(env);
    await engine.publish(batch(3, 0), p(0));
    await engine.publish(batch(2, 3), p(1));
    await engine.sync();
    const reopened = await open(afterCrash(env));
    expect(await reopened.publish(batch(2, 3), p(1))).toBe(5);
    expect(await reopened.publish(batch(3, 0), p(0))).toBe(3);
    expect(await count(reopened)).toBe(5);
    await reopened.close();
  });

  it('whose batch a crash tore off is appended when sent again, once', async () => {
    const env = freshEnv();
    const engine = await open(env);
    await engine.publish(batch(3, 0), p(0));
    await engine.publish(batch(2, 3), p(1));
    // The crash came after the entry was written but before the whole batch was.
    const { d, name } = await headFile(env);
    const raw = d.raw(name)!;
    d.setRaw(name, raw.slice(0, raw.length - recSize(4) - 1));
    const reopened = await open(afterCrash(env));
    expect(await reopened.nextOffset()).toBe(3);
    expect(await reopened.publish(batch(2, 3), p(1))).toBe(5);
    expect(await reopened.publish(batch(2, 3), p(1))).toBe(5);
    expect(await count(reopened)).toBe(5);
    // Another producer took nothing of it: offsets 3 and 4 are the retried batch.
    expect(await reopened.publish(batch(1, 5), p(0, 'tab-b'))).toBe(6);
    await reopened.close();
  });

  it('whose write failed leaves no entry: sent again, it is appended', async () => {
    const env = freshEnv();
    const engine = await open(env);
    await engine.publish(batch(3, 0), p(0));
    env.root.faults.beforeWrite = quotaOnWrite((file) => file.endsWith('.log'));
    expect((await rejection(engine.publish(batch(2, 3), p(1)))).code).toBe('QuotaExceeded');
    env.root.faults.beforeWrite = undefined;
    // Another producer takes the offsets the failed batch would have had.
    expect(await engine.publish(batch(2, 3), p(0, 'tab-b'))).toBe(5);
    await engine.close();
    const reopened = await open(env);
    expect(await reopened.publish(batch(2, 5), p(1))).toBe(7);
    expect(await count(reopened)).toBe(7);
    await reopened.close();
  });

  it('whose segment write failed leaves no hole in the table: later entries survive a reopen', async () => {
    const env = freshEnv();
    const engine = await open(env);
    expect(await engine.publish(batch(3, 0), p(0))).toBe(3);
    // tab-a's entry is appended, then its batch's segment write fails and the entry is undone.
    // The table must end where it ended before: the next entry written past a hole is unreadable
    // to open, which stops at the first entry that is not whole.
    env.root.faults.beforeWrite = quotaOnWrite((file) => file.endsWith('.log'));
    expect((await rejection(engine.publish(batch(2, 3), p(1)))).code).toBe('QuotaExceeded');
    env.root.faults.beforeWrite = undefined;
    expect(await engine.publish(batch(2, 3), p(0, 'tab-b'))).toBe(5);
    await engine.sync();
    // tab-b lost its answer and sends the publish again to the next worker: answered, not appended.
    const reopened = await open(afterCrash(env));
    expect(await reopened.publish(batch(2, 3), p(0, 'tab-b'))).toBe(5);
    expect(await reopened.publish(batch(3, 0), p(0))).toBe(3); // the entry before the failed one too
    expect(await count(reopened)).toBe(5);
    await reopened.close();
  });

  it(`remembers a producer's last ${PRODUCER_WINDOW} publishes`, async () => {
    const env = freshEnv();
    const engine = await open(env);
    for (let seq = 0; seq <= PRODUCER_WINDOW; seq++) await engine.publish(batch(1, seq), p(seq));
    expect(await engine.publish(batch(1, 1), p(1))).toBe(2); // the oldest but one: known
    expect(await engine.publish(batch(1, 0), p(0))).toBe(PRODUCER_WINDOW + 2); // forgotten: appended
    await engine.close();
  });

  it('with a malformed producer rejects InvalidArgument and writes nothing', async () => {
    const env = freshEnv();
    const engine = await open(env);
    for (const bad of [
      { id: '', seq: 0 },
      { id: 'x', seq: -1 },
      { id: 'x', seq: 1.5 },
      { id: 'x'.repeat(65), seq: 0 },
      { seq: 0 },
    ]) {
      expect((await rejection(engine.publish(batch(1, 0), bad as Producer))).code).toBe('InvalidArgument');
    }
    expect(await count(engine)).toBe(0);
    await engine.close();
  });

  it('makes a table file only when a publish names a producer, and drops entries whose batch is gone', async () => {
    const env = freshEnv();
    const engine = await open(env);
    await engine.publish(batch(2, 0));
    expect(await files(env)).not.toContain(PRODUCERS_FILE);
    await engine.publish(batch(2, 2), p(0));
    expect(await files(env)).toContain(PRODUCERS_FILE);
    await engine.close();
    // An entry for offsets the log does not hold is dropped when the log opens.
    const d = (await env.root.subdir(['log'], false)) as MemoryDirectory;
    const before = d.raw(PRODUCERS_FILE)!.length;
    const { name } = await headFile(env);
    const raw = d.raw(name)!;
    d.setRaw(name, raw.slice(0, raw.length - recSize(3)));
    const reopened = await open(afterCrash(env));
    expect(d.raw(PRODUCERS_FILE)!.length).toBeLessThan(before);
    expect(await reopened.publish(batch(2, 2), p(0))).toBe(4);
    await reopened.close();
  });

  it('keeps its file bounded while publishing goes on, and still answers retries after a crash', async () => {
    const env = freshEnv();
    const engine = await open(env);
    const d = (await env.root.subdir(['log'], false)) as MemoryDirectory;
    const entry = 24 + 'tab-a'.length;
    const publishes = Math.ceil((2 * COMPACT_FROM) / entry);
    let largest = 0;
    for (let seq = 0; seq < publishes; seq++) {
      await engine.publish(batch(1, seq), p(seq));
      largest = Math.max(largest, d.raw(PRODUCERS_FILE)!.length);
    }
    // Written back compacted each time it reached the bound: never more than an entry past it.
    expect(largest).toBeLessThanOrEqual(COMPACT_FROM + entry);
    const reopened = await open(afterCrash(env));
    expect(await reopened.publish(batch(1, publishes - 1), p(publishes - 1))).toBe(publishes);
    expect(await reopened.publish(batch(1, publishes - PRODUCER_WINDOW), p(publishes - PRODUCER_WINDOW))).toBe(
      publishes - PRODUCER_WINDOW + 1,
    );
    expect(await count(reopened)).toBe(publishes);
    await reopened.close();
  });

  it('is forgotten when an import replaces the log', async () => {
    const env = freshEnv();
    const engine = await open(env);
    await engine.publish(batch(2, 0), p(0));
    await engine.close();
    const other = await openLog(env, 'other');
    await other.publish(gen(5));
    const archive = await exportArchive(other);
    await other.close();
    await restoreArchive(env, 'log', archive, { overwrite: true });
    expect(await files(env)).not.toContain(PRODUCERS_FILE);
    const reopened = await open(env);
    expect(await reopened.publish(batch(2, 5), p(0))).toBe(7);
    await reopened.close();
  });
});
