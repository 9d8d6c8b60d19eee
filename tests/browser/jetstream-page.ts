// Page-side tools of the replication specs (jetstream-*.spec.ts), loaded into
// the harness page with a dynamic import (as tabs-page.ts is). A page opens
// logs, publishes numbered messages, starts pushes and pulls and records
// every status they pass through; the spec reads the stream from Node and
// judges. Nothing is judged here.
import { open, OffsetOldest, type Log, type NewMessage } from '../../src/index.ts';
import { pull, push, type Replication, type ReplicationStatus } from '../../src/jetstream.ts';

/** One message as the specs compare it: offset, key and value in base64 (null stays null), time. */
export type Row = [offset: number, key: string | null, time: number, value: string | null];

/** What a replication went through: its status now and each state it entered, with the error then. */
export interface History {
  status: { state: string; lag: number; position: number; lastError: string | null };
  states: { state: string; error: string | null; at: number }[];
}

export interface SyncOptions {
  servers: string | string[];
  stream: string;
  subject: string;
  /** Stream replicas when the replication creates the stream (subjects `events.>`). */
  replicas?: number;
}

const encoder = new TextEncoder();
const logs = new Map<string, Log>();
const replications = new Map<string, { replication: Replication; history: History }>();

/**
 * Message `i` of a spec's run, the same in every page and in Node: keys cycle
 * through 7 (every 5th null), every 11th value null (a tombstone), times with
 * a fraction of a millisecond.
 */
export function numbered(i: number, tag = ''): NewMessage {
  return {
    key: i % 5 === 0 ? null : encoder.encode(`key-${i % 7}`),
    value: i % 11 === 0 ? null : encoder.encode(`${tag}value-${i}-${'x'.repeat(i % 32)}`),
    time: 1_700_000_000_000 + i + 0.25,
  };
}

function base64(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function logOf(dir: string): Promise<Log> {
  let log = logs.get(dir);
  if (!log) {
    log = await open(dir, { createDirs: true });
    logs.set(dir, log);
  }
  return log;
}

/** Publishes messages `from` … `from + count - 1` (with `tag` in their values) in batches; resolves to the next offset after a sync. */
export async function publish(dir: string, from: number, count: number, tag = '', batch = 1000): Promise<number> {
  const log = await logOf(dir);
  for (let i = from; i < from + count; i += batch) {
    const size = Math.min(batch, from + count - i);
    await log.publish(Array.from({ length: size }, (_, n) => numbered(i + n, tag)));
  }
  return log.sync();
}

/** Every message of the log at `dir`, oldest first, as rows. */
export async function rows(dir: string): Promise<Row[]> {
  const log = await logOf(dir);
  const out: Row[] = [];
  for (let offset: number = OffsetOldest; ; ) {
    const batch = await log.consume(offset, 5000);
    if (batch.messages.length === 0) return out;
    for (const m of batch.messages) out.push([m.offset, base64(m.key), m.time, base64(m.value)]);
    offset = batch.nextOffset;
  }
}

function track(id: string, replication: Replication): void {
  const history: History = { status: { state: '', lag: 0, position: 0, lastError: null }, states: [] };
  replication.subscribe((s: ReplicationStatus) => {
    const lastError = s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null;
    if (s.state !== history.status.state) history.states.push({ state: s.state, error: lastError, at: Date.now() });
    history.status = { state: s.state, lag: s.lag, position: s.position, lastError };
  });
  replications.set(id, { replication, history });
}

function createStream(o: SyncOptions) {
  return { subjects: ['events.>'], replicas: o.replicas ?? 1 };
}

/** Starts pushing the log at `dir` to `o.subject`, known as `id`; does not wait. */
export async function startPush(id: string, dir: string, o: SyncOptions): Promise<void> {
  const log = await logOf(dir);
  track(id, push(log, { servers: o.servers, stream: o.stream, subject: o.subject, createStream: createStream(o) }));
}

/** Starts pulling `o.subject` into the log at `dir`, known as `id`; does not wait. */
export async function startPull(id: string, dir: string, o: SyncOptions): Promise<void> {
  const log = await logOf(dir);
  track(id, pull(log, { servers: o.servers, stream: o.stream, subject: o.subject, createStream: createStream(o) }));
}

function entry(id: string) {
  const found = replications.get(id);
  if (!found) throw new Error(`no replication ${id} in this page`);
  return found;
}

export function history(id: string): History {
  return entry(id).history;
}

/**
 * Waits for `caughtUp()` (or, for a pull, until its log holds `atLeast`
 * messages too), at most `ms`; resolves to the time it took and the history,
 * with the error if it failed or timed out.
 */
export async function settle(
  id: string,
  ms: number,
  atLeast = 0,
  dir = '',
): Promise<{ ms: number; error: string | null; history: History }> {
  const { replication, history } = entry(id);
  const started = performance.now();
  const enough = async () => {
    await replication.caughtUp();
    while (dir && (await (await logOf(dir)).nextOffset()) < atLeast) await new Promise((r) => setTimeout(r, 50));
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`not caught up within ${ms} ms`)), ms)),
  );
  const error = await Promise.race([enough(), timeout]).then(
    () => null,
    (e: Error) => `${(e as { code?: string }).code ?? e.name}: ${e.message}`,
  );
  clearTimeout(timer);
  return { ms: performance.now() - started, error, history };
}

/** Stops the replication `id`; resolves to its history. */
export async function stop(id: string): Promise<History> {
  const { replication, history } = entry(id);
  await replication.stop();
  return history;
}
