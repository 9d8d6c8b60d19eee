// pull against a real nats-server (tests/nats/server.ts), over TCP from
// Node: a second log mirrors a stream exactly once, across a crash between
// its local publish and its checkpoint and a server killed mid-pull; and two
// "devices" sync through one stream, each pushing its subject and pulling
// the other's.
import { assert, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pull, push, type Replication } from '../../src/jetstream.ts';
import { checkpointStore } from '../../src/jetstream/checkpoint.ts';
import {
  caughtUp,
  expectSameMessages,
  freshLog,
  inState,
  logMessages,
  natsPerTest,
  publishMany,
  statusWhere,
} from './jetstream-helpers.ts';
import type { Log } from '../../src/index.ts';

const nats = natsPerTest();
const { started, connection } = nats;

async function dirOf(log: Log): Promise<string> {
  const s = await log.snapshot();
  await s.release();
  return s.dir;
}

/** A log pushed whole into `subject` of EVENTS. */
async function pushed(count: number, subject = 'events.a'): Promise<Log> {
  const log = await freshLog();
  await publishMany(log, count, 0, 500);
  const r = started(
    push(log, { connection: nats.nc, stream: 'EVENTS', subject, createStream: { subjects: ['events.>'] } }),
  );
  await caughtUp(r, 60_000);
  return log;
}

