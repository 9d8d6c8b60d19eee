/**
 * Projections (issue 21), the page side of bench/projection.mjs: a counter
 * per key over 10,000 keys, folded from a 1M-message log by an `apply` over
 * the raw key bytes, with the projection (with and without a snapshot, on a
 * log already open and from a fresh page) and by hand as apps do it today
 * (consume from the oldest message on every load, no snapshot); the time
 * from a publish to every subscriber's new state, in the publishing tab and
 * in another; and the page's longest task while a 10 MB state is saved.
 * Every fold is checked against the counts the log must give.
 */
import type { Log, Message, Projection } from '../src/index.ts';
import { opfsLog } from './package.ts';
import { check, latencyMeasure, type Measure } from './workloads.ts';

const { open, projection } = opfsLog;

/** As reopen.ts opens its 1M log, so the fresh-page figure compares with its reopen. */
const OPTIONS = { keyIndex: true, timeIndex: true } as const;
export const KEYS = 10_000;
const KEY_SIZE = 10;
const VALUE_SIZE = 128;
/** The projection's name and version in every workload: the 1M log's snapshot is found by them. */
const NAME = 'counts';

/** Message `i`: key `i % KEYS` (its number in bytes 2-3), a 128-byte value. */
function message(i: number): { key: Uint8Array; value: Uint8Array } {
  const key = new Uint8Array(KEY_SIZE);
  key[0] = 0x6b; // "k"
  key[1] = 0x65; // "e"
  const k = i % KEYS;
  key[2] = k >> 8;
  key[3] = k & 0xff;
  const value = new Uint8Array(VALUE_SIZE);
  for (let j = 0; j < VALUE_SIZE; j += 4) value[j] = (i + j) & 0xff;
  return { key, value };
}

type Counts = number[];

/** The fold, over the raw key bytes; it changes `counts` in place (the projection gives it a copy per batch: `clone`). */
function count(counts: Counts, m: Message): Counts {
  const k = m.key!;
  counts[(k[2]! << 8) | k[3]!]!++;
  return counts;
}

const initial = (): Counts => new Array<number>(KEYS).fill(0);

function options(snapshots: boolean) {
  return {
    name: NAME,
    version: 1,
    initial: initial(),
    apply: count,
    clone: (s: Counts) => s.slice(),
    // Saved only when asked (saveSnapshot, close), so that no timed run also saves.
    snapshots: snapshots ? { every: Number.MAX_SAFE_INTEGER, interval: 3_600_000 } : (false as const),
  };
}

/** `counts` are those of the first `total` messages. */
function checkCounts(counts: Counts, total: number, what: string): void {
  check(counts.length === KEYS, `${what}: ${counts.length} counters`);
  for (let k = 0; k < KEYS; k++) {
    const want = Math.floor(total / KEYS) + (k < total % KEYS ? 1 : 0);
    check(counts[k] === want, `${what}: key ${k} counted ${counts[k]}, not ${want}`);
  }
}

let log: Log | null = null;
let held: Projection<unknown>[] = [];

function heldLog(): Log {
  if (!log) throw new Error('no log open in this tab');
  return log;
}

/** Builds the `total`-message log in `dir` once (a second call finds it built). */
export async function build(dir: string, total: number): Promise<void> {
  const l = await open(dir, { ...OPTIONS, createDirs: true });
  try {
    const have = await l.nextOffset();
    check(have === 0 || have === total, `${dir} holds ${have} messages, not 0 or ${total}`);
    for (let start = have; start < total; start += 1000) {
      const n = Math.min(1000, total - start);
      await l.publish(Array.from({ length: n }, (_, j) => message(start + j)));
    }
    await l.sync();
  } finally {
    await l.close();
  }
}

export async function openLog(dir: string, create = false): Promise<boolean> {
  log = await open(dir, { ...OPTIONS, createDirs: create });
  return log.isOwner();
}

export async function closeLog(): Promise<void> {
  for (const p of held) await p.close();
  held = [];
  await log?.close();
  log = null;
}

/** Folds the open log and saves the state as a snapshot (untimed); resolves to the snapshot's offset. */
export async function saveSnapshot(total: number): Promise<number> {
  const p = projection(heldLog(), options(true));
  try {
    const counts = await p.ready;
    checkCounts(counts, total, 'the fold before the snapshot');
    // The saver's Web Lock is granted a moment after the projection starts: until then there is nothing to save with.
    for (let tries = 0; p.snapshot?.offset !== total; tries++) {
      check(tries < 500, 'no snapshot saved in 5 s');
      await p.saveSnapshot();
      if (p.snapshot?.offset !== total) await new Promise((r) => setTimeout(r, 10));
    }
    return p.snapshot.offset;
  } finally {
    await p.close();
  }
}

