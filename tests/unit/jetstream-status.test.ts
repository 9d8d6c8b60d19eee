// What a replication reports when it is stopped, against a real nats-server
// over WebSocket (the `servers` path, where the replication owns the
// connection and closes it on stop): closing its own connection is not a
// lost one, so a healthy replication goes straight from `online` to
// `stopped` with no error, while an error met before the stop stays as its
// `lastError`. And a stop that lands while a session still resyncs ends it
// there, rather than after it went online.
import { beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { WebSocket as NodeWebSocket } from 'ws';
import { pull, push, type Replication, type ReplicationStatus } from '../../src/jetstream.ts';
import { caughtUp, freshLog, inState, natsPerTest, publishMany } from './jetstream-helpers.ts';

const nats = natsPerTest();
const { started } = nats;

beforeAll(() => {
  // Node 20 has no WebSocket; `wsconnect` (the `servers` path) uses the global one, as in a browser.
  (globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;
});

/** Every state a replication enters, with the code of its `lastError` then, from the first status on. */
function recordStates(r: Replication): string[] {
  const states: string[] = [];
  let last: ReplicationStatus | null = null;
  r.subscribe((s) => {
    if (s.state !== last?.state || s.lastError !== last?.lastError)
      states.push(s.lastError ? `${s.state} (${s.lastError.code})` : s.state);
    last = s;
  });
  return states;
}

/** A push of 50 messages, or a pull of a stream holding 50, over WebSocket unless given a connection. */
async function start(direction: 'push' | 'pull', connection?: NatsConnection): Promise<Replication> {
  const log = await freshLog();
  const via = connection ? { connection } : { servers: nats.server.wsUrl };
  if (direction === 'push') {
    await publishMany(log, 50);
    return started(push(log, { ...via, stream: 'EVENTS', subject: 'events.a', createStream: true }));
  }
  await (await jetstreamManager(nats.nc)).streams.add({ name: 'EVENTS', subjects: ['events.>'] });
  const js = jetstream(nats.nc);
  for (let i = 0; i < 50; i++) await js.publish('events.a', new TextEncoder().encode(`m${i}`));
  return started(pull(log, { ...via, stream: 'EVENTS', subject: 'events.a' }));
}

/** `nc`, except that its first request to a JetStream API subject containing `api` waits for `release()`. */
function holdingFirst(
  nc: NatsConnection,
  api: string,
): { connection: NatsConnection; asked: Promise<void>; release: () => void } {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let ask = () => {};
  const asked = new Promise<void>((resolve) => (ask = resolve));
  const request = async (subject: string, ...rest: unknown[]): Promise<Msg> => {
    if (subject.includes(api)) {
      ask();
      await released;
    }
    return (nc.request as (...args: unknown[]) => Promise<Msg>).call(nc, subject, ...rest);
  };
  const connection = new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') return request;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { connection, asked, release };
}

describe.each(['push', 'pull'] as const)('%s stopped', (direction) => {
  it('on a healthy server goes connecting → online → stopped, with lastError null', async () => {
    const r = await start(direction);
    const states = recordStates(r);
    await caughtUp(r);
    await r.stop();
    expect(states).toEqual(['connecting', 'online', 'stopped']);
    expect(r.status.lastError).toBeNull();
  }, 60_000);

  it('after losing the server keeps that error: online → offline (Unreachable) → stopped', async () => {
    const r = await start(direction);
    const states = recordStates(r);
    await caughtUp(r);
    await nats.server.kill();
    const offline = await inState(r, 'offline');
    await r.stop();
    expect(states).toEqual(['connecting', 'online', 'offline (Unreachable)', 'stopped (Unreachable)']);
    expect(r.status.lastError).toBe(offline.lastError);
    expect(r.status.lastError?.message).toMatch(/lost the connection/);
  }, 60_000);
});

// The resync's last request (push: the last message on its subject; pull: the consumer's info) held until after stop().
describe.each([
  ['push', '.STREAM.MSG.GET.'],
  ['pull', '.CONSUMER.INFO.'],
] as const)('%s stopped while it resyncs', (direction, api) => {
  it('ends there: it never shows online, and stop() resolves', async () => {
    const held = holdingFirst(await nats.connection(), api);
    const r = await start(direction, held.connection);
    const states = recordStates(r);
    await held.asked;
    const stopping = r.stop();
    held.release();
    const wentOnline = new Promise<never>((_, reject) =>
      r.subscribe((s) => {
        if (s.state === 'online') reject(new Error(`${direction} went online after stop() (${states.join(' → ')})`));
      }),
    );
    wentOnline.catch(() => undefined);
    await Promise.race([stopping, wentOnline]);
    expect(states).toEqual(['connecting', 'stopped']);
  }, 60_000);
});
