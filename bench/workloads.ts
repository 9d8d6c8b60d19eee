/**
 * The workloads, run in the bench page. Each times only the operations under
 * test (messages are made beforehand) and then verifies what was stored or
 * read, so a system that loses or garbles data fails instead of winning.
 */
import { batches, checksum, expectedChecksum, keyFor, message, randomInts, TIME_BASE } from './messages.ts';
import type { ReadMessage, System } from './systems/system.ts';

export interface Measure {
  workload: string;
  value: number;
  unit: string;
  /** Extra numbers (p99, bytes, …). */
  extra?: Record<string, number>;
}

/** Messages per publish and per consume in every batched workload. */
export const BATCH = 1000;

export function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`verification failed: ${what}`);
}

/** As the rows that share a log between writers (other tab, service worker) open it, so they compare with the owner's. */
export const SHARED_LOG_OPTIONS = { createDirs: true, keyIndex: true, timeIndex: true } as const;

/** The log holds exactly messages [0, count) as published, once each: read back a batch at a time by `who`. */
export async function verifyLog(
  log: {
    nextOffset(): Promise<number>;
    consume(offset: number, max: number): Promise<{ messages: Parameters<typeof checksum>[0] }>;
  },
  count: number,
  who: string,
): Promise<void> {
  const next = await log.nextOffset();
  check(next === count, `${who} sees ${next} messages, not ${count}`);
  for (let read = 0; read < count; ) {
    const got = (await log.consume(read, BATCH)).messages;
    check(got.length > 0, `${who}'s consume stopped at ${read} of ${count}`);
    check(
      got[0]?.offset === read && checksum(got) === expectedChecksum(read, read + got.length),
      `${who}'s batch at ${read}`,
    );
    read += got.length;
  }
}

function sameAs(m: ReadMessage | null, i: number, what: string): void {
  check(m !== null && m.offset === i, `${what}: expected offset ${i}, got ${m?.offset}`);
  check(checksum([m!]) === expectedChecksum(i, i + 1), `${what}: bytes of offset ${i}`);
}

async function readAll(sys: System, total: number): Promise<ReadMessage[]> {
  const out: ReadMessage[] = [];
  while (out.length < total) {
    const got = await sys.consume(out.length, BATCH);
    if (got.length === 0) break;
    for (const m of got) out.push(m);
  }
  return out;
}

/**
 * Reads [0, total) in batches, timing only the consume calls; each batch is
 * checked (count, offsets, checksum) between calls and then dropped, so the
 * reader holds no more than a batch, as a streaming reader would.
 */
async function timedScan(sys: System, total: number): Promise<number> {
  let ms = 0;
  let read = 0;
  while (read < total) {
    const t = performance.now();
    const got = await sys.consume(read, BATCH);
    ms += performance.now() - t;
    check(got.length > 0, `consume stopped at ${read} of ${total}`);
    check(
      got[0]?.offset === read && checksum(got) === expectedChecksum(read, read + got.length),
      `consume batch at ${read}`,
    );
    read += got.length;
  }
  return ms;
}

/** Publish 100k in batches of 1000, flush, then read the store back by offset, key and time. */
export async function publishAndRead(sys: System, total = 100_000): Promise<Measure[]> {
  let input = batches(total, BATCH);
  const out: Measure[] = [];
  await sys.open();
  try {
    let t = performance.now();
    for (const b of input) await sys.publish(b);
    await sys.flush();
    out.push({ workload: 'publish 100k', value: total / ((performance.now() - t) / 1000), unit: 'msg/s' });
    input = [];

    const consumeMs = await timedScan(sys, total);
    out.push({ workload: 'consume 100k', value: total / (consumeMs / 1000), unit: 'msg/s' });

    if (sys.publishLimit) {
      const ms = await sys.publishLimit(total, BATCH);
      out.push({ workload: 'publish 100k, worker only (the limit)', value: total / (ms / 1000), unit: 'msg/s' });
    }
    if (sys.name === 'raw OPFS') return out;
    const offsets = randomInts(10_000, total, 1);
    t = performance.now();
    const got: ReadMessage[] = [];
    for (const o of offsets) got.push(await sys.get(o));
    out.push({ workload: 'get 10k random', value: offsets.length / ((performance.now() - t) / 1000), unit: 'ops/s' });
    got.forEach((m, i) => {
      sameAs(m, offsets[i]!, 'get');
    });

    const keyed = randomInts(10_000, total, 2);
    const keys = keyed.map(keyFor);
    t = performance.now();
    const byKey: (ReadMessage | null)[] = [];
    for (const k of keys) byKey.push(await sys.getByKey(k));
    out.push({ workload: 'getByKey 10k random', value: keys.length / ((performance.now() - t) / 1000), unit: 'ops/s' });
    byKey.forEach((m, i) => {
      sameAs(m, keyed[i]!, 'getByKey');
    });

    const timed = randomInts(1_000, total, 3);
    t = performance.now();
    const byTime: (ReadMessage | null)[] = [];
    for (const i of timed) byTime.push(await sys.getByTime(TIME_BASE + i - 0.5));
    out.push({
      workload: 'getByTime 1k random',
      value: timed.length / ((performance.now() - t) / 1000),
      unit: 'ops/s',
    });
    byTime.forEach((m, i) => {
      sameAs(m, timed[i]!, 'getByTime');
    });
    return out;
  } finally {
    await sys.close();
  }
}

/** 1000 publishes of one message, each awaited: latency percentiles. */
export async function publishSingly(sys: System, count = 1000): Promise<Measure[]> {
  const input = Array.from({ length: count }, (_, i) => [message(i)]);
  const latencies: number[] = [];
  await sys.open();
  try {
    for (const b of input) {
      const t = performance.now();
      await sys.publish(b);
      latencies.push(performance.now() - t);
    }
    await sys.flush();
    const read = await readAll(sys, count);
    check(read.length === count && checksum(read) === expectedChecksum(0, count), 'single publishes read back');
  } finally {
    await sys.close();
  }
  return [latencyMeasure('publish 1k singly', latencies)];
}

/** The p50 of `latencies` (ms) as the value, with the p99 (or each of `beside`, e.g. [0.9, 0.99]) beside it. */
export function latencyMeasure(workload: string, latencies: number[], beside: number[] = [0.99]): Measure {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  const extra = Object.fromEntries(beside.map((p) => [`p${Math.round(p * 100)}`, at(p)]));
  return { workload, value: at(0.5), unit: 'ms p50', extra };
}

/** 64 MiB of 4 KiB values in batches of 1000 (4 MiB each), flushed at the end. */
export async function publishLarge(sys: System, totalBytes = 64 * 1024 * 1024, valueSize = 4096): Promise<Measure[]> {
  const count = totalBytes / valueSize;
  const input = batches(count, BATCH, valueSize);
  await sys.open();
  try {
    const t = performance.now();
    for (const b of input) await sys.publish(b);
    await sys.flush();
    const seconds = (performance.now() - t) / 1000;
    const last = await sys.consume(count - 1, 1);
    check(last.length === 1 && checksum(last) === expectedChecksum(count - 1, count, valueSize), 'last 4 KiB message');
    return [{ workload: 'publish 64 MiB (4 KiB values)', value: totalBytes / 1024 / 1024 / seconds, unit: 'MB/s' }];
  } finally {
    await sys.close();
  }
}