/** Milliseconds from `projection()` to its state caught up with the open log (from its snapshot, or a full replay). */
export async function timeToState(total: number, fromSnapshot: boolean): Promise<number> {
  const t = performance.now();
  const p = projection(heldLog(), options(fromSnapshot));
  const counts = await p.ready;
  const ms = performance.now() - t;
  checkCounts(counts, total, fromSnapshot ? 'from the snapshot' : 'the full replay');
  check(p.offset === total, `folded to ${p.offset}, not ${total}`);
  check(fromSnapshot ? p.snapshot?.offset === total : p.snapshot === null, `started from ${p.snapshot?.offset}`);
  await p.close();
  return ms;
}

/** The baseline: the same fold kept by hand, consume from the oldest message on every load (the projection's reads of 5,000). */
export async function byHand(total: number): Promise<number> {
  const l = heldLog();
  const t = performance.now();
  let counts = initial();
  let offset = 0;
  for (;;) {
    const batch = await l.consume(offset, 5000);
    if (batch.messages.length === 0 && batch.nextOffset === offset) break;
    for (const m of batch.messages) counts = count(counts, m);
    offset = batch.nextOffset;
  }
  const ms = performance.now() - t;
  checkCounts(counts, total, 'by hand');
  return ms;
}

/** From a fresh page: `open` until the first `get` resolved (as reopen.ts times it), and until `open` resolved; closed after. */
export async function freshReopen(dir: string): Promise<{ ms: number; openMs: number }> {
  const t = performance.now();
  const l = await open(dir, OPTIONS);
  const openMs = performance.now() - t;
  await l.get(0);
  const ms = performance.now() - t;
  await l.close();
  return { ms, openMs };
}

/** From a fresh page: `open` until the projection's state is current, from its snapshot, and until `open` resolved; closed after. */
export async function freshProjection(dir: string, total: number): Promise<{ ms: number; openMs: number }> {
  const t = performance.now();
  const l = await open(dir, OPTIONS);
  const openMs = performance.now() - t;
  const p = projection(l, options(true));
  const counts = await p.ready;
  const ms = performance.now() - t;
  checkCounts(counts, total, 'from a fresh page');
  check(p.snapshot?.offset === total, `from a fresh page, started from ${p.snapshot?.offset}`);
  await p.close();
  await l.close();
  return { ms, openMs };
}

// ---- publish to subscribers ----

const CHANNEL = 'opfs-log-bench-projection';
let live: Projection<Counts> | null = null;
let channel: BroadcastChannel | null = null;
/** Resolved when this tab's projection has folded to the offset it waits for. */
let waiting: { offset: number; resolve: () => void } | null = null;

/** Follows the open log with a live projection; `echo`: tells the other tab each new offset on a BroadcastChannel. */
export async function follow(echo: boolean): Promise<void> {
  live = projection(heldLog(), { ...options(true), snapshots: {} }); // default snapshot settings: as an app runs it
  held.push(live as Projection<unknown>);
  await live.ready;
  channel = new BroadcastChannel(CHANNEL);
  let echoed = live.offset;
  const p = live;
  p.subscribe(() => {
    if (waiting && p.offset >= waiting.offset) {
      const w = waiting;
      waiting = null;
      w.resolve();
    }
    if (echo && p.offset > echoed) {
      echoed = p.offset;
      channel?.postMessage({ offset: p.offset });
    }
  });
  // Ping-pong, to tell the hop back over the channel from the fold.
  channel.onmessage = (e: MessageEvent<{ ping?: number; pong?: number; offset?: number }>) => {
    if (e.data.ping !== undefined) channel?.postMessage({ pong: e.data.ping });
    else if (pongWait && e.data.pong !== undefined) pongWait();
    else if (echoWait && e.data.offset !== undefined) echoWait(e.data.offset);
  };
}

let pongWait: (() => void) | null = null;
let echoWait: ((offset: number) => void) | null = null;

/**
 * `count` publishes of one message from this tab, one at a time, each timed
 * from the publish call until the state shows it: here (`where` 'here'), or
 * in the other tab, told back over the BroadcastChannel ('there').
 */
export async function publishToState(where: 'here' | 'there', count: number, warmUp = 20): Promise<Measure[]> {
  const l = heldLog();
  const p = live!;
  const latencies: number[] = [];
  let next = await l.nextOffset();
  for (let i = 0; i < warmUp + count; i++) {
    const want = ++next;
    const seen =
      where === 'here'
        ? new Promise<void>((resolve) => {
            waiting = { offset: want, resolve };
          })
        : new Promise<void>((resolve) => {
            echoWait = (offset) => {
              if (offset >= want) {
                echoWait = null;
                resolve();
              }
            };
          });
    const t = performance.now();
    const published = await l.publish([message(want - 1)]);
    await seen;
    const ms = performance.now() - t;
    check(published === want, `published up to ${published}, not ${want}`);
    if (i >= warmUp) latencies.push(ms);
  }
  // Timed from the other tab's echo, this tab's own projection may be a fold behind.
  if (p.offset < next) await new Promise<void>((resolve) => (waiting = { offset: next, resolve }));
  check(p.offset === next, `this tab's projection at ${p.offset}, not ${next}`);
  checkCounts(p.getState(), next, 'the live projection');
  if (where === 'here') return [latencyMeasure('projection, publish to the state, same tab', latencies)];
  // The hop back: half a round trip on the channel, as the median of 100.
  const trips: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      pongWait = resolve;
      channel!.postMessage({ ping: i });
    });
    pongWait = null;
    trips.push((performance.now() - t) / 2);
  }
  const measure = latencyMeasure('projection, publish to the state, another tab', latencies);
  measure.extra = { ...measure.extra, 'hop back': latencyMeasure('', trips).value };
  return [measure];
}

