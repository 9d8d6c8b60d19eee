/**
 * The bench's replication rows, page side (bench/jetstream.mjs drives them):
 * opfs-log's `push` and `pull` against a real nats-server over WebSocket,
 * each beside its limit measured from the same page on the same server: the
 * JetStream client publishing the same messages (payload, the same headers,
 * a message id) pipelined 256 in flight as `push` does, and an ordered
 * consumer reading them back. And the catch-up of a backlog built while the
 * server was down. Every figure is checked before it counts.
 */
import { headers, wsconnect, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import type { Log } from '../src/index.ts';
import type { Replication } from '../src/jetstream.ts';
import { opfsLog, replication } from './package.ts';
import { message } from './messages.ts';

const { open } = opfsLog;
const { HEADER_KEY, HEADER_OFFSET, HEADER_SOURCE, HEADER_TIME, pull, push } = replication;

export const STREAM = 'BENCH';
/** Publishes in flight for the limit: what `push` keeps in flight. */
const WINDOW = 256;
const PUBLISH_BATCH = 1000;

/** A log at `dir` holding bench messages 0 … count-1. */
async function filledLog(dir: string, count: number): Promise<Log> {
  const log = await open(dir, { createDirs: true });
  for (let i = 0; i < count; i += PUBLISH_BATCH) {
    await log.publish(Array.from({ length: Math.min(PUBLISH_BATCH, count - i) }, (_, j) => message(i + j)));
  }
  await log.sync();
  return log;
}

function connection(url: string): Promise<NatsConnection> {
  return wsconnect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 1_000 });
}

const create = { subjects: ['bench.>'] };

/** Waits for `caughtUp()` and checks the status; resolves when it holds. */
async function caughtUp(r: Replication, position: number, what: string): Promise<void> {
  await r.caughtUp();
  if (r.status.position < position)
    throw new Error(`${what}: caught up at position ${r.status.position}, expected ${position}`);
}

/** `push` of a `count`-message log to `subject`, from the call to caught up; msg/s. */
export async function pushRate(url: string, dir: string, subject: string, count: number): Promise<number> {
  const log = await filledLog(dir, count);
  const started = performance.now();
  const r = push(log, { servers: url, stream: STREAM, subject, createStream: create });
  await caughtUp(r, count, 'push');
  const ms = performance.now() - started;
  await r.stop();
  await log.close();
  return (count / ms) * 1000;
}

/**
 * The limit: the same messages as `push` sends (payload, its four headers,
 * a message id) published by the JetStream client itself, 256 in flight,
 * each ack checked in order; msg/s from the first publish to the last ack.
 */
export async function clientPublishRate(url: string, subject: string, count: number): Promise<number> {
  const nc = await connection(url);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.info(STREAM).catch(() => jsm.streams.add({ name: STREAM, subjects: create.subjects }));
  const source = `bench-client-${subject}`; // message ids unique per run: the server drops repeats for 2 minutes
  const inflight: Promise<PubAck>[] = [];
  let last = 0;
  const settle = async () => {
    const ack = await inflight.shift()!;
    if (ack.seq <= last || ack.duplicate)
      throw new Error(`the client's publishes were stored out of order (${ack.seq} after ${last})`);
    last = ack.seq;
  };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const m = message(i);
    const h = headers();
    h.set(HEADER_OFFSET, String(i));
    h.set(HEADER_TIME, String(m.time));
    h.set(HEADER_SOURCE, source);
    h.set(HEADER_KEY, btoa(String.fromCharCode(...m.key)));
    const ack = js.publish(subject, m.value, { msgID: `${source}:${i}`, headers: h });
    ack.catch(() => undefined);
    inflight.push(ack);
    if (inflight.length >= WINDOW) await settle();
  }
  while (inflight.length > 0) await settle();
  const ms = performance.now() - started;
  await nc.close();
  return (count / ms) * 1000;
}

/** `pull` of `subject` (holding `count` messages) into a fresh log, from the call until the log holds them all; msg/s. */
export async function pullRate(url: string, dir: string, subject: string, count: number): Promise<number> {
  const log = await open(dir, { createDirs: true });
  const started = performance.now();
  const r = pull(log, { servers: url, stream: STREAM, subject });
  await r.caughtUp();
  while ((await log.nextOffset()) < count) await new Promise((resolve) => setTimeout(resolve, 5));
  const ms = performance.now() - started;
  await r.stop();
  const next = await log.nextOffset();
  await log.close();
  if (next !== count) throw new Error(`pull: the log holds ${next} messages, not ${count}`);
  return (count / ms) * 1000;
}

/** The limit of `pull`: an ordered consumer reading `subject` (holding `count` messages) from the same page; msg/s. */
export async function orderedReadRate(url: string, subject: string, count: number): Promise<number> {
  const nc = await connection(url);
  const started = performance.now();
  const consumer = await jetstream(nc).consumers.get(STREAM, { filter_subjects: subject });
  const messages = await consumer.consume({ max_messages: 2000 }); // the buffer `pull` asks for
  let read = 0;
  let bytes = 0;
  for await (const m of messages) {
    bytes += m.data.length; // touch the payload, as a pull does
    if (++read >= count) break;
  }
  const ms = performance.now() - started;
  await messages.close();
  await nc.close();
  if (read !== count || bytes === 0) throw new Error(`ordered consumer: read ${read} messages, not ${count}`);
  return (count / ms) * 1000;
}

let backlog: { log: Log; r: Replication; onlineAt: number; offline: boolean } | null = null;

/** Catch-up, step 1: a push of an empty log at `dir`, online and caught up (the server is then stopped). */
export async function backlogStart(url: string, dir: string, subject: string): Promise<void> {
  const log = await open(dir, { createDirs: true });
  const r = push(log, { servers: url, stream: STREAM, subject, createStream: create });
  const state = { log, r, onlineAt: 0, offline: false };
  r.subscribe((s) => {
    if (s.state === 'offline') state.offline = true;
    if (s.state === 'online' && state.offline && state.onlineAt === 0) state.onlineAt = Date.now();
  });
  await r.caughtUp();
  backlog = state;
}

/** Catch-up, step 2, once the server is down: the replication is offline, and `count` messages are published meanwhile. */
export async function backlogPublish(count: number): Promise<number> {
  const b = backlog!;
  while (!b.offline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (let i = 0; i < count; i += PUBLISH_BATCH) {
    await b.log.publish(Array.from({ length: Math.min(PUBLISH_BATCH, count - i) }, (_, j) => message(i + j)));
  }
  // The lag follows local publishes a moment later (the push wakes on them): wait for it, at most a few seconds.
  const until = Date.now() + 5_000;
  while (b.r.status.lag < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  return b.r.status.lag;
}

/** Catch-up, step 3, after the server restarted: when (Date.now()) the push was online again, and when it had caught up. */
export async function backlogCaughtUp(count: number): Promise<{ onlineAt: number; doneAt: number }> {
  const b = backlog!;
  await caughtUp(b.r, count, 'catch-up');
  const doneAt = Date.now();
  await b.r.stop();
  await b.log.close();
  backlog = null;
  return { onlineAt: b.onlineAt, doneAt };
}
