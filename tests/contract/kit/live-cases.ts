// Live tail: consumeBlocking and tail (src/client/tail.ts).
import { OffsetNewest, OffsetOldest } from '../../../src/types.ts';
import type { Batch, Log } from '../../../src/types.ts';
import { deepEqual, equal, fail, ok, rejectsWith, show, withTimeout } from '../assert.ts';
import { kitCase } from './registry.ts';
import {
  bytes,
  gen,
  isAbortError,
  offsetsOf,
  pendingAfter,
  range,
  rejection,
  sleep,
  text,
  withLog,
  withLogs,
} from './helpers.ts';

/** How long a waiter must stay pending to count as waiting. */
const WAIT_MS = 60;
/** A wake-up must come well within this (the aim is 100 ms across tabs; CI machines are slow). */
const WAKE_MS = 2000;

kitCase('consumeBlocking: with messages at or after offset it resolves at once, as consume', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish(gen(5));
    const batch = await withTimeout(log.consumeBlocking(2, 10), 1000, 'consumeBlocking(2)');
    deepEqual(offsetsOf(batch.messages), [2, 3, 4], 'offsets');
    equal(batch.nextOffset, 5, 'nextOffset');
    const oldest = await withTimeout(log.consumeBlocking(OffsetOldest, 2), 1000, 'consumeBlocking(OffsetOldest)');
    deepEqual(offsetsOf(oldest.messages), [0, 1], 'from the oldest, at most maxCount');
  });
});

kitCase('consumeBlocking: at the next offset it waits, and a publish wakes it with the new messages', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish(gen(3));
    const waiting = log.consumeBlocking(3, 10);
    ok(await pendingAfter(waiting, WAIT_MS), 'consumeBlocking(next) waits while nothing is published');
    await log.publish(gen(2, 3));
    const batch = await withTimeout(waiting, WAKE_MS, 'the woken consumeBlocking');
    deepEqual(offsetsOf(batch.messages), [3, 4], 'the new messages');
    equal(batch.nextOffset, 5, 'nextOffset');
    equal(text(batch.messages[0]?.value ?? null), text(gen(1, 3)[0]!.value!), 'the value');
  });
});

kitCase(
  'consumeBlocking: OffsetNewest waits for the next publish; OffsetOldest on an empty log for the first',
  async (ctx) => {
    await withLog(ctx, {}, async (log) => {
      const first = log.consumeBlocking(OffsetOldest, 10);
      ok(await pendingAfter(first, WAIT_MS), 'OffsetOldest on an empty log waits');
      await log.publish(gen(2));
      deepEqual(offsetsOf((await withTimeout(first, WAKE_MS, 'OffsetOldest')).messages), [0, 1], 'the first messages');

      const newest = log.consumeBlocking(OffsetNewest, 10);
      ok(await pendingAfter(newest, WAIT_MS), 'OffsetNewest waits although the log has messages');
      await log.publish(gen(1, 2));
      deepEqual(offsetsOf((await withTimeout(newest, WAKE_MS, 'OffsetNewest')).messages), [2], 'only the new message');
    });
  },
);

kitCase('consumeBlocking: a publish through another log of the same dir wakes a readonly reader', async (ctx) => {
  const dir = ctx.dir();
  await withLogs(async (open) => {
    const writer = await open(dir, { createDirs: true });
    await writer.publish(gen(4));
    const reader = await open(dir, { readonly: true });
    const waiting = reader.consumeBlocking(4, 100);
    ok(await pendingAfter(waiting, WAIT_MS), 'the reader waits at the next offset');
    const published = Date.now();
    await writer.publish(gen(3, 4));
    const batch = await withTimeout(waiting, WAKE_MS, 'the reader, after the writer published');
    const latency = Date.now() - published;
    deepEqual(offsetsOf(batch.messages), [4, 5, 6], 'the writer’s messages');
    ok(latency < 1000, `the reader woke ${latency} ms after the publish`);
  }, ctx);
});

