/**
 * An import over an existing log, crashed after every file operation in
 * turn (and with that operation's write torn in half): the next open, or the
 * next import, finds either the old log or the imported one, whole, and no
 * file of the other or of the import itself is left in the directory.
 */
import { assert, describe, expect, it } from 'vitest';
import { exportArchive, OffsetOldest } from '../../src/index.ts';
import { restoreArchive } from '../../src/archive/restore.ts';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import { REPLACE_MARKER, STAGED_SUFFIX } from '../../src/engine/replace.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import { afterCrash, dec, freshEnv, gen, openLog } from './helpers.ts';

const DIR = 'logs/target';

interface State {
  messages: { offset: number; time: number; key: string | null; value: string | null }[];
  next: number;
  files: string[];
}

async function state(env: MemoryEnv): Promise<State> {
  const log = await openLog(env, DIR, { rollover: 200 });
  const messages: State['messages'] = [];
  for (let offset = OffsetOldest; ; ) {
    const batch = await log.consume(offset, 1000);
    for (const m of batch.messages) {
      messages.push({
        offset: m.offset,
        time: m.time,
        key: m.key && dec.decode(m.key),
        value: m.value && dec.decode(m.value),
      });
    }
    if (batch.messages.length === 0) break;
    offset = batch.nextOffset;
  }
  const next = await log.nextOffset();
  await log.close();
  const dir = await env.root.subdir(DIR.split('/'), false);
  return { messages, next, files: (await dir.list()).map((e) => e.name).sort() };
}

/** The old log: more segments than the archive, and its first segment's name collides with the archive's. */
async function oldLog(env: MemoryEnv): Promise<void> {
  const log = await openLog(env, DIR, { rollover: 200 });
  for (let i = 0; i < 50; i += 5) await log.publish(gen(5, 100 + i, 3));
  await log.delete([7]);
  await log.close();
}

/** An archive of another log: several segments, a deleted offset, a different next offset. */
async function archive(): Promise<File> {
  const env = freshEnv();
  const log = await openLog(env, 'src', { rollover: 400 });
  for (let i = 0; i < 30; i += 10) await log.publish(gen(10, i));
  await log.delete([4]);
  await log.publish(gen(6, 30));
  const file = await exportArchive(log);
  await log.close();
  return file;
}

/** Makes the file system stop after `n` changes, the nth one's write torn in half if `torn`. */
function crashAfter(env: MemoryEnv, n: number, torn: boolean): () => boolean {
  let changes = 0;
  let tear = false;
  let crashed = false;
  env.root.faults.beforeChange = (op, file) => {
    if (crashed) throw new Error('the file system has crashed');
    if (changes++ < n) return;
    if (torn && op === 'write') {
      tear = true; // beforeWrite cuts it short; every later change fails
      return;
    }
    crashed = true;
    throw new Error(`crash before ${op} ${file}`);
  };
  env.root.faults.beforeWrite = (_file, data) => {
    if (!tear) return;
    tear = false;
    crashed = true;
    return Math.floor(data.length / 2);
  };
  return () => crashed;
}

function heal(env: MemoryEnv): MemoryEnv {
  env.root.faults.beforeChange = undefined;
  env.root.faults.beforeWrite = undefined;
  return afterCrash(env);
}

describe('a crash during an import over an existing log', () => {
  it('leaves the old log or the new one, whole, at every crash point', async () => {
    const file = await archive();
    const oldEnv = freshEnv();
    await oldLog(oldEnv);
    const old = await state(oldEnv);
    const newEnv = freshEnv();
    await oldLog(newEnv);
    await restoreArchive(newEnv, DIR, file, { overwrite: true });
    const imported = await state(newEnv);
    expect(imported.next).not.toBe(old.next);
    expect(imported.files).not.toEqual(old.files);
    expect(old.files.length).toBeGreaterThan(imported.files.length);
    expect(imported.files.length).toBeGreaterThan(2);

    const seen = { old: 0, imported: 0 };
    for (const torn of [false, true]) {
      for (let n = 0, done = false; !done; n++) {
        for (const then of ['open', 'import again'] as const) {
          const env = freshEnv();
          await oldLog(env);
          const crashed = crashAfter(env, n, torn);
          const result = await restoreArchive(env, DIR, file, { overwrite: true }).then(
            () => 'ok',
            (e: unknown) => e,
          );
          if (!crashed()) {
            expect(result).toBe('ok');
            done = true;
            break;
          }
          const after = heal(env);
          const where = `crash after ${n} changes${torn ? ', torn' : ''}, then ${then}`;
          if (then === 'import again') {
            await restoreArchive(after, DIR, file, { overwrite: true });
            expect(await state(after), where).toEqual(imported);
          } else {
            const found = await state(after);
            expect([old, imported], where).toContainEqual(found);
            seen[found.next === old.next ? 'old' : 'imported']++;
          }
        }
      }
    }
    // Both outcomes happened: the crash points span the commit.
    expect(seen.old).toBeGreaterThan(5);
    expect(seen.imported).toBeGreaterThan(5);
  }, 120_000);

  it('is finished by the next open even with an old rewrite copy left beside it', async () => {
    const file = await archive();
    const env = freshEnv();
    await oldLog(env);
    const dir = await env.root.subdir(DIR.split('/'), false);
    const [, second] = (await dir.list()).map((e) => e.name).sort();
    assert(second, 'a second file');
    // A delete that crashed mid-rename: the copy is there and its original gone.
    await dir.rename(second, `${second}.tmp`);
    let renames = 0;
    env.root.faults.beforeChange = (op) => {
      if (op === 'rename' && renames++ === 0) throw new Error('crash at the first rename');
    };
    await expect(restoreArchive(env, DIR, file, { overwrite: true })).rejects.toThrow();
    const after = heal(env);
    const listing = (await dir.list()).map((e) => e.name);
    expect(listing).toContain(REPLACE_MARKER);
    expect(listing.some((n) => n.endsWith(STAGED_SUFFIX))).toBe(true);
    const found = await state(after);
    expect(found.next).toBe(36);
    // Segments only, beside the writer's change counter: nothing of the import is left.
    expect(found.files.filter((n) => n !== CHANGES_FILE).every((n) => /^\d{20}\.log$/.test(n))).toBe(true);
  });
});
