/** Fixtures for the Node tier: a fresh memory env per test and message generators. */
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv, type MemoryEnv } from '../../src/storage/memory-env.ts';
import { openEngine } from '../../src/client/open-engine.ts';
import { MemoryLocks } from '../../src/storage/memory-locks.ts';
import type { MemoryDirectory } from '../../src/storage/memory.ts';
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
  const names = (await d.list()).map((e) => e.name).filter((n) => n.endsWith('.log')).sort();
  return { d, name: names[names.length - 1] };
}
