/**
 * Projections in Node: the fold, snapshots (saved, resumed, damaged,
 * versioned), failures, changes to the log under a live projection, and two
 * "tabs" (two logs of one memory env) folding the same log.
 */
import { describe, expect, it } from 'vitest';
import { LogError } from '../../src/errors.ts';
import { projection, type Projection } from '../../src/projection/projection.ts';
import { PROJECTIONS_DB } from '../../src/namespace.ts';
import { trimByCount } from '../../src/retention/by-count.ts';
import { json } from '../../src/typed/codecs.ts';
import { typed } from '../../src/typed/typed.ts';
import { versioned } from '../../src/typed/versioned.ts';
import type { Log, Message } from '../../src/types.ts';
import { afterCrash, dec, enc, freshEnv, gen, openLog, rejection } from './helpers.ts';
import type { MemoryEnv } from '../../src/storage/memory-env.ts';

/** A count per key, the way apps keep one: a new object per message. */
type Counts = Record<string, number>;

function counter(seen: Message[] = []) {
  return {
    name: 'counts',
    version: 1,
    initial: {} as Counts,
    apply: (state: Counts, m: Message): Counts => {
      seen.push(m);
      const k = m.key ? dec.decode(m.key) : '-';
      return { ...state, [k]: (state[k] ?? 0) + 1 };
    },
  };
}

/** The count per key of the log's messages at offsets [from, to), read straight from the log. */
async function countsOf(log: Log, from = 0, to = Number.MAX_SAFE_INTEGER): Promise<Counts> {
  const out: Counts = {};
  for (let offset = from; ; ) {
    const b = await log.consume(offset, 1000);
    for (const m of b.messages) {
      if (m.offset >= to) return out;
      const k = m.key ? dec.decode(m.key) : '-';
      out[k] = (out[k] ?? 0) + 1;
    }
    if (b.nextOffset === offset) return out;
    offset = b.nextOffset;
  }
}

/** Resolves once the projection has folded to `offset`. */
function until<S>(p: Projection<S>, offset: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const stop = p.subscribe((s) => {
      if (p.offset >= offset) {
        queueMicrotask(() => stop());
        resolve(s);
      } else if (p.status === 'failed') reject(p.error);
    });
  });
}

/** The snapshot records in the env's IndexedDB. */
async function records(env: MemoryEnv): Promise<{ offset: number; bytes: Uint8Array; version: number }[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = env.idb.open(PROJECTIONS_DB);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  if (!db.objectStoreNames.contains('snapshots')) return [];
  const all = await new Promise<{ offset: number; bytes: Uint8Array; version: number }[]>((resolve) => {
    const req = db.transaction('snapshots').objectStore('snapshots').getAll();
    req.onsuccess = () => resolve(req.result);
  });
  db.close();
  return all.sort((a, b) => b.offset - a.offset);
}

/** Overwrites one byte of the stored snapshot at `offset` (damage a crash or a bug could leave). */
async function spoil(env: MemoryEnv, offset: number): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve) => {
    const req = env.idb.open(PROJECTIONS_DB);
    req.onsuccess = () => resolve(req.result);
  });
  await new Promise<void>((resolve, reject) => {
    setTimeout(() => reject(new Error(`no snapshot at ${offset}`)), 1000);
    const store = db.transaction('snapshots', 'readwrite').objectStore('snapshots');
    const req = store.getAll();
    req.onsuccess = () => {
      const rec = req.result.find((r: { offset: number }) => r.offset === offset);
      if (!rec) throw new Error(`no snapshot at ${offset}`);
      // A digit made another: still JSON, so only the checksum can tell.
      const bytes = rec.bytes as Uint8Array;
      let at = bytes.length - 1;
      while (!(bytes[at]! >= 0x30 && bytes[at]! <= 0x39)) at--;
      rec.bytes[at] = rec.bytes[at] === 0x30 ? 0x31 : rec.bytes[at] - 1;
      store.put(rec).onsuccess = () => resolve();
    };
  });
  db.close();
}

