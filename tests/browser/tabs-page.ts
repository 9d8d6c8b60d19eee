// Page-side tools of tabs.spec.ts, loaded into the harness page with a dynamic
// import (as readers-page.ts is). A tab publishes a stream of tagged batches
// and records, with the time (Date.now(); the tabs and the spec share the
// clock), every publish and sync that resolved and every one that rejected.
// Nothing is judged here: the spec reads the whole log back and judges it.
import type { NewMessage } from '../../src/index.ts';
import { errorOf } from './shared-tools.ts';

/** What a stream publishes: batches `first` … `first + batches - 1` of `size` messages. */
export interface StreamPlan {
  batches: number;
  first?: number;
  size: number;
  /** Value length (at least the tag's length). */
  bytes: number;
  /** `sync()` after each publish resolved. */
  sync: boolean;
  /** Publishes in flight at once. */
  parallel: number;
}

/** A call that resolved: the batch, the next offset its publish resolved to, when the publish started and when this resolved. */
export interface Done {
  batch: number;
  next: number;
  start: number;
  at: number;
}

export interface Failure {
  batch: number;
  call: 'publish' | 'sync';
  code: string;
  error: string;
  at: number;
}

export interface StreamRecord {
  tag: string;
  size: number;
  /** Publishes that resolved. */
  published: Done[];
  /** Publishes whose following `sync()` resolved too (`next` is the publish's). */
  synced: Done[];
  failures: Failure[];
  running: boolean;
}

/** One entry per message read: its offset and the `tag:batch:index` its value starts with. */
export type Entry = [offset: number, head: string];

export interface ReadBack {
  next: number;
  entries: Entry[];
}

