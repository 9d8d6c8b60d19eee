/**
 * Archive export and import on the memory backend: round trips, consistency
 * while publishing, and every kind of bad input rejected with nothing left behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { assert, describe, expect, it } from 'vitest';
import { exportArchive, importArchive, type LogError, OffsetOldest } from '../../src/index.ts';
import { restoreArchive } from '../../src/archive/restore.ts';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import { IndexStore } from '../../src/indexes/store.ts';
import { SEGMENT_HEADER_SIZE } from '../../src/segment/segment.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';
import type { Log, Message } from '../../src/types.ts';
import { allOffsets, dec, enc, flip, freshEnv, gen, openLog, rejection } from './helpers.ts';

/** Every message of the log, in a form `toEqual` compares. */
async function dump(log: Log): Promise<{ offset: number; time: number; key: string | null; value: string | null }[]> {
  const out = [];
  let offset = OffsetOldest;
  for (;;) {
    const batch = await log.consume(offset, 1000);
    out.push(
      ...batch.messages.map((m: Message) => ({
        offset: m.offset,
        time: m.time,
        key: m.key && dec.decode(m.key),
        value: m.value && dec.decode(m.value),
      })),
    );
    if (batch.messages.length === 0 && batch.nextOffset === (await log.nextOffset())) return out;
    offset = batch.nextOffset;
  }
}

/** A log with several segments, a deleted message in the middle and its newest one deleted. */
async function sampleLog(env: MemoryEnv, dir = 'src/log') {
  const log = await openLog(env, dir, { rollover: 400 });
  await log.publish(gen(30));
  await log.publish([{ key: enc.encode('json'), value: enc.encode('{"a":1}'), time: Date.UTC(2024, 0, 1) }]);
  await log.publish(gen(5, 31));
  await log.delete([4]);
  await log.delete([35]); // the newest: nextOffset stays 36
  return log;
}

async function dirExists(env: MemoryEnv, path: string): Promise<boolean> {
  return env.root.subdir(path.split('/'), false).then(
    () => true,
    () => false,
  );
}

async function indexRecords(env: MemoryEnv, path: string): Promise<number> {
  const store = await IndexStore.open(env.idb);
  const n = (await store.load(path)).size;
  store.close();
  return n;
}

async function exportSample(): Promise<{ file: File; expected: Awaited<ReturnType<typeof dump>> }> {
  const env = freshEnv();
  const log = await sampleLog(env);
  const expected = await dump(log);
  const file = await exportArchive(log);
  await log.close();
  return { file, expected };
}