describe('pull', () => {
  it('mirrors a pushed subject into a second log: same keys, times and values, in order, then live', async () => {
    const source = await pushed(2000);
    const mirror = await freshLog();
    const r = started(pull(mirror, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await caughtUp(r, 60_000);
    expect(r.status).toMatchObject({ state: 'online', lag: 0, position: 2000 });
    await expectSameMessages(source, mirror);
    await publishMany(source, 300, 2000);
    await statusWhere(r, (s) => s.position === 2300, 30_000);
    await expectSameMessages(source, mirror);
  }, 90_000);

  it('takes messages that were not pushed by opfs-log: key null, the stream time, the payload', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
    const js = jetstream(nats.nc);
    const h = headers();
    h.set('X-Other', 'yes');
    const before = Date.now();
    await js.publish('events.x', new TextEncoder().encode('hello'), { headers: h });
    await js.publish('events.x', new Uint8Array(0));
    const log = await freshLog();
    const r = started(pull(log, { connection: nats.nc, stream: 'EVENTS' }));
    await caughtUp(r);
    const got = await logMessages(log);
    expect(got.map((m) => [m.offset, m.key, m.value && new TextDecoder().decode(m.value)])).toEqual([
      [0, null, 'hello'],
      [1, null, null],
    ]);
    expect(got[0]?.time).toBeGreaterThanOrEqual(before - 5);
    expect(got[0]?.time).toBeLessThanOrEqual(Date.now() + 5);
  }, 60_000);

  it('resumes exactly once after a crash between its local publish and its checkpoint', async () => {
    const source = await pushed(3000);
    const mirror = await freshLog();
    const r = started(pull(mirror, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await caughtUp(r, 60_000);
    await r.stop();
    // The log holds all 3000; the checkpoint as if the writes after the first 1200 never reached the disk.
    const store = await checkpointStore();
    const key = JSON.stringify([await dirOf(mirror), 'pull', 'EVENTS', 'events.a', '']);
    expect(await store.load(key)).toEqual({ localNext: 3000, streamSeq: 3000 });
    await store.save(key, { localNext: 1200, streamSeq: 1200 });
    await publishMany(source, 100, 3000);
    const again = started(pull(mirror, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await statusWhere(again, (s) => s.position === 3100, 60_000);
    await expectSameMessages(source, mirror);
    // Written in the background after the batch: a moment later, never ahead of the log.
    await expect.poll(() => store.load(key)).toEqual({ localNext: 3100, streamSeq: 3100 });
  }, 90_000);

  it("fails Diverged on resume when the last message it skips is not the log's last (another writer wrote the log meanwhile)", async () => {
    const source = await freshLog();
    await publishMany(source, 300);
    const pushing = started(
      push(source, {
        connection: nats.nc,
        stream: 'EVENTS',
        subject: 'events.a',
        createStream: { subjects: ['events.>'] },
      }),
    );
    await caughtUp(pushing, 60_000);
    const mirror = await freshLog();
    const r = started(pull(mirror, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    await statusWhere(r, (s) => s.position === 300, 60_000);
    await r.stop();
    // A stale checkpoint: the resume skips 100 messages it applied and the one below, which it must compare.
    const store = await checkpointStore();
    await store.save(JSON.stringify([await dirOf(mirror), 'pull', 'EVENTS', 'events.a', '']), {
      localNext: 200,
      streamSeq: 200,
    });
    await mirror.publish([{ key: null, value: new TextEncoder().encode('not from the stream') }]);
    await publishMany(source, 1, 300);
    await caughtUp(pushing, 60_000);
    const again = started(pull(mirror, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    // Without the comparison it would take stream message 301 for the foreign one and move on to position 301.
    const s = await statusWhere(again, (x) => x.state === 'failed' || x.position === 301, 60_000);
    expect({ state: s.state, code: s.lastError?.code }).toEqual({ state: 'failed', code: 'Diverged' });
    expect(s.lastError?.message).toMatch(/offset 300\) is not stream message 301/);
    expect(await mirror.nextOffset()).toBe(301);
  }, 90_000);

  it('resumes exactly once when the server is killed (-9) mid-pull and restarted', async () => {
    const source = await pushed(20_000);
    const mirror = await freshLog();
    const own = await connection();
    const r = started(pull(mirror, { connection: own, stream: 'EVENTS', subject: 'events.a' }));
    await statusWhere(r, (s) => s.position > 2000, 60_000);
    await nats.server.kill();
    await inState(r, 'offline');
    await nats.server.restart();
    await statusWhere(r, (s) => s.state === 'online' && s.position === 20_000, 90_000);
    await expectSameMessages(source, mirror);
  }, 150_000);

  it('fails Diverged into a log that holds messages it did not pull, or that something else writes; reset appends after them', async () => {
    const source = await pushed(50);
    const mine = await freshLog();
    await publishMany(mine, 5);
    const r = started(pull(mine, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a' }));
    const s = await inState(r, 'failed');
    expect(s.lastError?.code).toBe('Diverged');
    const again = started(pull(mine, { connection: nats.nc, stream: 'EVENTS', subject: 'events.a', reset: true }));
    await caughtUp(again);
    expect(await mine.nextOffset()).toBe(55);

    await publishMany(mine, 1, 1000); // another writer of the pulled log
    await publishMany(source, 1, 50); // the next message the pull applies
    const failed = await inState(again, 'failed');
    expect(failed.lastError?.message).toMatch(/written by something else/);
  }, 60_000);

  it("two devices sync through one stream: each pushes its own subject and pulls the other's", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: 'SYNC', subjects: ['sync.>'] });
    const devices = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const conn = await connection();
        return { name, conn, outbox: await freshLog(), inbox: await freshLog() };
      }),
    );
    const [a, b] = devices;
    assert(a && b);
    const replications: Replication[] = [];
    for (const d of devices) {
      replications.push(started(push(d.outbox, { connection: d.conn, stream: 'SYNC', subject: `sync.${d.name}` })));
      replications.push(
        started(pull(d.inbox, { connection: d.conn, stream: 'SYNC', subject: `sync.${d.name === 'a' ? 'b' : 'a'}` })),
      );
    }
    // Both publish at once, so their windows interleave in the stream and keep failing each other's expectations.
    await Promise.all(devices.map((d, i) => publishMany(d.outbox, 3000, i * 100_000, 50)));
    const [pushA, pullA, pushB, pullB] = replications;
    assert(pushA && pullA && pushB && pullB);
    await Promise.all([caughtUp(pushA, 90_000), caughtUp(pushB, 90_000)]);
    await Promise.all([
      statusWhere(pullA, (s) => s.lag === 0 && s.position > 0 && s.state === 'online', 60_000),
      statusWhere(pullB, (s) => s.lag === 0 && s.position > 0 && s.state === 'online', 60_000),
    ]);
    await expect.poll(async () => await b.inbox.nextOffset(), { timeout: 30_000 }).toBe(3000);
    await expect.poll(async () => await a.inbox.nextOffset(), { timeout: 30_000 }).toBe(3000);
    await expectSameMessages(a.outbox, b.inbox);
    await expectSameMessages(b.outbox, a.inbox);
  }, 150_000);
});