describe('projection: the fold', () => {
  it('folds the log in offset order, is ready once caught up, then follows publishes, also in a readonly tab', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(25));
    const p = projection(log, { ...counter(), snapshots: false });
    expect(p.status).toBe('loading');
    expect(await p.ready).toEqual(await countsOf(log));
    expect(p.status).toBe('live');
    expect(p.offset).toBe(25);
    await log.publish(gen(5));
    expect(await until(p, 30)).toEqual(await countsOf(log));
    const reader = await openLog(env, 'log', { readonly: true }); // another tab
    const q = projection(reader, { ...counter(), snapshots: false });
    expect(await q.ready).toEqual(await countsOf(log));
    await log.publish(gen(3));
    expect(await until(q, 33)).toEqual(await countsOf(log));
    expect(await until(p, 33)).toEqual(await countsOf(log));
    await q.close();
    await reader.close();
    await p.close();
    await log.close();
  });

  it('subscribe calls at once and after each change; the state is the same object until it changes; unsubscribe stops it', async () => {
    const log = await openLog(freshEnv());
    const p = projection(log, { ...counter(), snapshots: false });
    await p.ready;
    const seen: Counts[] = [];
    const stop = p.subscribe((s) => seen.push(s));
    expect(seen).toEqual([{}]);
    expect(p.getState()).toBe(p.getState());
    await log.publish(gen(2));
    await until(p, 2);
    expect(seen.at(-1)).toEqual({ k0: 1, k1: 1 });
    expect(seen.at(-1)).toBe(p.getState());
    stop();
    const calls = seen.length;
    await log.publish(gen(1));
    await until(p, 3);
    expect(seen.length).toBe(calls);
    await p.close();
    await log.close();
  });

  it('over a typed log, apply gets decoded messages, old versions upcast', async () => {
    const log = await openLog(freshEnv());
    const v1 = typed(log, { value: json<{ n: number }>() });
    await v1.publish([{ value: { n: 1 } }, { value: { n: 2 } }]);
    const v2 = typed(log, {
      value: versioned<{ amount: number }>(
        { 0: json<{ n: number }>(), 1: json<{ amount: number }>() },
        { 0: (e) => ({ amount: (e as { n: number }).n }) },
      ),
    });
    await v2.publish([{ value: { amount: 10 } }]);
    const total = projection(v2, {
      name: 'total',
      version: 1,
      initial: 0,
      apply: (sum: number, m) => sum + (m.value?.amount ?? 0),
      snapshots: false,
    });
    expect(await total.ready).toBe(13);
    await total.close();
    await log.close();
  });

  it('with clone, apply may change its state in place: a state once shown never changes', async () => {
    const log = await openLog(freshEnv());
    await log.publish(gen(10));
    const p = projection(log, {
      name: 'mutable',
      version: 1,
      initial: new Map<string, number>(),
      clone: (m) => new Map(m),
      apply: (m, msg) => m.set(dec.decode(msg.key!), (m.get(dec.decode(msg.key!)) ?? 0) + 1),
      snapshots: false,
    });
    const first = await p.ready;
    expect(first.get('k0')).toBe(1);
    await log.publish(gen(10));
    const second = await until(p, 20);
    expect(second.get('k0')).toBe(2);
    expect(first.get('k0')).toBe(1);
    expect(p.initial.size).toBe(0);
    await p.close();
    await log.close();
  });
});

describe('projection: failures', () => {
  it('apply that throws: failed, with the offset and the cause, the state that of the last whole batch, ready rejects', async () => {
    const log = await openLog(freshEnv());
    await log.publish(gen(10));
    const boom = new Error('bad event');
    const p = projection(log, {
      name: 'throws',
      version: 1,
      initial: 0,
      apply: (n: number, m) => {
        if (m.offset === 14) throw boom;
        return n + 1;
      },
      snapshots: false,
    });
    expect(await p.ready).toBe(10);
    await log.publish(gen(10)); // one batch: 10..19, 14 throws
    await expect.poll(() => p.status).toBe('failed');
    expect(p.error).toBeInstanceOf(LogError);
    expect(p.error!.code).toBe('Internal');
    expect(p.error!.cause).toBe(boom);
    expect(p.error!.message).toContain('offset 14');
    expect(p.failedAt).toBe(14);
    expect(p.getState()).toBe(10);
    expect(p.offset).toBe(10);
    await p.close();

    const early = projection(log, {
      name: 'early',
      version: 1,
      initial: 0,
      apply: () => {
        throw boom;
      },
      snapshots: false,
    });
    expect((await rejection(early.ready)).code).toBe('Internal');
    await early.close();
    await log.close();
  });

  it('bad options throw InvalidArgument; a closed log fails the projection with Closed', async () => {
    const log = await openLog(freshEnv());
    const ok = counter();
    const bad: unknown[] = [
      null,
      { ...ok, name: '' },
      { ...ok, name: 'x'.repeat(201) },
      { ...ok, name: 7 },
      { ...ok, version: -1 },
      { ...ok, version: 1.5 },
      { ...ok, version: '1' },
      { ...ok, apply: undefined },
      { ...ok, clone: 'no' },
      { ...ok, snapshots: true },
      { ...ok, snapshots: { every: 0 } },
      { ...ok, snapshots: { interval: Number.NaN } },
      { ...ok, snapshots: { codec: {} } },
    ];
    for (const options of bad) {
      expect(() => projection(log, options as never)).toThrow(LogError);
      try {
        projection(log, options as never);
      } catch (err) {
        expect((err as LogError).code).toBe('InvalidArgument');
      }
    }
    expect(() => projection({} as Log, ok)).toThrow(/takes a Log/);
    const p = projection(log, ok);
    expect(() => p.subscribe(null as never)).toThrow(LogError);
    await log.close();
    expect((await rejection(p.ready)).code).toBe('Closed');
    expect(p.status).toBe('failed');
    await p.close();
    expect(p.status).toBe('closed');
  });
});

