// The randomized model-based concurrency test: a writer tab runs a
// seeded random mix of publish (batches of 1–50, keys from a small set, some
// keyless, values of 0–300 bytes or none, some times out of order), delete,
// compaction, trims (by count, offset, size, age), sync and close+reopen, on
// 8 KiB segments so they roll often; a readonly reader tab reads in a loop
// (consume, consumeBlocking with a short timeout, get, getByKey, getByTime,
// nextOffset). Every answer is then checked in Node against the writer's
// history (model-check.ts): a message read at offset o is exactly the one
// published at o, and an error is one the contract allows for that call at
// some moment of it. The writer's workload follows from the seed, the
// interleaving does not: a failure prints its seed, and
// OPFS_LOG_MODEL_SEEDS=5,6 runs chosen seeds again.
import { test, expect } from './two-tabs.ts';
import { writeFileSync } from 'node:fs';
import { differences, drive, medianMs } from './model-check.ts';

const SEEDS = (process.env.OPFS_LOG_MODEL_SEEDS ?? '1,2,3').split(',').map(Number);

for (const seed of SEEDS) {
  test(`seed ${seed}: a readonly reader's every answer agrees with the writer's history`, async ({
    page: writer,
    reader,
  }, testInfo) => {
    test.setTimeout(150_000); // 3 s of run at least, until the counts below are reached (see `drive`)
    const { verdict, history, calls, readerFinal, writerFinal } = await drive(writer, reader, {
      dir: `model/seed-${seed}`,
      options: { createDirs: true, keyIndex: true, timeIndex: true, rollover: 8192 },
      seed,
      mix: { publish: 8, delete: 2, compact: 1, trim: 1, sync: 1, reopen: 0.5 },
      // The run's worth is in its counts (operations, reads): 10 s of run added nothing they check.
      ms: 3_000,
      initial: 300,
      minOps: 150,
      minReads: 200,
      keys: 6,
      target: 1000,
    });
    const summary = `seed ${seed}: ${history.ops.length} writer operations, reader calls ${JSON.stringify(verdict.counts)}, median ${medianMs(calls)} ms`;
    console.log(summary);
    if (verdict.problems.length > 0) {
      const path = testInfo.outputPath(`seed-${seed}.json`); // kept with the failed test's results
      writeFileSync(path, JSON.stringify({ seed, history, calls }));
      await testInfo.attach(`seed-${seed}.json`, { path, contentType: 'application/json' });
      console.log(`seed ${seed} failed; the writer's last operations:\n  ${history.ops.slice(-40).join('\n  ')}`);
    }
    expect(verdict.problems, `${summary}\nwhat was wrong`).toEqual([]);
    expect(differences(readerFinal, writerFinal!), `seed ${seed}: the reader ends with the writer's view`).toEqual([]);
    // The run did what it is for: every kind of writer operation, and reads that found messages.
    for (const op of ['publish', 'delete', 'trimBy', 'compact', 'sync', 'close+reopen']) {
      expect(
        history.ops.some((o) => o.startsWith(op)),
        `seed ${seed}: the writer ran ${op}`,
      ).toBe(true);
    }
    expect(
      calls.filter((c) => c.ok && (c.messages?.length ?? 0) > 0).length,
      `seed ${seed}: reads that found messages`,
    ).toBeGreaterThan(50);
  });
}