kitCase(
  'consumeBlocking: aborting rejects with the signal’s reason; an aborted signal rejects at once',
  async (ctx) => {
    await withLog(ctx, {}, async (log) => {
      const controller = new AbortController();
      const waiting = log.consumeBlocking(OffsetNewest, 10, { signal: controller.signal });
      ok(await pendingAfter(waiting, WAIT_MS), 'waits');
      controller.abort();
      const err = await withTimeout(rejection(waiting, 'aborted consumeBlocking'), 1000, 'the abort');
      ok(isAbortError(err), `rejects with an AbortError, got ${show(err)}`);
      equal(err, controller.signal.reason, 'the signal’s reason itself');

      const reason = new Error('gave up');
      const gaveUp = await rejection(
        log.consumeBlocking(0, 10, { signal: AbortSignal.abort(reason) }),
        'already aborted',
      );
      equal(gaveUp, reason, 'an already-aborted signal rejects with its reason');

      // Abort does not break the log: a later call still works.
      await log.publish(gen(1));
      deepEqual(offsetsOf((await log.consumeBlocking(0, 10)).messages), [0], 'consume after an abort');
    });
  },
);

kitCase('consumeBlocking: closing the log rejects waiting calls Closed, later calls too', async (ctx) => {
  const log = await ctx.open(ctx.dir(), { createDirs: true });
  const waiters = [log.consumeBlocking(0, 10), log.consumeBlocking(OffsetNewest, 1)];
  const errors = waiters.map((w, i) => rejection(w, `waiter ${i}`));
  ok(await pendingAfter(waiters[0]!, WAIT_MS), 'waits');
  await log.close();
  for (const [i, err] of (await withTimeout(Promise.all(errors), 2000, 'the waiters after close')).entries()) {
    equal((err as { code?: unknown }).code, 'Closed', `waiter ${i} after close rejects`);
  }
  await rejectsWith(() => log.consumeBlocking(0, 1), 'Closed', 'consumeBlocking after close');
});

kitCase('consumeBlocking: bad arguments reject as consume does', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish(gen(2));
    await rejectsWith(() => log.consumeBlocking(0, 0), 'InvalidArgument', 'maxCount 0');
    await rejectsWith(() => log.consumeBlocking(0, 1.5), 'InvalidArgument', 'maxCount 1.5');
    await rejectsWith(() => log.consumeBlocking(3, 1), 'InvalidOffset', 'offset past next');
    await rejectsWith(() => log.consumeBlocking(-5, 1), 'InvalidOffset', 'a negative offset');
    await rejectsWith(() => log.consumeBlocking(0.5, 1), 'InvalidArgument', 'a fractional offset');
    const notASignal = { signal: 'stop' } as unknown as { signal: AbortSignal };
    await rejectsWith(
      () => log.consumeBlocking(0, 1, notASignal),
      'InvalidArgument',
      'a signal that is not an AbortSignal',
    );
  });
});

kitCase('consumeBlocking: a reader following a stream of publishes gets every message once, in order', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    const TOTAL = 120;
    const received: number[] = [];
    const reader = (async () => {
      let at = 0;
      while (received.length < TOTAL) {
        const batch = await log.consumeBlocking(at, 7);
        received.push(...offsetsOf(batch.messages));
        at = batch.nextOffset;
      }
    })();
    // Publishes of 1 to 4 messages, some awaited, some not: wake-ups race with the reader's checks.
    const pending: Promise<number>[] = [];
    for (let sent = 0, i = 0; sent < TOTAL; i++) {
      const n = Math.min(TOTAL - sent, 1 + (i % 4));
      const p = log.publish(gen(n, sent));
      sent += n;
      if (i % 3 === 0) await p;
      else pending.push(p);
      if (i % 5 === 0) await sleep(1);
    }
    await Promise.all(pending);
    await withTimeout(reader, 5000, 'the reader');
    deepEqual(received, range(0, TOTAL), 'every offset once, in order');
  });
});

kitCase('consumeBlocking: several waiters on one log all wake', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    const waiters = [
      log.consumeBlocking(0, 10),
      log.consumeBlocking(OffsetOldest, 1),
      log.consumeBlocking(OffsetNewest, 10),
    ];
    ok(await pendingAfter(Promise.race(waiters), WAIT_MS), 'all wait');
    await log.publish(gen(2));
    const batches = await withTimeout(Promise.all(waiters), WAKE_MS, 'all waiters');
    deepEqual(
      batches.map((b) => offsetsOf(b.messages)),
      [[0, 1], [0], [0, 1]],
      'what each got',
    );
  });
});

/** Collects the batches of `iterable` until `stop(batches)` says so or it ends. */
async function collect(
  iterable: AsyncIterable<Batch>,
  stop: (batches: Batch[]) => boolean = () => false,
): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of iterable) {
    out.push(batch);
    if (stop(out)) break;
  }
  return out;
}

