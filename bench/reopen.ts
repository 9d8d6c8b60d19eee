/** The 1M-message log: built once, then reopened (timed) and held open for a heap reading. */
import type { Log } from '../src/index.ts';
import { opfsLog } from './package.ts';

const { open } = opfsLog;
import { batches, expectedChecksum, checksum } from './messages.ts';

const OPTIONS = { keyIndex: true, timeIndex: true } as const;
let held: Log | null = null;

export async function build(dir: string, total: number): Promise<void> {
  const log = await open(dir, { ...OPTIONS, createDirs: true });
  try {
    for (let start = 0; start < total; start += 100_000) {
      for (const b of batches(Math.min(100_000, total - start), 1000)) {
        // batches() numbers from 0; shift the keys/values by publishing order only (offsets are what we check).
        await log.publish(b);
      }
    }
  } finally {
    await log.close();
  }
}

/** Milliseconds from `open()` until the first `get` resolved; the log stays open for `heldStat`. */
export async function reopen(dir: string): Promise<number> {
  const t = performance.now();
  held = await open(dir, OPTIONS);
  const first = await held.get(0);
  const ms = performance.now() - t;
  if (checksum([first]) !== expectedChecksum(0, 1)) throw new Error('verification failed: first message after reopen');
  return ms;
}

export async function heldMessages(): Promise<number> {
  return (await held!.stat()).messages;
}

export async function release(): Promise<void> {
  await held?.close();
  held = null;
}

/** An empty log held open: the baseline of the heap reading. */
export async function holdEmpty(dir: string): Promise<void> {
  held = await open(dir, { ...OPTIONS, createDirs: true });
  await held.nextOffset();
}