export function unfollow(): void {
  channel?.close();
  channel = null;
  live = null;
  waiting = null;
}

// ---- saving a 10 MB state ----

/** A state of `items` todo-like entries; JSON of ~110 B each. */
function bigState(items: number): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (let i = 0; i < items; i++) {
    state[`item-${i.toString().padStart(7, '0')}`] = {
      title: `Something to do, number ${i}, with a few words more`,
      done: i % 3 === 0,
      tags: ['home', i % 2 ? 'later' : 'soon'],
      n: i,
    };
  }
  return state;
}

/** What runs on the page while it saves: the longest 'longtask' where the browser reports them, and a heartbeat's largest gap. */
function watchTasks(): () => { longTasks: number[]; gap: number } {
  const longTasks: number[] = [];
  let observer: PerformanceObserver | null = null;
  if (PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: 'longtask' });
  }
  // A heartbeat: the largest gap between two beats. Where there is scheduler.postTask, user-blocking tasks 1 ms
  // apart: they go before the continuations of scheduler.yield, which the snapshot's encoder yields with, as
  // input does (a beat of ordinary tasks would wait out the whole encode; one without a delay would starve it).
  // Else MessageChannel messages (unlike setTimeout(0), not clamped to 4 ms).
  const scheduler = (globalThis as { scheduler?: { postTask?: (f: () => void, o: object) => Promise<void> } })
    .scheduler;
  const postTask = scheduler?.postTask?.bind(scheduler);
  const beat = new MessageChannel();
  let last = performance.now();
  let gap = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    if (on) schedule();
  };
  const schedule = postTask
    ? () => void postTask(tick, { priority: 'user-blocking', delay: 1 })
    : () => beat.port2.postMessage(0);
  beat.port1.onmessage = tick;
  schedule();
  return () => {
    on = false;
    const now = performance.now();
    gap = Math.max(gap, now - last);
    beat.port1.close();
    if (observer) {
      for (const e of observer.takeRecords()) longTasks.push(e.duration);
      observer.disconnect();
    }
    return {
      longTasks,
      gap,
    };
  };
}

/**
 * Saves a snapshot of a ~10 MB state (JSON, the default codec) while
 * watching the page's tasks: the value is the longest task, from the
 * 'longtask' entries where the browser has them (none: every task was
 * under 50 ms, and the heartbeat's largest gap is given), else the
 * heartbeat's largest gap.
 */
export async function saveBig(dir: string, run: number, items = 100_000): Promise<Measure[]> {
  const state = bigState(items);
  const bytes = new TextEncoder().encode(JSON.stringify(state)).length;
  check(bytes >= 10_000_000, `the state's JSON is ${bytes} bytes, under 10 MB`);
  const l = await open(dir, { createDirs: true });
  try {
    if ((await l.nextOffset()) === 0) await l.publish([{ key: null, value: new Uint8Array([1]) }]);
    const p = projection(l, {
      name: `big-${run}`,
      version: 1,
      initial: state,
      apply: (s: Record<string, unknown>, m: Message) => {
        s.last = m.offset;
        return s;
      },
      clone: (s: Record<string, unknown>) => ({ ...s }),
      snapshots: { every: Number.MAX_SAFE_INTEGER, interval: 3_600_000 },
    });
    try {
      await p.ready;
      // Wait for the saver's lock (saveSnapshot saves nothing before it).
      for (let tries = 0; ; tries++) {
        check(tries < 500, 'this tab never became the saver');
        const stop = watchTasks();
        const t = performance.now();
        const saved = await p.saveSnapshot();
        const ms = performance.now() - t;
        const watched = stop();
        if (saved === null) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        check(saved.offset === 1 && p.snapshotError === null, `saved at ${saved.offset}: ${p.snapshotError}`);
        const longest = watched.longTasks.length ? Math.max(...watched.longTasks) : null;
        return [
          {
            workload: 'projection, saving a 10 MB snapshot, longest task',
            value: longest ?? watched.gap,
            unit: 'ms',
            extra: {
              'save ms': ms,
              'heartbeat gap': watched.gap,
              'long tasks': watched.longTasks.length,
              MB: bytes / 1e6,
            },
          },
        ];
      }
    } finally {
      await p.close();
    }
  } finally {
    await l.close();
  }
}

/** Which way `saveBig` sees long tasks in this browser. */
export function taskWatch(): { longtask: boolean; postTask: boolean } {
  return {
    longtask: PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false,
    postTask: typeof (globalThis as { scheduler?: { postTask?: unknown } }).scheduler?.postTask === 'function',
  };
}
