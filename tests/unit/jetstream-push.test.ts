// push against a real nats-server (tests/nats/server.ts), over TCP from Node
// (and over WebSocket, the shipped `servers` path, where it matters):
// exactly once and in order across crashes of the replicator and of the
// server, deletes before pushing, the gap case, and clear failures.
import { beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { WebSocket as NodeWebSocket } from 'ws';
import { OffsetNewest } from '../../src/index.ts';
import { push, ReplicationError, type Replication } from '../../src/jetstream.ts';
import { checkpointStore } from '../../src/jetstream/checkpoint.ts';
import { startServer } from '../nats/server.ts';
import { freshEnv, openLog } from './helpers.ts';
import {
  caughtUp,
  expectStreamIsLog,
  freshLog,
  inState,
  logMessages,
  natsPerTest,
  publishMany,
  pushedFields,
  statusWhere,
  streamMessages,
  tcp,
} from './jetstream-helpers.ts';

const nats = natsPerTest();
const { started, connection } = nats;

beforeAll(() => {
  // Node 20 has no WebSocket; `wsconnect` (the `servers` path) uses the global one, as in a browser.
  (globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;
});

/**
 * The states `r` enters, and a promise that rejects as soon as it leaves
 * `online` once there: a resync shows as `connecting` again, at once.
 */
function watchOnline(r: Replication): { states: string[]; left: Promise<never> } {
  const states: string[] = [];
  let fail: (err: Error) => void = () => {};
  const left = new Promise<never>((_, reject) => (fail = reject));
  left.catch(() => undefined); // the stop after the test leaves online too
  r.subscribe((s) => {
    if (s.state !== states[states.length - 1]) states.push(s.state);
    if (states.includes('online') && s.state !== 'online') {
      fail(
        new Error(
          `the push left online (${states.join(' → ')}): the stream did not store a message at the sequence its window expected`,
        ),
      );
    }
  });
  return { states, left };
}

async function failure(r: Replication): Promise<ReplicationError> {
  const s = await inState(r, 'failed');
  expect(s.lastError).toBeInstanceOf(ReplicationError);
  return s.lastError!;
}

describe('push', () => {
  it('pushes every message once, in order, with key, time and value, then new ones live', async () => {
    const log = await freshLog();
    await publishMany(log, 3000);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    await caughtUp(r);
    expect(r.status).toMatchObject({ state: 'online', lag: 0, position: 3000, lastError: null });
    await publishMany(log, 500, 3000);
    await caughtUp(r);
    expect(r.status.position).toBe(3500);
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log);
  }, 60_000);

  it('resumes exactly once after the replicator dies mid-push, also from a stale checkpoint', async () => {
    const log = await freshLog();
    await publishMany(log, 20_000, 0, 1000);
    const own = await connection();
    const first = started(push(log, { connection: own, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    await statusWhere(first, (s) => s.position > 2000);
    await own.close(); // the tab dies: its publishes in flight are lost, it does nothing more
    const pushed = (await streamMessages(nats.nc, 'EVENTS', 'events.a')).length;
    expect(pushed).toBeGreaterThan(0);
    expect(pushed).toBeLessThan(20_000);
    // The checkpoint may lag the stream (here: forced back to nothing pushed); the stream decides.
    const store = await checkpointStore();
    const key = JSON.stringify([
      await log.snapshot().then(async (s) => {
        await s.release();
        return s.dir;
      }),
      'push',
      'EVENTS',
      'events.a',
      '',
    ]);
    const cp = await store.load<{ source: string }>(key);
    await store.save(key, { source: cp!.source, position: 0, streamSeq: 0 });
    const second = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await caughtUp(second, 60_000);
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log);
  }, 120_000);

  it('resumes exactly once after the server is killed (-9) mid-push and restarted', async () => {
    const log = await freshLog();
    await publishMany(log, 20_000, 0, 1000);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    await statusWhere(r, (s) => s.position > 3000);
    await nats.server.kill();
    const offline = await inState(r, 'offline');
    expect(offline.lastError?.code).toBe('Unreachable');
    await publishMany(log, 100, 20_000); // local publishing goes on while offline
    await nats.server.restart();
    await caughtUp(r, 60_000);
    expect(r.status.position).toBe(20_100);
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log);
  }, 120_000);

  it('stores each message at the stream sequence its window expected: alone on its stream, a push never resyncs', async () => {
    const log = await freshLog();
    await publishMany(log, 700); // nearly three windows of backlog, then single live messages
    // A generous publish timeout: under load a slow ack must not pass for a resync.
    const r = started(
      push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true, timeout: 60_000 }),
    );
    const { states, left } = watchOnline(r);
    await Promise.race([caughtUp(r), left]);
    for (let i = 700; i < 710; i++) {
      await publishMany(log, 1, i);
      await Promise.race([caughtUp(r), left]);
    }
    expect(states).toEqual(['connecting', 'online']);
    const stored = await streamMessages(nats.nc, 'EVENTS', 'events.a');
    expect(stored.map((m) => [m.seq, pushedFields(m).offset])).toEqual(
      Array.from({ length: 710 }, (_, i) => [i + 1, i]),
    );
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log);
  }, 60_000);

  it('leaves no gap: a message the stream refuses mid-window stops the push there, nothing after it is stored', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'], max_msg_size: 2048 });
    const log = await freshLog();
    await publishMany(log, 1000);
    await log.publish([{ key: null, value: new Uint8Array(4096).fill(7) }]); // offset 1000: refused by the stream
    await publishMany(log, 1000, 1001);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    const err = await failure(r);
    expect(err.code).toBe('TooLarge');
    // Hundreds of publishes after it were in flight; without the expectations they would be stored after a hole.
    const offsets = (await streamMessages(nats.nc, 'EVENTS', 'events.a')).map((m) => pushedFields(m).offset);
    expect(offsets).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  }, 60_000);

  it('skips messages deleted before they were pushed, and moves past them', async () => {
    const log = await freshLog();
    await publishMany(log, 100);
    const deleted = await log.delete([0, 1, 50, 51, 52, 99]);
    expect(deleted.deletedOffsets.size).toBe(6);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    await caughtUp(r);
    expect(r.status.position).toBe(100);
    const offsets = (await streamMessages(nats.nc, 'EVENTS', 'events.a')).map((m) => pushedFields(m).offset);
    expect(offsets).toEqual((await logMessages(log)).map((m) => m.offset));
    expect(offsets).not.toContain(50);
  }, 60_000);

  it('starts at `from`: OffsetNewest pushes only what is published afterwards', async () => {
    const log = await freshLog();
    await publishMany(log, 50);
    const r = started(
      push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true, from: OffsetNewest }),
    );
    await caughtUp(r);
    await publishMany(log, 5, 50);
    await caughtUp(r);
    expect((await streamMessages(nats.nc, 'EVENTS', 'events.a')).map((m) => pushedFields(m).offset)).toEqual([
      50, 51, 52, 53, 54,
    ]);
  }, 60_000);

  it('fails Diverged on another writer on its subject, before and while pushing, and overwrites nothing', async () => {
    const js = jetstream(nats.nc);
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
    await js.publish('events.b', new Uint8Array([1])); // another subject: fine
    const log = await freshLog();
    await publishMany(log, 100);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await caughtUp(r);
    await js.publish('events.a', new Uint8Array([2])); // someone else on our subject
    await publishMany(log, 10, 100);
    const err = await failure(r);
    expect(err.code).toBe('Diverged');
    expect(err.message).toMatch(/another writer/);
    expect((await streamMessages(nats.nc, 'EVENTS', 'events.a')).length).toBe(101);

    const other = await freshLog();
    await publishMany(other, 5);
    const r2 = started(push(other, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    expect((await failure(r2)).code).toBe('Diverged');
  }, 60_000);

  it('fails Diverged when the log is recreated behind the stream, or the stream behind the checkpoint', async () => {
    const env = freshEnv();
    const dir = `jetstream/recreated-${Date.now()}`;
    const log = await openLog(env, dir);
    await publishMany(log, 100);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    await caughtUp(r);
    await r.stop();
    expect(r.status.state).toBe('stopped');
    await log.close();

    const again = await openLog(freshEnv(), dir); // same dir (same checkpoint), a new log with fewer messages
    await publishMany(again, 10);
    const r2 = started(push(again, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    expect((await failure(r2)).message).toMatch(/recreated or restored/);

    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.delete('EVENTS');
    const log2 = await openLog(env, dir);
    const r3 = started(push(log2, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    expect((await failure(r3)).message).toMatch(/holds nothing of this log/);
    const r4 = started(push(log2, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', reset: true }));
    await caughtUp(r4);
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log2);
  }, 60_000);

  it('fails StreamMissing without createStream; creates it with the subjects asked for', async () => {
    const log = await freshLog();
    await publishMany(log, 10);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    const err = await failure(r);
    expect(err.code).toBe('StreamMissing');
    expect(err.message).toMatch(/EVENTS does not exist/);
    const r2 = started(
      push(log, {
        connection: nats.nc,
        stream: 'EVENTS',
        subject: 'events.a',
        createStream: { subjects: ['events.>'] },
      }),
    );
    await caughtUp(r2);
    const info = await (await jetstreamManager(nats.nc)).streams.info('EVENTS');
    expect(info.config.subjects).toEqual(['events.>']);
    const r3 = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'other.a' }));
    expect((await failure(r3)).code).toBe('InvalidArgument');
  }, 60_000);

  it('over WebSocket: refused credentials fail AuthRefused; right ones push', async () => {
    await nats.server.dispose();
    nats.server = await startServer({ auth: { user: 'app', pass: 'secret' } });
    nats.nc = await tcp(nats.server.url, { user: 'app', pass: 'secret' });
    const log = await freshLog();
    await publishMany(log, 200);
    const wrong = started(
      push(log, {
        servers: nats.server.wsUrl,
        auth: { user: 'app', pass: 'nope' },
        stream: 'EVENTS',
        subject: 'events.a',
        createStream: true,
      }),
    );
    const err = await failure(wrong);
    expect(err.code).toBe('AuthRefused');
    const right = started(
      push(log, {
        servers: nats.server.wsUrl,
        auth: { user: 'app', pass: 'secret' },
        stream: 'EVENTS',
        subject: 'events.a',
        createStream: true,
      }),
    );
    await caughtUp(right);
    await expectStreamIsLog(nats.nc, 'EVENTS', 'events.a', log);
  }, 60_000);

  it('over WebSocket: a server that is down is offline (Unreachable), retried, and caught up once it starts', async () => {
    await nats.server.stop();
    const log = await freshLog();
    await publishMany(log, 300);
    const r = started(
      push(log, { servers: nats.server.wsUrl, stream: 'EVENTS', subject: 'events.a', createStream: true }),
    );
    const offline = await inState(r, 'offline');
    expect(offline.lastError?.code).toBe('Unreachable');
    expect(offline.lag).toBe(300); // lag shows while offline
    await publishMany(log, 20, 300);
    await statusWhere(r, (s) => s.lag === 320);
    await nats.server.restart();
    await caughtUp(r, 60_000);
    await expectStreamIsLog(await connection(), 'EVENTS', 'events.a', log);
  }, 150_000);

  it('reports its status: subscribe, statuses() until stopped, caughtUp rejects Stopped after stop', async () => {
    const log = await freshLog();
    await publishMany(log, 100);
    const r = started(push(log, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', createStream: true }));
    const states: string[] = [];
    const iterated = (async () => {
      for await (const s of r.statuses()) states.push(s.state);
    })();
    await caughtUp(r);
    await r.stop();
    await iterated;
    expect(states[0]).toBe('connecting');
    expect(states).toContain('online');
    expect(states[states.length - 1]).toBe('stopped');
    const err = await r.caughtUp().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'Stopped' });
    await r.stop(); // a second stop resolves
  }, 60_000);

  it('throws InvalidArgument at once for bad options and for what is not a byte Log', async () => {
    const log = await freshLog();
    const bad: unknown[] = [
      undefined,
      { stream: 'S', subject: 'a' },
      { connection: nats.nc, servers: 'ws://x:1', stream: 'S', subject: 'a' },
      { connection: nats.nc, stream: 'S.x', subject: 'a' },
      { connection: nats.nc, stream: 'S', subject: 'a.*' },
      { connection: nats.nc, stream: 'S', subject: 'a..b' },
      { connection: nats.nc, stream: 'S', subject: 'a', from: -7 },
      { connection: nats.nc, stream: 'S', subject: 'a', createStream: { replicas: 0 } },
      { servers: 'http://x:1', stream: 'S', subject: 'a' },
      { connection: nats.nc, stream: 'S', subject: 'a', auth: { user: 'u' } },
      { connection: nats.nc, stream: 'S', subject: 'a', timeout: 0 },
    ];
    for (const [i, options] of bad.entries()) {
      let thrown: unknown = null;
      try {
        push(log, options as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, `case ${i}`).toBeInstanceOf(ReplicationError);
      expect((thrown as ReplicationError).code).toBe('InvalidArgument');
    }
    expect(() => push({} as never, { connection: nats.nc, stream: 'S', subject: 'a' })).toThrow(ReplicationError);
    expect(() => push(null as never, { connection: nats.nc, stream: 'S', subject: 'a' })).toThrow(/takes a Log/);
  });
});
