/** Fixtures for the Node tier: a fresh memory env per test and message generators. */
import { IDBFactory } from 'fake-indexeddb';
import { expect } from 'vitest';
import { RECORD_HEADER_SIZE } from '../../src/codec/record.ts';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import { LogError } from '../../src/errors.ts';
import { memoryEnv, type MemoryEnv } from '../../src/storage/memory-env.ts';
import { openEngine } from '../../src/client/open-engine.ts';
import { MemoryLocks } from '../../src/storage/memory-locks.ts';
import type { MemoryDirectory, MemoryFaults } from '../../src/storage/memory.ts';
import type { Log, Options } from '../../src/types.ts';
import { generator, KLEVDB_SHAPE } from '../contract/gen.ts';

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function freshEnv(): MemoryEnv {
  return memoryEnv(new IDBFactory());
}

/** The same files and IndexedDB after the worker that held them was killed. */
export function afterCrash(env: MemoryEnv): MemoryEnv {
  env.root.crash();
  return { ...env, locks: new MemoryLocks() };
}

/** `count` messages with keys `k<i % keys>` (10 by default), values `v<i>` and times `1000 + i` ms; klevdb's Gen. */
export const gen = generator(KLEVDB_SHAPE);

export async function openLog(env: MemoryEnv, dir = 'log', options: Options = {}): Promise<Log> {
  return openEngine(env, dir, { createDirs: true, keyIndex: true, timeIndex: true, ...options });
}

/** Every offset in the log, read with consume from the oldest. */
export async function allOffsets(log: Log): Promise<number[]> {
  const out: number[] = [];
  let offset = -2;
  for (;;) {
    const b = await log.consume(offset, 1000);
    out.push(...b.messages.map((m) => m.offset));
    if (b.nextOffset === offset || (b.messages.length === 0 && b.nextOffset === (await log.nextOffset()))) break;
    offset = b.nextOffset;
  }
  return out;
}

/** The log's directory in memory, and the name of its last (head) segment. */
export async function headFile(env: MemoryEnv, dir = 'log'): Promise<{ d: MemoryDirectory; name: string }> {
  const d = (await env.root.subdir(dir.split('/'), false)) as MemoryDirectory;
  const names = (await d.list())
    .map((e) => e.name)
    .filter((n) => n.endsWith('.log'))
    .sort();
  const name = names.at(-1);
  if (name === undefined) throw new Error(`no segment file in ${dir}`);
  return { d, name };
}

/**
 * Leaves the log's change counter odd, as a crash in the middle of a change
 * to its files does (engine/changes.ts): the next open lists the directory
 * instead of taking the files it knew (engine/known-files.ts), and so finds
 * what a test put there behind its back as a crash would have left it.
 */
export async function interruptChange(env: MemoryEnv, dir = 'log'): Promise<void> {
  const d = (await env.root.subdir(dir.split('/'), false)) as MemoryDirectory;
  const bytes = d.raw(CHANGES_FILE)!.slice();
  const view = new DataView(bytes.buffer);
  view.setUint32(0, view.getUint32(0, true) | 1, true);
  d.setRaw(CHANGES_FILE, bytes);
}

/** Bytes of the record of `gen`'s message i (key `k<i % 10>`, value `v<i>`). */
export const recSize = (i: number) => RECORD_HEADER_SIZE + 2 + `v${i}`.length;

/** The LogError `promise` rejects with; fails the test if it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<LogError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LogError);
  return err as LogError;
}

/** A `beforeWrite` fault: writes to the files `matching` picks fail as a full disk does in a browser (QuotaExceededError). */
export function quotaOnWrite(
  matching: (file: string) => boolean = () => true,
): NonNullable<MemoryFaults['beforeWrite']> {
  return (file) => {
    if (matching(file)) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
}

/** Flips the bits `mask` of byte `at` of `bytes` (damage for a test); a byte past the end fails the test rather than damaging nothing. */
export function flip(bytes: Uint8Array, at: number, mask: number): void {
  if (!Number.isInteger(at) || at < 0 || at >= bytes.length) throw new Error(`flip: no byte ${at} in ${bytes.length}`);
  bytes[at]! ^= mask;
}

/** A fresh env holding a closed log at `log` of `batches` publishes of 10 `gen` messages each, over segments of `rollover` bytes. */
export async function closedLog(batches: number, rollover: number): Promise<MemoryEnv> {
  const env = freshEnv();
  const log = await openLog(env, 'log', { rollover });
  for (let b = 0; b < batches; b++) await log.publish(gen(10, b * 10));
  await log.close();
  return env;
}
