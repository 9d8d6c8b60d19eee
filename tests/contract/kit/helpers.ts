/** Fixtures shared by the kit's cases. */
import type { ContractContext } from '../registry.ts';
import type { Log, Message, Options } from '../../../src/types.ts';
import { fail, ok, show } from '../assert.ts';
import { generator, KIT_SHAPE } from '../gen.ts';

export { T0 } from '../gen.ts';
/** Small enough that a few generated messages fill a segment. */
export const SMALL_ROLLOVER = 300;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(data: Uint8Array | null): string | null {
  return data === null ? null : decoder.decode(data);
}

/** `count` messages with keys `k<i % keys>`, values `v<i>-xxx…` and times one second apart from `T0`, numbered from `from`. */
export const gen = generator(KIT_SHAPE);

export function offsetsOf(messages: Message[]): number[] {
  return messages.map((m) => m.offset);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` is still pending after `ms`. */
export async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const PENDING = Symbol('pending');
  const result = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    sleep(ms).then(() => PENDING),
  ]);
  return result === PENDING;
}

/** The error `promise` rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    const value = await promise;
    return fail(`${what}: expected a rejection, got ${show(value)}`);
  } catch (err) {
    return err;
  }
}

/** Every message in the log, by consume from the oldest. */
export async function readAll(log: Log): Promise<Message[]> {
  const out: Message[] = [];
  let at = -2;
  for (let round = 0; round < 100_000; round++) {
    const batch = await log.consume(at, 1000);
    out.push(...batch.messages);
    if (batch.messages.length === 0) return out;
    at = batch.nextOffset;
  }
  return fail('readAll: the log did not end');
}

/** Opens a fresh log (createDirs), runs `fn` and closes it whatever happens. */
export async function withLog<T>(
  ctx: ContractContext,
  options: Options,
  fn: (log: Log, dir: string) => Promise<T>,
  dir = ctx.dir(),
): Promise<T> {
  const log = await ctx.open(dir, { createDirs: true, ...options });
  try {
    return await fn(log, dir);
  } finally {
    await log.close().catch(() => undefined);
  }
}

/** Runs `fn` with every log it opens closed afterwards. */
export async function withLogs<T>(
  fn: (open: (dir: string, options?: Options) => Promise<Log>) => Promise<T>,
  ctx: ContractContext,
): Promise<T> {
  const opened: Log[] = [];
  try {
    return await fn(async (dir, options) => {
      const log = await ctx.open(dir, options);
      opened.push(log);
      return log;
    });
  } finally {
    for (const log of opened.reverse()) await log.close().catch(() => undefined);
  }
}

export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

export function sameOffsets(actual: Iterable<number>, expected: Iterable<number>, what: string): void {
  const a = [...actual].sort((x, y) => x - y);
  const e = [...expected].sort((x, y) => x - y);
  ok(a.length === e.length && a.every((v, i) => v === e[i]), `${what}: expected offsets [${e}], got [${a}]`);
}
