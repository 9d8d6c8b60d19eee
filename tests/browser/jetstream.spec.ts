// opfs-log/jetstream in the browser, against a real nats-server over
// WebSocket (the shipped `servers` path: `wsconnect`): a page pushes a real
// log (OPFS, its worker) to a stream, and a page on another profile ("another
// device") pulls it into its own log; both logs must hold the same messages.
// And the standby rule: two tabs start the same push, one runs, the other
// waits and takes over when the first tab closes; and a server whose
// `allowed_origins` refuses the page fails `OriginRefused`.
// (Issue 13's other cases: jetstream-faults, -devices and -cluster.spec.ts.)
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { serverPerTest } from './jetstream-tools.ts';

type Jetstream = typeof import('../../src/jetstream.ts');
type Core = typeof import('../../src/index.ts');

const nats = serverPerTest();

/** In the page: opens `dir`, publishes `count` messages (keys, a null one, times, a tombstone), pushes them, waits until caught up. */
function pushFromPage(page: Page, wsUrl: string, dir: string, count: number) {
  return page.evaluate(
    async ({ wsUrl, dir, count }) => {
      const core = (await import(String('/src/index.ts'))) as Core;
      const js = (await import(String('/src/jetstream.ts'))) as Jetstream;
      const log = await core.open(dir, { createDirs: true });
      const enc = new TextEncoder();
      const messages = Array.from({ length: count }, (_, i) => ({
        key: i % 5 === 0 ? null : enc.encode(`key-${i % 7}`),
        value: i % 11 === 0 ? null : enc.encode(`value-${i}`),
        time: 1_700_000_000_000 + i + 0.25,
      }));
      for (let i = 0; i < count; i += 100) await log.publish(messages.slice(i, i + 100));
      const replication = js.push(log, {
        servers: wsUrl,
        stream: 'EVENTS',
        subject: 'events.device-a',
        createStream: { subjects: ['events.>'] },
      });
      const started = performance.now();
      await replication.caughtUp();
      const ms = performance.now() - started;
      const status = replication.status;
      await replication.stop();
      await log.close();
      return { ms, state: status.state, position: status.position, lag: status.lag };
    },
    { wsUrl, dir, count },
  );
}

/** In the page: pulls events.device-a into `dir` until it holds `count` messages; resolves to what it holds. */
function pullIntoPage(page: Page, wsUrl: string, dir: string, count: number) {
  return page.evaluate(
    async ({ wsUrl, dir, count }) => {
      const core = (await import(String('/src/index.ts'))) as Core;
      const js = (await import(String('/src/jetstream.ts'))) as Jetstream;
      const log = await core.open(dir, { createDirs: true });
      const replication = js.pull(log, { servers: wsUrl, stream: 'EVENTS', subject: 'events.device-a' });
      await replication.caughtUp();
      while ((await log.nextOffset()) < count) await new Promise((r) => setTimeout(r, 50));
      await replication.stop();
      const dec = new TextDecoder();
      const out: [string | null, string | null, number][] = [];
      for (let offset: number = core.OffsetOldest; ; ) {
        const batch = await log.consume(offset, 500);
        if (batch.messages.length === 0) break;
        for (const m of batch.messages) out.push([m.key && dec.decode(m.key), m.value && dec.decode(m.value), m.time]);
        offset = batch.nextOffset;
      }
      await log.close();
      return out;
    },
    { wsUrl, dir, count },
  );
}

test('a page pushes a log over WebSocket; a page on another profile pulls it: the same messages', async ({
  page,
  anotherDevice,
}) => {
  test.setTimeout(120_000);
  const pushed = await pushFromPage(page, nats.server.wsUrl, 'sync/outbox', 1000);
  expect(pushed).toMatchObject({ state: 'online', position: 1000, lag: 0 });
  console.log(`pushed 1000 messages over WebSocket in ${pushed.ms.toFixed(0)} ms`);

  const device = await anotherDevice();
  const pulled = await pullIntoPage(device, nats.server.wsUrl, 'sync/inbox', 1000);
  expect(pulled).toHaveLength(1000);
  pulled.forEach(([key, value, time], i) => {
    expect([key, value, time]).toEqual([
      i % 5 === 0 ? null : `key-${i % 7}`,
      i % 11 === 0 ? null : `value-${i}`,
      1_700_000_000_000 + i + 0.25,
    ]);
  });
});

test('two tabs start the same push: one runs, the other stands by and takes over when that tab closes', async ({
  page,
  newHarnessPage,
}) => {
  test.setTimeout(90_000);
  const start = (p: Page) =>
    p.evaluate(async (wsUrl) => {
      const core = (await import(String('/src/index.ts'))) as Core;
      const js = (await import(String('/src/jetstream.ts'))) as Jetstream;
      const log = await core.open('sync/shared', { createDirs: true });
      const replication = js.push(log, {
        servers: wsUrl,
        stream: 'EVENTS',
        subject: 'events.shared',
        createStream: true,
      });
      Object.assign(window, { replication, sharedLog: log });
      await new Promise<void>((resolve) =>
        replication.subscribe((s) => (s.state === 'online' || s.state === 'standby') && resolve()),
      );
      return replication.status.state;
    }, nats.server.wsUrl);
  const stateOf = (p: Page) =>
    p.evaluate(
      () => (window as unknown as { replication: { status: { state: string; position: number } } }).replication.status,
    );

  expect(await start(page)).toBe('online');
  const second = await newHarnessPage();
  expect(await start(second)).toBe('standby');
  await page.evaluate(async () => {
    const log = (window as unknown as { sharedLog: import('../../src/index.ts').Log }).sharedLog;
    await log.publish([{ value: new TextEncoder().encode('from the first tab') }]);
  });
  await expect.poll(async () => (await stateOf(page)).position).toBe(1);
  await page.close(); // the browser releases the lock with the tab
  await expect.poll(async () => (await stateOf(second)).state, { timeout: 30_000 }).toBe('online');
  await second.evaluate(async () => {
    const w = window as unknown as {
      sharedLog: import('../../src/index.ts').Log;
      replication: { caughtUp(): Promise<void> };
    };
    await w.sharedLog.publish([{ value: new TextEncoder().encode('from the second tab') }]);
    await w.replication.caughtUp();
  });
  expect(await stateOf(second)).toMatchObject({ state: 'online', position: 2 });
});

test('a server whose allowed_origins leaves this page out fails OriginRefused, not a silent retry', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await nats.restartWith({ allowedOrigins: ['https://app.example.com'] });
  const failed = await page.evaluate(async (wsUrl) => {
    const core = (await import(String('/src/index.ts'))) as Core;
    const js = (await import(String('/src/jetstream.ts'))) as Jetstream;
    const log = await core.open('sync/refused', { createDirs: true });
    const replication = js.push(log, { servers: wsUrl, stream: 'EVENTS', subject: 'events.a', createStream: true });
    const error = await replication.caughtUp().then(
      () => null,
      (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
    );
    await log.close();
    return { error, state: replication.status.state };
  }, nats.server.wsUrl);
  expect(failed.state).toBe('failed');
  expect(failed.error?.code).toBe('OriginRefused');
  expect(failed.error?.message).toMatch(/allowed_origins/);
});