/** The archive's entries, and a zip of them changed by `edit` (deflated, as a person's zip tool makes). */
function rezip(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Blob {
  const files = unzipSync(bytes);
  edit(files);
  return new Blob([zipSync(files as Zippable) as Uint8Array<ArrayBuffer>]);
}

describe('archive round trip', () => {
  it('restores messages, keys, times, deleted offsets and the next offset', async () => {
    const env = freshEnv();
    const log = await sampleLog(env);
    const expected = await dump(log);
    const stat = await log.stat();
    const file = await exportArchive(log);
    expect(file.name).toMatch(/^src_log-\d{8}-\d{6}\.zip$/);
    expect(file.type).toBe('application/zip');

    const target = freshEnv();
    const info = await restoreArchive(target, 'restored/log', file);
    expect(info).toMatchObject({ dir: 'src/log', nextOffset: 36, messages: 34, segments: stat.segments });
    expect(info.options).toEqual({ keyIndex: true, timeIndex: true, rollover: 400 });
    expect(Math.abs(info.createdAt - Date.now())).toBeLessThan(60_000);

    const restored = await openLog(target, 'restored/log', { rollover: 400 });
    expect(await dump(restored)).toEqual(expected);
    expect(await restored.nextOffset()).toBe(36);
    expect(await restored.stat()).toEqual(stat);
    await expect(restored.get(4)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(restored.get(35)).rejects.toMatchObject({ code: 'NotFound' });
    expect(dec.decode((await restored.getByKey(enc.encode('json'))).value!)).toBe('{"a":1}');
    expect((await restored.offsetByTime(1000 + 20)).offset).toBe(20);
    expect(await restored.publish(gen(1))).toBe(37);
    await restored.close();
    await log.close();
  });

  it('saves the index records, so the restored log opens without a rescan', async () => {
    const { file } = await exportSample();
    const target = freshEnv();
    await restoreArchive(target, 'restored', file);
    const stat = await (async () => {
      const l = await openLog(target, 'restored', { readonly: true });
      const s = await l.stat();
      await l.close();
      return s;
    })();
    expect(await indexRecords(target, 'restored')).toBe(stat.segments);
    let bytesRead = 0;
    target.root.faults.onRead = (file, _position, length) => {
      if (!file.endsWith(`/${CHANGES_FILE}`)) bytesRead += length; // the writer's change counter is no rescan
    };
    const reopened = await openLog(target, 'restored', { readonly: true });
    target.root.faults.onRead = undefined;
    // Sealed segments open on their first read, from their records; the head's header is read now.
    expect(bytesRead).toBe(SEGMENT_HEADER_SIZE);
    expect((await allOffsets(reopened)).length).toBe(34);
    await reopened.close();
  });

  it('exports an empty log, and a readonly one beside its writer', async () => {
    const env = freshEnv();
    const empty = await openLog(env, 'empty');
    const target = freshEnv();
    expect(await restoreArchive(target, 'empty', await exportArchive(empty))).toMatchObject({
      nextOffset: 0,
      messages: 0,
    });
    const restored = await openLog(target, 'empty');
    expect(await restored.nextOffset()).toBe(0);
    expect(await restored.publish(gen(2))).toBe(2);

    await empty.publish(gen(7));
    const reader = await openLog(env, 'empty', { readonly: true });
    const file = await exportArchive(reader);
    await restoreArchive(target, 'from-reader', file);
    const copy = await openLog(target, 'from-reader');
    expect(await dump(copy)).toEqual(await dump(empty));
    for (const l of [empty, reader, restored, copy]) await l.close();
  });

  it('restores a re-zipped (deflated) archive', async () => {
    const { file, expected } = await exportSample();
    const rezipped = rezip(new Uint8Array(await file.arrayBuffer()), () => undefined);
    const target = freshEnv();
    await restoreArchive(target, 'log', rezipped);
    const restored = await openLog(target, 'log');
    expect(await dump(restored)).toEqual(expected);
    await restored.close();
  });

  it('writes a zip that unzip lists and tests', async (ctx) => {
    if (spawnSync('unzip', ['-v']).status !== 0) ctx.skip();
    const { file } = await exportSample();
    const dir = mkdtempSync(join(tmpdir(), 'opfs-log-archive-'));
    try {
      const path = join(dir, file.name);
      writeFileSync(path, new Uint8Array(await file.arrayBuffer()));
      const list = spawnSync('unzip', ['-l', path], { encoding: 'utf8' });
      expect(list.status).toBe(0);
      expect(list.stdout).toContain('manifest.json');
      expect(list.stdout).toContain('segments/00000000000000000000.log');
      expect(list.stdout).toContain('indexes/00000000000000000000.idx');
      const check = spawnSync('unzip', ['-t', path], { encoding: 'utf8' });
      expect(check.stdout).toContain('No errors detected');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('archive export while the log changes', () => {
  it('is consistent at the offset it started at while publishing goes on', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await log.publish(gen(20));
    const exporting = exportArchive(log);
    const publishing = Promise.all(Array.from({ length: 10 }, (_, i) => log.publish(gen(3, 20 + 3 * i))));
    const [file] = await Promise.all([exporting, publishing]);
    expect(await log.nextOffset()).toBe(50);
    const target = freshEnv();
    expect((await restoreArchive(target, 'log', file)).nextOffset).toBe(20);
    const restored = await openLog(target, 'log');
    expect(await allOffsets(restored)).toEqual([...Array(20).keys()]);
    await restored.close();
    await log.close();
  });

  it('keeps messages deleted during the export (export-pins.test.ts pauses one half-way)', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 300 });
    await log.publish(gen(20));
    const exporting = exportArchive(log);
    const deleting = log.delete([0, 1, 2]);
    const [file, deleted] = await Promise.all([exporting, deleting]);
    expect(deleted.deletedOffsets).toEqual(new Set([0, 1, 2]));
    const target = freshEnv();
    await restoreArchive(target, 'log', file);
    const restored = await openLog(target, 'log');
    expect((await allOffsets(restored)).slice(0, 3)).toEqual([0, 1, 2]);
    await restored.close();
    await log.close();
  });

  it('of a readonly log is consistent while its writer deletes', async () => {
    // Memory files keep an open file's bytes after a rename over it (as POSIX does), so here the
    // reader just goes on copying the old file; on OPFS it notices and rejects (archive.spec.ts).
    const env = freshEnv();
    const writer = await openLog(env, 'log', { rollover: 300 });
    await writer.publish(gen(20));
    await writer.publish(gen(20, 20));
    const reader = await openLog(env, 'log', { readonly: true, rollover: 300 });
    let deleting: Promise<unknown> | null = null;
    env.root.faults.onRead = (file) => {
      // The export is copying the first segment: the writer deletes from it (a reader cannot hold it back).
      if (!deleting && file.endsWith('00000000000000000000.log')) deleting = writer.delete([0]);
    };
    const file = await exportArchive(reader);
    env.root.faults.onRead = undefined;
    expect((await (deleting as Promise<{ deletedOffsets: Set<number> }> | null))?.deletedOffsets).toEqual(new Set([0]));
    const target = freshEnv();
    await restoreArchive(target, 'log', file);
    const restored = await openLog(target, 'log');
    expect(await allOffsets(restored)).toEqual([...Array(40).keys()]);
    for (const l of [writer, reader, restored]) await l.close();
  });

  it('rejects Closed for a closed log and InvalidArgument for something else', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log');
    await log.close();
    expect((await rejection(exportArchive(log))).code).toBe('Closed');
    expect((await rejection(exportArchive({} as Log))).code).toBe('InvalidArgument');
  });
});

describe('archive import rejects bad input and leaves nothing behind', () => {
  async function expectCorrupted(archive: Blob, message: RegExp): Promise<void> {
    const target = freshEnv();
    const err = await rejection(restoreArchive(target, 'logs/restored', archive));
    expect(err.code).toBe('Corrupted');
    expect(err.message).toMatch(message);
    expect(await dirExists(target, 'logs')).toBe(false);
    expect(await indexRecords(target, 'logs/restored')).toBe(0);
  }

  it('a truncated archive', async () => {
    const { file } = await exportSample();
    const named = (blob: Blob) => new File([blob], 'cut.zip');
    await expectCorrupted(named(file.slice(0, file.size - 10)), /^cut\.zip: .*truncated/);
    await expectCorrupted(named(file.slice(0, Math.floor(file.size / 2))), /truncated/);
    await expectCorrupted(named(file.slice(0, 100)), /truncated/);
  });

  it('a flipped byte in a segment, an index or the manifest', async () => {
    const { file } = await exportSample();
    const bytes = new Uint8Array(await file.arrayBuffer());
    const text = dec.decode(bytes);
    for (const [needle, what] of [
      ['v17', /segments\/.*\.log/],
      ['"nextOffset"', /manifest\.json/],
    ] as const) {
      const flipped = bytes.slice();
      flip(flipped, text.indexOf(needle) + 1, 0x01);
      await expectCorrupted(new Blob([flipped]), what);
    }
    const index = unzipSync(bytes)['indexes/00000000000000000000.idx'];
    assert(index, 'the archive holds the index of segment 0');
    const at = findBytes(bytes, index.subarray(24, 48));
    const flipped = bytes.slice();
    flip(flipped, at + 3, 0x10);
    await expectCorrupted(new Blob([flipped]), /indexes\/.*\.idx/);
  });

  it('never restores different data, whichever single byte is flipped', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log');
    await log.publish(gen(3));
    const expected = await dump(log);
    const bytes = new Uint8Array(await (await exportArchive(log)).arrayBuffer());
    await log.close();
    let rejected = 0;
    for (let i = 0; i < bytes.length; i++) {
      const flipped = bytes.slice();
      flip(flipped, i, 0x04);
      const target = freshEnv();
      try {
        await restoreArchive(target, 'log', new Blob([flipped]));
      } catch (err) {
        expect((err as LogError).code, `byte ${i}: ${String(err)}`).toBe('Corrupted');
        expect(await dirExists(target, 'log')).toBe(false);
        rejected++;
        continue;
      }
      // Only zip metadata that no data depends on (times, attributes) may change unnoticed.
      const restored = await openLog(target, 'log');
      expect(await dump(restored), `byte ${i}`).toEqual(expected);
      await restored.close();
    }
    expect(rejected).toBeGreaterThan(bytes.length * 0.8);
  }, 60_000);

  it('a zip of something else, a foreign entry, a missing file, an unknown version', async () => {
    await expectCorrupted(new Blob([zipSync({ 'notes.txt': enc.encode('hello') })]), /no manifest\.json.*notes\.txt/);
    const { file } = await exportSample();
    const bytes = new Uint8Array(await file.arrayBuffer());
    await expectCorrupted(
      rezip(bytes, (f) => (f['notes.txt'] = enc.encode('hi'))),
      /notes\.txt is not part of/,
    );
    await expectCorrupted(
      rezip(bytes, (f) => delete f['indexes/00000000000000000000.idx']),
      /indexes\/0+\.idx is missing/,
    );
    await expectCorrupted(
      rezip(bytes, (f) => {
        const m = JSON.parse(dec.decode(f['manifest.json']));
        f['manifest.json'] = enc.encode(JSON.stringify({ ...m, version: 2 }));
      }),
      /version 2 is not supported/,
    );
    await expectCorrupted(
      rezip(bytes, (f) => {
        const m = JSON.parse(dec.decode(f['manifest.json']));
        f['manifest.json'] = enc.encode(JSON.stringify({ ...m, nextOffset: 99 }));
      }),
      /next offset 99/,
    );
  });

  it('a file that is not a zip', async () => {
    await expectCorrupted(new File(['just some text, not an archive'], 'notes.txt'), /^notes\.txt: not a zip archive/);
    await expectCorrupted(new Blob([]), /not a zip archive/);
  });

  it('a full origin: QuotaExceeded, target untouched', async () => {
    const { file } = await exportSample();
    const target = freshEnv();
    target.root.faults.quota = 1000;
    const err = await rejection(restoreArchive(target, 'logs/restored', file));
    expect(err.code).toBe('QuotaExceeded');
    expect(await dirExists(target, 'logs')).toBe(false);
  });

  it('importArchive checks its arguments, then needs a browser (OPFS, workers)', async () => {
    expect((await rejection(importArchive('a/../b', new Blob([])))).code).toBe('InvalidArgument');
    expect((await rejection(importArchive('a', 'x' as unknown as Blob))).code).toBe('InvalidArgument');
    expect((await rejection(importArchive('a', new Blob([])))).code).toBe('Unsupported');
  });

  it('bad arguments', async () => {
    const target = freshEnv();
    expect((await rejection(restoreArchive(target, 'a/../b', new Blob([])))).code).toBe('InvalidArgument');
    expect((await rejection(restoreArchive(target, 'a', 'not a blob'))).code).toBe('InvalidArgument');
    expect((await rejection(restoreArchive(target, 'a', new Blob([]), { overwrite: 'yes' }))).code).toBe(
      'InvalidArgument',
    );
  });
});

describe('archive import over an existing log', () => {
  async function existing(env: MemoryEnv) {
    const log = await openLog(env, 'logs/target', { rollover: 200 });
    await log.publish(gen(50, 0, 3)); // more segments than the archive has
    const before = await dump(log);
    await log.close();
    return before;
  }

  it('rejects InvalidArgument without overwrite and leaves the log as it was', async () => {
    const { file } = await exportSample();
    const env = freshEnv();
    const before = await existing(env);
    const err = await rejection(restoreArchive(env, 'logs/target', file));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toMatch(/overwrite/);
    const log = await openLog(env, 'logs/target', { rollover: 200 });
    expect(await dump(log)).toEqual(before);
    await log.close();
  });

  it('replaces it with overwrite: true', async () => {
    const { file, expected } = await exportSample();
    const env = freshEnv();
    await existing(env);
    await restoreArchive(env, 'logs/target', file, { overwrite: true });
    const log = await openLog(env, 'logs/target');
    expect(await dump(log)).toEqual(expected);
    expect(await log.nextOffset()).toBe(36);
    await log.close();
  });

  it('keeps the old log when the new one is damaged, even with overwrite', async () => {
    const env = freshEnv();
    const before = await existing(env);
    const err = await rejection(restoreArchive(env, 'logs/target', new Blob(['nope']), { overwrite: true }));
    expect(err.code).toBe('Corrupted');
    const log = await openLog(env, 'logs/target', { rollover: 200 });
    expect(await dump(log)).toEqual(before);
    await log.close();
  });

  it('rejects Locked while a writer has the target open', async () => {
    const { file } = await exportSample();
    const env = freshEnv();
    await existing(env);
    const writer = await openLog(env, 'logs/target', { rollover: 200 });
    expect((await rejection(restoreArchive(env, 'logs/target', file, { overwrite: true }))).code).toBe('Locked');
    await writer.close();
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}
