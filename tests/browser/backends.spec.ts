// The two storage backends write the same files: a log written through sync
// access handles opens with the async backend and goes on there, and back.
import { test, expect } from './fixtures.ts';

test('a log written by one backend opens with the other, both ways', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { harness } = window;
    const dir = 'backends/log';
    const options = { createDirs: true, keyIndex: true, timeIndex: true, rollover: 4096 };
    const steps: string[] = [];
    let id = 0;
    // Publishes three batches on `backend`, deletes one message of the first, then checks every batch so far.
    for (const backend of ['sync', 'async', 'sync', 'async'] as const) {
      const opened = await harness.openAs(backend, dir, { ...options, backend });
      if (!opened.ok) return `${backend} open: ${opened.error}`;
      const log = harness.log(backend);
      for (let n = 0; n < 3; n++) await log.publish(harness.numberedBatch(id++, 20, 100));
      const found = await harness.checkNumbered(backend, 20);
      if (found.problem) return `${backend}: ${found.problem}`;
      const last = await log.getByKey(harness.bytes(`batch-${id - 1}`));
      steps.push(`${backend}:${found.next}:${last.offset}`);
      await log.close();
    }
    return steps.join(' ');
  });
  expect(result).toBe('sync:60:59 async:120:119 sync:180:179 async:240:239');
});

test('an unknown backend rejects InvalidArgument', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { harness } = window;
    const bad = await harness.settle(harness.lib.open('backends/bad', { createDirs: true, backend: 'fast' as 'sync' }));
    return { bad: bad.ok ? 'opened' : bad.code };
  });
  expect(result).toEqual({ bad: 'InvalidArgument' });
});
