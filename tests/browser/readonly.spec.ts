// A readonly log in one tab beside the writer in another: it opens while the
// writer holds the lock, reads what the writer has published (re-reading on
// each call), refuses to write, and never gets in the writer's way.
import { test, expect } from './fixtures.ts';
import type { Page } from '@playwright/test';

const DIR = 'readonly/events';

/** Publishes `count` messages valued `${prefix}${i}` from the log kept as `name`; returns the next offset. */
function publish(page: Page, name: string, prefix: string, count: number) {
  return page.evaluate(
    ([n, p, c]) => {
      const { harness } = window;
      const batch = Array.from({ length: c }, (_, i) => ({
        key: harness.bytes(`k${i % 3}`),
        value: harness.bytes(`${p}${i}`),
      }));
      return harness.log(n).publish(batch);
    },
    [name, prefix, count] as const,
  );
}

/** Every value from `offset` on, read through the log kept as `name`, and the next offset. */
function readFrom(page: Page, name: string, offset: number) {
  return page.evaluate(
    async ([n, from]) => {
      const { harness } = window;
      const log = harness.log(n);
      const values: (string | null)[] = [];
      const offsets: number[] = [];
      let at = from;
      for (;;) {
        const batch = await log.consume(at, 7);
        for (const m of batch.messages) {
          offsets.push(m.offset);
          values.push(harness.text(m.value));
        }
        if (batch.nextOffset === at) break;
        at = batch.nextOffset;
      }
      return { values, offsets, next: await log.nextOffset() };
    },
    [name, offset] as const,
  );
}

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('a readonly tab reads what the writer tab publishes, and cannot write', async ({
  page: writer,
  newHarnessPage,
}) => {
  expect(await writer.evaluate((dir) => window.harness.openAs('w', dir, { createDirs: true }), DIR)).toMatchObject({
    ok: true,
  });
  expect(await publish(writer, 'w', 'a', 10)).toBe(10);

  const reader = await newHarnessPage();
  expect(await reader.evaluate((dir) => window.harness.openAs('r', dir, { readonly: true }), DIR)).toMatchObject({
    ok: true,
  });
  expect(await readFrom(reader, 'r', -2 /* OffsetOldest */)).toEqual({
    values: range('a', 10),
    offsets: range('', 10).map(Number),
    next: 10,
  });

  // The writer goes on; the reader sees it on its next calls.
  expect(await publish(writer, 'w', 'b', 5)).toBe(15);
  expect(await reader.evaluate(() => window.harness.log('r').nextOffset())).toBe(15);
  expect((await readFrom(reader, 'r', 10)).values).toEqual(range('b', 5));
  expect(
    await reader.evaluate(() =>
      window.harness
        .log('r')
        .get(14)
        .then((m) => window.harness.text(m.value)),
    ),
  ).toBe('b4');

  // Writes through the reader are refused, with a LogError that crossed the worker boundary.
  const refusals = await reader.evaluate(async () => {
    const { harness } = window;
    const log = harness.log('r');
    return {
      publish: await harness.settle(log.publish([{ value: harness.bytes('nope') }])),
      publishEmpty: await harness.settle(log.publish([])),
      delete: await harness.settle(log.delete([0])),
      deleteEmpty: await harness.settle(log.delete([])),
    };
  });
  const READONLY = { ok: false, code: 'Readonly', isLogError: true };
  expect(refusals.publish).toMatchObject(READONLY);
  expect(refusals.delete).toMatchObject(READONLY);
  expect(refusals.deleteEmpty).toMatchObject(READONLY);
  expect(refusals.publishEmpty).toMatchObject(READONLY); // as klevdb: Readonly before anything else

  // The writer is untouched by all that and keeps working while the reader is open.
  expect(await publish(writer, 'w', 'c', 5)).toBe(20);
  expect(await writer.evaluate(() => window.harness.log('w').sync())).toBe(20);
  expect(await readFrom(writer, 'w', -2)).toMatchObject({
    values: [...range('a', 10), ...range('b', 5), ...range('c', 5)],
    next: 20,
  });

  // After the writer closes, the reader still reads everything.
  await writer.evaluate(() => window.harness.log('w').close());
  expect((await readFrom(reader, 'r', 15)).values).toEqual(range('c', 5));
  await reader.evaluate(() => window.harness.log('r').close());
});

test('a readonly tab finds the writer tab’s new messages by key and by time', async ({
  page: writer,
  newHarnessPage,
}) => {
  const options = { createDirs: true, keyIndex: true, timeIndex: true };
  expect(
    await writer.evaluate(([dir, o]) => window.harness.openAs('w', dir, o), [DIR, options] as const),
  ).toMatchObject({ ok: true });
  await writer.evaluate(() => {
    const { harness } = window;
    return harness.log('w').publish([
      { key: harness.bytes('alpha'), value: harness.bytes('alpha 1'), time: 1_000 },
      { key: harness.bytes('beta'), value: harness.bytes('beta 1'), time: 2_000 },
    ]);
  });

  const reader = await newHarnessPage();
  const readOptions = { readonly: true, keyIndex: true, timeIndex: true };
  expect(
    await reader.evaluate(([dir, o]) => window.harness.openAs('r', dir, o), [DIR, readOptions] as const),
  ).toMatchObject({ ok: true });
  const lookUp = () =>
    reader.evaluate(async () => {
      const { harness } = window;
      const log = harness.log('r');
      const byKey = await harness.settle(
        log.getByKey(harness.bytes('alpha')).then((m) => [m.offset, harness.text(m.value)]),
      );
      const gamma = await harness.settle(log.offsetByKey(harness.bytes('gamma')));
      const byTime = await harness.settle(log.offsetByTime(2_500));
      return { byKey, gamma, byTime };
    });

  const before = await lookUp();
  expect(before.byKey).toEqual({ ok: true, value: [0, 'alpha 1'] });
  expect(before.gamma).toMatchObject({ ok: false, code: 'NotFound', isLogError: true });
  expect(before.byTime).toMatchObject({ ok: false, code: 'NotFound', isLogError: true });

  await writer.evaluate(() => {
    const { harness } = window;
    return harness.log('w').publish([
      { key: harness.bytes('alpha'), value: harness.bytes('alpha 2'), time: 3_000 },
      { key: harness.bytes('gamma'), value: harness.bytes('gamma 1'), time: 4_000 },
    ]);
  });

  const after = await lookUp();
  expect(after.byKey).toEqual({ ok: true, value: [2, 'alpha 2'] });
  expect(after.gamma).toEqual({ ok: true, value: 3 });
  expect(after.byTime).toEqual({ ok: true, value: { offset: 2, time: 3_000 } });
});