describe('projection: snapshots', () => {
  it('saves every N messages; a reload starts from the newest snapshot and folds only what came after', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(250));
    const p = projection(log, { ...counter(), snapshots: { every: 100, interval: 60_000 } });
    await p.ready;
    // One read brought all 250: one snapshot.
    await expect.poll(async () => (await records(env)).length).toBe(1);
    expect(p.snapshot?.offset).toBe(250);
    await log.publish(gen(30));
    await until(p, 280);
    // No close: the tab goes away with the log open.
    const reopened = await openLog(afterCrash(env));
    const seen: Message[] = [];
    const again = projection(reopened, { ...counter(seen), snapshots: { every: 100, interval: 60_000 } });
    expect(await again.ready).toEqual(await countsOf(reopened));
    expect(again.snapshot?.offset).toBe(250);
    expect(seen.map((m) => m.offset)).toEqual(Array.from({ length: 30 }, (_, i) => 250 + i));
    await again.close();
    await p.close();
    await reopened.close();
  });

  it('a damaged newest snapshot is passed over for the previous one, and two damaged ones for a full fold: never a wrong state', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    const opts = { ...counter(), snapshots: { every: 1, interval: 60_000 } };
    await log.publish(gen(40));
    const p = projection(log, opts);
    await p.ready;
    await log.publish(gen(20));
    await until(p, 60);
    await p.close(); // saves at 60 (its previous: 40)
    expect((await records(env)).map((r) => r.offset)).toEqual([60, 40]);

    await spoil(env, 60);
    const seen: Message[] = [];
    const fromPrevious = projection(log, { ...counter(seen), snapshots: { every: 1_000, interval: 60_000 } });
    expect(await fromPrevious.ready).toEqual(await countsOf(log));
    expect(fromPrevious.snapshot?.offset).toBe(40);
    expect(seen.length).toBe(20);
    await fromPrevious.close(); // saves at 60 where the damaged one was
    expect((await records(env)).map((r) => r.offset)).toEqual([60, 40]);

    await spoil(env, 60);
    await spoil(env, 40);
    const seenAll: Message[] = [];
    const full = projection(log, { ...counter(seenAll), snapshots: { every: 1_000 } });
    expect(await full.ready).toEqual(await countsOf(log));
    expect(seenAll.length).toBe(60);
    await full.close();
    await log.close();
  });

  it('a snapshot saved while folding goes on holds the state of its own offset', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    // A state large enough that its encoding yields (sliced-json.ts), so folds go on during each save.
    const pad = Array.from({ length: 300_000 }, (_, i) => i);
    const p = projection(log, {
      name: 'padded',
      version: 1,
      initial: { pad, n: 0 },
      apply: (s: { pad: number[]; n: number }) => ({ pad: s.pad, n: s.n + 1 }),
      snapshots: { every: 1, interval: 60_000 },
    });
    await p.ready;
    for (let i = 0; i < 40; i++) {
      await log.publish(gen(3));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(p, 120);
    await p.close();
    const saved = await records(env);
    expect(saved.length).toBe(2);
    for (const r of saved)
      expect({ offset: r.offset, n: (JSON.parse(dec.decode(r.bytes)) as { n: number }).n }).toEqual({
        offset: r.offset,
        n: r.offset,
      });
    await log.close();
  }, 30_000); // a 300,000-number state encoded on every save: seconds on a loaded machine

  it('a new version folds from the oldest message and removes the older version snapshots', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(50));
    const v1 = projection(log, { ...counter(), snapshots: { every: 10 } });
    await v1.ready;
    await v1.close();
    expect((await records(env)).every((r) => r.version === 1)).toBe(true);
    const seen: Message[] = [];
    const v2 = projection(log, { ...counter(seen), version: 2, snapshots: { every: 10 } });
    expect(await v2.ready).toEqual(await countsOf(log));
    expect(seen.length).toBe(50);
    await v2.close();
    expect(new Set((await records(env)).map((r) => r.version))).toEqual(new Set([2]));
    await log.close();
  });

  it('a snapshot of another log at the same dir (same offsets, other messages) is not used', async () => {
    const env = freshEnv();
    const first = await openLog(env, 'same');
    await first.publish(gen(30));
    const p = projection(first, { ...counter(), snapshots: { every: 10 } });
    await p.ready;
    await p.close();
    await first.close();
    await env.root.removeDir('same');
    const second = await openLog(env, 'same');
    await second.publish(
      Array.from({ length: 40 }, (_, i) => ({ key: enc.encode('other'), value: enc.encode(`${i}`) })),
    );
    const q = projection(second, counter());
    expect(await q.ready).toEqual({ other: 40 });
    await q.close();
    await second.close();
  });

  it('a state JSON cannot keep is refused with snapshotError; a codec of its own saves it', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await log.publish(gen(5));
    const base = {
      name: 'map',
      version: 1,
      initial: new Map<string, number>(),
      apply: (m: Map<string, number>, msg: Message) => new Map(m).set(dec.decode(msg.key!), msg.offset),
    };
    const p = projection(log, { ...base, snapshots: { every: 1 } });
    await p.ready;
    await expect.poll(() => p.snapshotError?.code).toBe('InvalidArgument');
    expect(p.snapshotError!.message).toMatch(/Map/);
    expect(p.status).toBe('live');
    await p.close();
    const codec = {
      encode: (m: Map<string, number>) => enc.encode(JSON.stringify([...m])),
      decode: (b: Uint8Array) => new Map<string, number>(JSON.parse(dec.decode(b))),
    };
    const q = projection(log, { ...base, snapshots: { every: 1, codec } });
    await q.ready;
    await q.close();
    const seen: Message[] = [];
    const r = projection(log, {
      ...base,
      apply: (m, msg) => {
        seen.push(msg);
        return base.apply(m, msg);
      },
      snapshots: { codec },
    });
    expect([...(await r.ready)]).toEqual([...(await q.ready)]);
    expect(seen.length).toBe(0);
    await r.close();
    await log.close();
  });
});