declare global {
  interface Window {
    tabs: TabsTools;
    /** Set by the spec with `page.exposeFunction` where it must learn of syncs before the browser dies. */
    tabsReport?: (tag: string, batch: number, next: number) => Promise<void>;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Batch `batch` of tab `tag`: key `tag:batch`, values `tag:batch:index:` padded with dots. */
function tagged(tag: string, batch: number, size: number, bytes: number): NewMessage[] {
  return Array.from({ length: size }, (_, i) => {
    const head = encoder.encode(`${tag}:${batch}:${i}:`);
    const value = new Uint8Array(Math.max(bytes, head.length)).fill(0x2e);
    value.set(head);
    return { key: encoder.encode(`${tag}:${batch}`), value };
  });
}

function headOf(value: Uint8Array | null): string {
  if (value === null) return '(null)';
  return decoder.decode(value.subarray(0, 64)).split(':').slice(0, 3).join(':');
}

/** A stream gives up after this many failures (a closed log would otherwise spin). */
const MAX_FAILURES = 20;

const streams = new Map<string, { record: StreamRecord; stop: boolean; done: Promise<void> }>();

/** Starts publishing from the log kept as `name`, without waiting; `stop(tag)` ends it. */
function start(name: string, tag: string, plan: StreamPlan): void {
  if (streams.has(tag)) throw new Error(`a stream tagged ${tag} exists already`);
  const log = window.harness.log(name);
  const record: StreamRecord = { tag, size: plan.size, published: [], synced: [], failures: [], running: true };
  const state = { record, stop: false, done: Promise.resolve() };
  const end = (plan.first ?? 0) + plan.batches;
  let nextBatch = plan.first ?? 0;
  const fail = (batch: number, call: Failure['call'], err: unknown) => {
    record.failures.push({ batch, call, ...errorOf(err), at: Date.now() });
    if (record.failures.length >= MAX_FAILURES) state.stop = true;
  };
  const run = async () => {
    while (!state.stop && nextBatch < end) {
      const batch = nextBatch++;
      const started = Date.now();
      let next: number;
      try {
        next = await log.publish(tagged(tag, batch, plan.size, plan.bytes));
      } catch (err) {
        fail(batch, 'publish', err);
        continue;
      }
      record.published.push({ batch, next, start: started, at: Date.now() });
      if (!plan.sync) continue;
      try {
        await log.sync();
      } catch (err) {
        fail(batch, 'sync', err);
        continue;
      }
      record.synced.push({ batch, next, start: started, at: Date.now() });
      window.tabsReport?.(tag, batch, next).catch(() => {});
    }
  };
  state.done = Promise.all(Array.from({ length: plan.parallel }, run)).then(() => {
    record.running = false;
  });
  streams.set(tag, state);
}

/** Ends the stream and waits for its calls in flight; its record. */
async function stop(tag: string): Promise<StreamRecord> {
  const state = streams.get(tag);
  if (!state) throw new Error(`no stream tagged ${tag}`);
  state.stop = true;
  await state.done;
  return state.record;
}

/** Waits for the stream to publish all its batches; its record. */
async function finish(tag: string): Promise<StreamRecord> {
  const state = streams.get(tag);
  if (!state) throw new Error(`no stream tagged ${tag}`);
  await state.done;
  return state.record;
}

function record(tag: string): StreamRecord {
  const state = streams.get(tag);
  if (!state) throw new Error(`no stream tagged ${tag}`);
  return state.record;
}

/** How far the stream got: publishes (synced ones, for a syncing stream) resolved after `after`, and failures. */
function progress(tag: string, after = 0) {
  const r = record(tag);
  const done = r.synced.length > 0 || r.published.length === 0 ? r.synced : r.published;
  return {
    published: r.published.filter((d) => d.at > after).length,
    synced: r.synced.filter((d) => d.at > after).length,
    done: done.filter((d) => d.at > after).length,
    failures: r.failures.length,
    lastFailure: r.failures.at(-1) ?? null,
    running: r.running,
  };
}

/** Publishes one tagged batch from the log kept as `name`; the next offset it resolved to. */
function publishOnce(name: string, tag: string, batch: number, size: number, bytes = 40): Promise<number> {
  return window.harness.log(name).publish(tagged(tag, batch, size, bytes));
}

/** The whole log kept as `name`, by consume from the oldest message. */
async function readAll(name: string): Promise<ReadBack> {
  const log = window.harness.log(name);
  const next = await log.nextOffset();
  const entries: Entry[] = [];
  let at: number = window.harness.lib.OffsetOldest;
  for (let round = 0; round < 100_000; round++) {
    const batch = await log.consume(at, 1000);
    for (const m of batch.messages) entries.push([m.offset, headOf(m.value)]);
    if (batch.nextOffset >= next || (batch.messages.length === 0 && batch.nextOffset === at)) break;
    at = batch.nextOffset;
  }
  return { next, entries };
}

/**
 * Follows the log kept as `name` from the oldest message, as a live reader
 * does (consume, then consumeBlocking once caught up), until it has read up
 * to `until`; what it read. Each wait is aborted after `blockMs` and retried.
 */
async function follow(name: string, until: number, blockMs: number): Promise<ReadBack & { waits: number }> {
  const log = window.harness.log(name);
  const entries: Entry[] = [];
  let at = 0;
  let waits = 0;
  while (at < until) {
    let batch = await log.consume(at, 500);
    if (batch.messages.length === 0 && batch.nextOffset === at) {
      waits++;
      try {
        batch = await log.consumeBlocking(at, 500, { signal: AbortSignal.timeout(blockMs) });
      } catch (err) {
        if ((err as { name?: string }).name === 'TimeoutError') continue;
        throw err;
      }
    }
    for (const m of batch.messages) entries.push([m.offset, headOf(m.value)]);
    at = batch.nextOffset;
  }
  return { next: at, entries, waits };
}

interface WaitState {
  state: 'pending' | 'resolved' | 'rejected';
  entries?: Entry[];
  next?: number;
  code?: string;
  error?: string;
  at?: number;
}

const waits = new Map<string, WaitState>();

/** Starts `consumeBlocking(offset, max)` on the log kept as `name`, without waiting; `waitState(id)` tells how it went. */
function startWait(id: string, name: string, offset: number, max: number): void {
  const state: WaitState = { state: 'pending' };
  waits.set(id, state);
  window.harness
    .log(name)
    .consumeBlocking(offset, max)
    .then(
      (batch) =>
        Object.assign(state, {
          state: 'resolved',
          entries: batch.messages.map((m) => [m.offset, headOf(m.value)]),
          next: batch.nextOffset,
          at: Date.now(),
        }),
      (err: unknown) => Object.assign(state, { state: 'rejected', ...errorOf(err), at: Date.now() }),
    );
}

function waitState(id: string): WaitState {
  const state = waits.get(id);
  if (!state) throw new Error(`no wait ${id}`);
  return state;
}

const tools = { start, stop, finish, record, progress, publishOnce, readAll, follow, startWait, waitState };

export type TabsTools = typeof tools;

window.tabs = tools;
