/**
 * Publishing from a tab that does not own the log. bench/run.mjs opens the
 * same log for writing in two tabs of one profile, the owner first: the
 * owner's worker runs the engine, and the other tab's calls cross a
 * BroadcastChannel to the owner's tab and on to that worker. The other tab
 * is timed; the owner then reads back what it wrote, so a forwarding that
 * loses or doubles a batch fails instead of winning.
 */
import type { Log } from '../src/index.ts';
import { opfsLog } from './package.ts';

const { open } = opfsLog;
import { batches, message } from './messages.ts';
import { BATCH, latencyMeasure, type Measure, SHARED_LOG_OPTIONS, verifyLog } from './workloads.ts';

let log: Log | null = null;

function held(): Log {
  if (!log) throw new Error('no log open in this tab');
  return log;
}

/** Opens `dir` for writing and holds it; resolves to whether this tab owns it. */
export async function openLog(dir: string): Promise<boolean> {
  log = await open(dir, SHARED_LOG_OPTIONS);
  return log.isOwner();
}

export async function closeLog(): Promise<void> {
  await log?.close();
  log = null;
}

/** publishAndRead's publish, from this tab: 100k in batches of 1000, synced at the end (timed). */
export async function publishBatches(total = 100_000): Promise<Measure[]> {
  const input = batches(total, BATCH);
  const l = held();
  const t = performance.now();
  for (const b of input) await l.publish(b);
  await l.sync();
  return [
    { workload: 'publish 100k, from another tab', value: total / ((performance.now() - t) / 1000), unit: 'msg/s' },
  ];
}

/** publishSingly from this tab: each publish awaited; the sync after them is not timed, as there. */
export async function publishSingly(count = 1000): Promise<Measure[]> {
  const input = Array.from({ length: count }, (_, i) => [message(i)]);
  const l = held();
  const latencies: number[] = [];
  for (const b of input) {
    const t = performance.now();
    await l.publish(b);
    latencies.push(performance.now() - t);
  }
  await l.sync();
  return [latencyMeasure('publish 1k singly, from another tab', latencies)];
}

/** Run by the owner: the log holds exactly messages [0, count) as published, read a batch at a time. */
export function verify(count: number): Promise<void> {
  return verifyLog(held(), count, 'the owner');
}