describe('projection: changes to the log under it', () => {
  it('trims and deletes keep what was folded; rebuild folds what remains', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    await log.publish(gen(100));
    const p = projection(log, counter());
    const before = await countsOf(log);
    expect(await p.ready).toEqual(before);
    await trimByCount(log, 40);
    await log.delete([99]);
    await log.publish(gen(1));
    expect(await until(p, 101)).toEqual({ ...before, k0: before.k0! + 1 });
    await p.rebuild();
    expect(p.snapshot).toBe(null);
    const remaining = (await log.stat()).messages;
    await expect.poll(() => Object.values(p.getState()).reduce((a, b) => a + b, 0)).toBe(remaining);
    expect(p.status).toBe('live');
    await p.close();
    await log.close();
  });

  it('two tabs fold the same state; one saves snapshots, the other takes over when it closes', async () => {
    // Writers in two tabs need the browser (tabs.spec, projection.spec); here tab b reads.
    const env = freshEnv();
    const a = await openLog(env);
    const b = await openLog(env, 'log', { readonly: true });
    const pa = projection(a, { ...counter(), snapshots: { every: 10, interval: 60_000 } });
    const pb = projection(b, { ...counter(), snapshots: { every: 10, interval: 60_000 } });
    await Promise.all([pa.ready, pb.ready]);
    for (let i = 0; i < 10; i++) await a.publish(gen(5));
    await Promise.all([until(pa, 50), until(pb, 50)]);
    expect(pa.getState()).toEqual(pb.getState());
    expect(pa.getState()).toEqual(await countsOf(a));
    // Only the first saves.
    await expect.poll(() => pa.snapshot?.offset).toBe(50);
    expect(pb.snapshot).toBe(null);
    await pa.close();
    await a.publish(gen(10));
    await until(pb, 60);
    await expect.poll(() => pb.snapshot?.offset).toBe(60);
    await pb.close();
    await a.close();
    await b.close();
  });
});
