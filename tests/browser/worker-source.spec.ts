// `setWorkerSource`, the way out for set-ups where the default worker is not
// found: a page that supplies the worker itself (a function, a URL) opens,
// publishes and reads as usual; a page that names a wrong URL gets a LogError
// that names it and points to the README's "Use it in your app". And a worker
// of the page's own that imports opfs-log runs the engine in place (loaded
// with import(), so that the main thread's bundle does not hold it).
import { test, expect } from './fixtures.ts';

/** The worker's source as the vite server serves it; the built package's is dist/worker.js. */
const WORKER_PATH = '/worker/worker.ts';

test('a function given to setWorkerSource starts the worker', async ({ page }) => {
  const result = await page.evaluate(async (path) => {
    const { lib, bytes, text } = window.harness;
    const calls: WorkerOptions[] = [];
    lib.setWorkerSource((options) => {
      calls.push(options);
      return new Worker(new URL(path, location.href), options);
    });
    const log = await lib.open('source/factory', { createDirs: true, keyIndex: true });
    const next = await log.publish([{ key: bytes('k'), value: bytes('one') }, { value: bytes('two') }]);
    const batch = await log.consume(lib.OffsetOldest, 10);
    const byKey = await log.getByKey(bytes('k'));
    await log.close();
    lib.setWorkerSource(null);
    return { next, values: batch.messages.map((m) => text(m.value)), byKey: text(byKey.value), calls };
  }, WORKER_PATH);
  expect(result).toEqual({
    next: 2,
    values: ['one', 'two'],
    byKey: 'one',
    calls: [{ type: 'module', name: 'opfs-log:source/factory' }],
  });
});

test('a URL given to setWorkerSource starts the worker', async ({ page }) => {
  const next = await page.evaluate(async (path) => {
    const { lib, bytes } = window.harness;
    lib.setWorkerSource(new URL(path, location.href));
    const log = await lib.open('source/url', { createDirs: true });
    const next = await log.publish([{ value: bytes('one') }]);
    await log.close();
    lib.setWorkerSource(null);
    return next;
  }, WORKER_PATH);
  expect(next).toBe(1);
});

test('a wrong URL rejects Unsupported, naming it and the README section', async ({ page, baseURL }) => {
  const settled = await page.evaluate(async () => {
    const { lib, settle } = window.harness;
    lib.setWorkerSource('/no/such/worker.js');
    return settle(lib.open('source/wrong', { createDirs: true }));
  });
  expect(settled).toMatchObject({ ok: false, code: 'Unsupported', isLogError: true });
  const error = settled.ok ? '' : settled.error;
  expect(error).toContain(`failed to load from ${new URL('/no/such/worker.js', baseURL).href}`);
  expect(error).toContain('"Use it in your app"');

  // Nothing was left held: with the worker found again, the same log opens.
  const next = await page.evaluate(async () => {
    const { lib } = window.harness;
    lib.setWorkerSource(null);
    const log = await lib.open('source/wrong', { createDirs: true });
    const next = await log.nextOffset();
    await log.close();
    return next;
  });
  expect(next).toBe(0);
});

test('a function that returns no Worker rejects InvalidArgument; a bad source throws it', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { lib, settle } = window.harness;
    lib.setWorkerSource(() => ({}) as Worker);
    const notAWorker = await settle(lib.open('source/odd', { createDirs: true }));
    lib.setWorkerSource(null);
    const badSource = await settle((async () => lib.setWorkerSource(42 as unknown as string))());
    return { notAWorker, badSource };
  });
  expect(result.notAWorker).toMatchObject({ ok: false, code: 'InvalidArgument' });
  expect(result.badSource).toMatchObject({ ok: false, code: 'InvalidArgument' });
});

test("inside a worker of the page's own, open and importArchive run in place", async ({ page }) => {
  const result = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const worker = new Worker('/tests/browser/own-worker.ts', { type: 'module' });
        worker.addEventListener('message', (e) => resolve(e.data));
        worker.addEventListener('error', (e) => resolve({ ok: false, error: e.message ?? 'the worker did not load' }));
        worker.postMessage('go');
      }),
  );
  expect(result).toEqual({ ok: true, next: 2, values: ['one', 'two'], restored: 'one' });
});
