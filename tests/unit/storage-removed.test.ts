/**
 * The log's files removed under an open log (site data cleared, storage
 * evicted, the directory removed): a writer's handles go on writing files
 * that no longer exist, so the log must find out by name, at the latest at
 * `sync`, and from then on reject every call `StorageRemoved` rather than
 * answer from what is gone. A new open starts a new log.
 */
import { describe, expect, it } from 'vitest';
import type { Log } from '../../src/types.ts';
import type { MemoryDirectory } from '../../src/storage/memory.ts';
import { enc, freshEnv, gen, openLog, rejection } from './helpers.ts';

const REMOVED = { code: 'StorageRemoved' };

/** Every call of `log` rejects StorageRemoved (close resolves). */
async function expectDead(log: Log): Promise<void> {
  const calls: [string, () => Promise<unknown>][] = [
    ['publish', () => log.publish([{ value: enc.encode('after') }])],
    ['publish([])', () => log.publish([])],
    ['nextOffset', () => log.nextOffset()],
    ['consume', () => log.consume(0, 10)],
    ['get', () => log.get(0)],
    ['getByKey', () => log.getByKey(enc.encode('k1'))],
    ['getByTime', () => log.getByTime(0)],
    ['delete', () => log.delete([0])],
    ['stat', () => log.stat()],
    ['sync', () => log.sync()],
  ];
  for (const [name, call] of calls) {
    const err = await rejection(call());
    expect({ code: err.code }, name).toEqual(REMOVED);
  }
  await log.close();
  await log.close();
}

describe('a writer whose directory is removed while it is open', () => {
  it('rejects sync StorageRemoved, then every call; a new open starts a new log', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(5));
    await log.sync();
    await env.root.removeDir('log');
    const err = await rejection(log.sync());
    expect(err.code).toBe('StorageRemoved');
    expect(err.message).toMatch(/log log were removed while it was open/);
    await expectDead(log);

    const fresh = await openLog(env);
    expect(await fresh.nextOffset()).toBe(0);
    expect(await fresh.publish(gen(2))).toBe(2);
    await fresh.close();
  });

  it('with autoSync, the first publish after the removal rejects', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { autoSync: true });
    await log.publish(gen(3));
    await env.root.removeDir('log');
    expect((await rejection(log.publish(gen(1)))).code).toBe('StorageRemoved');
    await expectDead(log);
  });

  it('notices a directory made anew at the same path, holding another log', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(3));
    await log.sync();
    const old = (await env.root.subdir(['log'], false)) as MemoryDirectory;
    const head = (await old.names()).find((n) => n.endsWith('.log'))!;
    // Another log's first segment: same name, another incarnation in its header.
    const other = freshEnv();
    const otherLog = await openLog(other);
    await otherLog.publish(gen(1));
    await otherLog.close();
    const otherHead = ((await other.root.subdir(['log'], false)) as MemoryDirectory).raw(head)!;
    await env.root.removeDir('log');
    ((await env.root.subdir(['log'], true)) as MemoryDirectory).setRaw(head, otherHead);

    expect((await rejection(log.sync())).code).toBe('StorageRemoved');
    await expectDead(log);
  });

  it('close after the removal resolves and releases the log for a new open', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(3));
    await env.root.removeDir('log');
    await log.close();
    const fresh = await openLog(env);
    expect(await fresh.nextOffset()).toBe(0);
    await fresh.close();
  });

  it('a log left as it was answers sync as before (the check does not misfire)', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 256 });
    for (let i = 0; i < 20; i++) {
      await log.publish(gen(3));
      expect(await log.sync()).toBe(3 * (i + 1));
    }
    await log.delete([59]); // rewrites the head: a new incarnation under the same name
    expect(await log.sync()).toBe(60);
    await log.close();
  });
});

describe('a readonly log whose directory is removed', () => {
  it('rejects its next read StorageRemoved, and every call after', async () => {
    const env = freshEnv();
    const writer = await openLog(env);
    await writer.publish(gen(4));
    const reader = await openLog(env, 'log', { readonly: true });
    expect(await reader.nextOffset()).toBe(4);
    await writer.close();
    await env.root.removeDir('log');
    expect((await rejection(reader.get(0))).code).toBe('StorageRemoved');
    for (const call of [() => reader.nextOffset(), () => reader.consume(0, 1), () => reader.stat()]) {
      expect((await rejection(call())).code).toBe('StorageRemoved');
    }
    await reader.close();
  });
});