const count = (batches: Batch[]) => batches.reduce((n, b) => n + b.messages.length, 0);

kitCase('tail: yields what is there, then each publish as it comes; break ends it', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish(gen(5));
    const tailing = collect(log.tail(OffsetOldest, { maxCount: 3 }), (batches) => count(batches) >= 9);
    await sleep(WAIT_MS);
    await log.publish(gen(2, 5));
    await sleep(10);
    await log.publish(gen(2, 7));
    const batches = await withTimeout(tailing, WAKE_MS, 'the tail');
    deepEqual(
      batches.flatMap((b) => offsetsOf(b.messages)),
      range(0, 9),
      'every offset once, in order',
    );
    ok(
      batches.every((b) => b.messages.length > 0 && b.messages.length <= 3),
      `batches are non-empty, at most maxCount: ${show(batches.map((b) => b.messages.length))}`,
    );
    ok(
      batches.every((b) => b.nextOffset === (b.messages.at(-1)?.offset ?? Number.NaN) + 1),
      'nextOffset follows each batch',
    );
    // The log goes on working after the loop broke out.
    equal(await log.publish(gen(1, 9)), 10, 'publish after the tail ended');
  });
});

kitCase('tail: aborting ends the iteration without throwing', async (ctx) => {
  await withLog(ctx, {}, async (log) => {
    await log.publish(gen(2));
    const controller = new AbortController();
    const tailing = collect(log.tail(0, { signal: controller.signal }));
    await sleep(WAIT_MS);
    controller.abort();
    const batches = await withTimeout(tailing, 1000, 'the aborted tail');
    deepEqual(
      batches.flatMap((b) => offsetsOf(b.messages)),
      [0, 1],
      'what it yielded before the abort',
    );
    const none = await withTimeout(
      collect(log.tail(0, { signal: AbortSignal.abort() })),
      1000,
      'a tail with an aborted signal',
    );
    equal(none.length, 0, 'a tail with an aborted signal yields nothing');
  });
});

kitCase('tail: closing the log ends the iteration without throwing', async (ctx) => {
  const log = await ctx.open(ctx.dir(), { createDirs: true });
  await log.publish(gen(1));
  const tailing = collect(log.tail(OffsetOldest));
  await sleep(WAIT_MS);
  await log.close();
  const batches = await withTimeout(tailing, 2000, 'the tail after close');
  equal(count(batches), 1, 'what it yielded before the close');
});

kitCase(
  'tail: bad arguments and a closed log throw at once; an offset past the next rejects the first step',
  async (ctx) => {
    const log = await ctx.open(ctx.dir(), { createDirs: true });
    const throws = (what: string, code: string, fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        equal((err as { code?: unknown }).code, code, what);
        return;
      }
      fail(`${what}: expected a throw`);
    };
    try {
      throws('maxCount 0', 'InvalidArgument', () => log.tail(0, { maxCount: 0 }));
      throws('a negative offset', 'InvalidOffset', () => log.tail(-7));
      throws('a non-AbortSignal signal', 'InvalidArgument', () => log.tail(0, { signal: {} as AbortSignal }));
      await rejectsWith(() => log.tail(5).next(), 'InvalidOffset', 'tail(5) of an empty log');
    } finally {
      await log.close();
    }
    throws('tail of a closed log', 'Closed', () => log.tail(0));
  },
);

kitCase('tail: a readonly reader follows a writer of the same dir', async (ctx) => {
  const dir = ctx.dir();
  await withLogs(async (open) => {
    const writer = await open(dir, { createDirs: true, keyIndex: true });
    const reader: Log = await open(dir, { readonly: true, keyIndex: true });
    const values: (string | null)[] = [];
    const tailing = (async () => {
      for await (const batch of reader.tail(OffsetOldest, { maxCount: 2 })) {
        values.push(...batch.messages.map((m) => text(m.value)));
        if (values.length >= 6) return;
      }
    })();
    for (let i = 0; i < 6; i++) {
      await writer.publish([{ key: bytes('k'), value: bytes(`event ${i}`) }]);
      if (i % 2 === 0) await sleep(5);
    }
    await withTimeout(tailing, WAKE_MS * 2, 'the reader’s tail');
    deepEqual(
      values,
      range(0, 6).map((i) => `event ${i}`),
      'the reader saw every event in order',
    );
  }, ctx);
});
