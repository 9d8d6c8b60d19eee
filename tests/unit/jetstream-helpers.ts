/**
 * Fixtures of the replication tests (tests/unit/jetstream*.test.ts): a real
 * nats-server per test (tests/nats/server.ts), TCP connections from Node,
 * logs on the memory engine, and readers of what a stream holds.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { afterEach, beforeEach, expect } from 'vitest';
import { startServer, type NatsServer } from '../nats/server.ts';
import { freshEnv, openLog } from './helpers.ts';
import type { Log, Message, NewMessage } from '../../src/index.ts';
import type { Replication, ReplicationState, ReplicationStatus } from '../../src/jetstream.ts';
import { HEADER_KEY, HEADER_OFFSET, HEADER_SOURCE, HEADER_TIME } from '../../src/jetstream.ts';
import { fromBase64 } from '../../src/jetstream/headers.ts';

const enc = new TextEncoder();

/**
 * Message i of a run: keys cycle through 7 (every 5th null), every 11th
 * value empty (a tombstone), times with microseconds and not in order.
 */
export function messages(count: number, from = 0): NewMessage[] {
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return {
      key: i % 5 === 0 ? null : enc.encode(`key-${i % 7}`),
      value: i % 11 === 0 ? null : enc.encode(`value-${i}-${'x'.repeat(i % 40)}`),
      time: 1_700_000_000_000 + i * 3 + (i % 4 === 0 ? -5 : 0) + 0.125,
    };
  });
}

/** A TCP connection that reconnects for ever, quickly (the tests restart servers). */
export function tcp(url: string, auth: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200, timeout: 5_000, ...auth });
}

let logs = 0;

/** A log on a fresh memory engine, in a dir no other test of this process used (checkpoints are keyed by dir). */
export async function freshLog(): Promise<Log> {
  return openLog(freshEnv(), `jetstream/log-${process.pid}-${++logs}-${Date.now()}`);
}

/** Every message of a log, oldest first. */
export async function logMessages(log: Log): Promise<Message[]> {
  const out: Message[] = [];
  let offset = -2;
  for (;;) {
    const b = await log.consume(offset, 1000);
    out.push(...b.messages);
    if (b.messages.length === 0 && b.nextOffset === (await log.nextOffset())) return out;
    offset = b.nextOffset;
  }
}

/** Every message the stream holds on `subject` (or all), in stream order, read with an ordered consumer. */
export async function streamMessages(nc: NatsConnection, stream: string, subject?: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const total = subject
    ? ((await jsm.streams.info(stream, { subjects_filter: subject })).state.subjects?.[subject] ?? 0)
    : info.state.messages;
  const consumer = await jetstream(nc).consumers.get(stream, {
    ...(subject ? { filter_subjects: subject } : {}),
    deliver_policy: DeliverPolicy.All,
  });
  const out: JsMsg[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) out.push(m);
  }
  return out;
}

/** What a pushed stream message says about the local message it came from. */
export function pushedFields(m: JsMsg): {
  offset: number;
  source: string;
  key: Uint8Array | null;
  time: number;
  value: Uint8Array | null;
} {
  const key = m.headers?.get(HEADER_KEY);
  return {
    offset: Number(m.headers?.get(HEADER_OFFSET)),
    source: m.headers?.get(HEADER_SOURCE) ?? '',
    key: key ? fromBase64(key) : null,
    time: Number(m.headers?.get(HEADER_TIME)),
    value: m.data.length ? new Uint8Array(m.data) : null,
  };
}

/** Asserts that the stream's messages are exactly the log's (offsets, keys, times, values), once each, in order. */
export async function expectStreamIsLog(nc: NatsConnection, stream: string, subject: string, log: Log): Promise<void> {
  const local = await logMessages(log);
  const remote = (await streamMessages(nc, stream, subject)).map(pushedFields);
  expect(remote.map((r) => r.offset)).toEqual(local.map((m) => m.offset));
  expect(new Set(remote.map((r) => r.source)).size).toBeLessThanOrEqual(1);
  remote.forEach((r, i) => {
    const m = local[i];
    expect({ offset: r.offset, key: r.key, time: r.time, value: r.value }).toEqual({
      offset: m?.offset,
      key: m?.key,
      time: m?.time,
      value: m?.value,
    });
  });
}

/** Asserts two logs hold the same messages (keys, times, values) in the same order. */
export async function expectSameMessages(a: Log, b: Log): Promise<void> {
  const strip = (ms: Message[]) => ms.map(({ key, time, value }) => ({ key, time, value }));
  expect(strip(await logMessages(b))).toEqual(strip(await logMessages(a)));
}

/** Resolves with the first status that satisfies `test`; rejects after `ms` with the statuses seen. */
export function statusWhere(
  r: Replication,
  test: (s: ReplicationStatus) => boolean,
  ms = 20_000,
): Promise<ReplicationStatus> {
  const seen: ReplicationStatus[] = [];
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(
          `no matching status within ${ms} ms; saw ${JSON.stringify(seen.map((s) => ({ ...s, lastError: s.lastError && `${s.lastError.code}: ${s.lastError.message}` })))}`,
        ),
      );
    }, ms);
    unsubscribe = r.subscribe((s) => {
      seen.push(s);
      if (!test(s)) return;
      clearTimeout(timer);
      queueMicrotask(() => unsubscribe());
      resolve(s);
    });
  });
}

export function inState(r: Replication, state: ReplicationState, ms?: number): Promise<ReplicationStatus> {
  return statusWhere(r, (s) => s.state === state, ms);
}

/** caughtUp, with a deadline that reports the status it was stuck in. */
export async function caughtUp(r: Replication, ms = 30_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `not caught up within ${ms} ms: ${JSON.stringify({ ...r.status, lastError: r.status.lastError?.message })}`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([r.caughtUp(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes `count` messages in batches of `batch`, from message `from` of `messages`. */
export async function publishMany(log: Log, count: number, from = 0, batch = 100): Promise<void> {
  for (let i = 0; i < count; i += batch) await log.publish(messages(Math.min(batch, count - i), from + i));
}

/** A spec's real nats-server, a TCP connection to it, and what a test started against it. */
export interface NatsWorld {
  server: NatsServer;
  nc: NatsConnection;
  /** Tracks a replication so that it is stopped after the test, whatever happened. */
  started(r: Replication): Replication;
  /** Another TCP connection to the server, closed after the test. */
  connection(): Promise<NatsConnection>;
}

/**
 * A fresh nats-server for each test of the calling file (free loopback
 * ports, a temporary store), with a connection to it; after the test its
 * replications are stopped, its connections closed and the server disposed
 * of by its pid. A test may replace `server` and `nc` (e.g. to add auth).
 */
export function natsPerTest(): NatsWorld {
  const running: Replication[] = [];
  const connections: NatsConnection[] = [];
  const world = {
    started(r: Replication) {
      running.push(r);
      return r;
    },
    async connection() {
      const c = await tcp(world.server.url);
      connections.push(c);
      return c;
    },
  } as NatsWorld;
  beforeEach(async () => {
    world.server = await startServer();
    world.nc = await tcp(world.server.url);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await Promise.all([world.nc, ...connections.splice(0)].map((c) => c.close()));
    await world.server.dispose();
  });
  return world;
}
