// The page MiniBrowser opens for the WebKit crash test (crash.spec.ts). Its
// `stream` step publishes numbered batches (the browser tier's harness:
// tests/browser/harness.ts) one after another without awaiting them and
// notes each that resolved, until the test kills WebKit under it; its `check`
// step, in MiniBrowser relaunched on the same profile, opens the log and
// notes what it finds, publishes once more and notes what a checked reopen
// finds. The test judges the notes.
import { note, runPlan, type StepResult } from './page-steps.ts';
import {
  BATCH,
  CHECK_STEP,
  DIR,
  FIRST_BATCHES,
  OPTIONS,
  STREAM_STEP,
  STREAMED_BATCHES,
  VALUE_BYTES,
} from './crash-setup.ts';
import type { CrashNote } from './crash-setup.ts';
import type { Options } from '../../src/index.ts';

const tell = (data: CrashNote) => note(data);

/** Opens the log as 'w', waiting a little while a dead browser's lock is still held; resolves to the `Locked` refusals. */
async function openLog(options: Options): Promise<number> {
  const started = Date.now();
  for (let refusals = 0; ; refusals++) {
    const settled = await window.harness.openAs('w', DIR, options);
    if (settled.ok) return refusals;
    if (settled.code !== 'Locked' || Date.now() - started > 10_000) throw new Error(`open: ${settled.error}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stream(): Promise<StepResult> {
  const { harness } = window;
  await openLog(OPTIONS);
  const log = harness.log('w');
  for (let id = 0; id < FIRST_BATCHES; id++) await log.publish(harness.numberedBatch(id, BATCH, VALUE_BYTES));
  let resolved = 0;
  const publishes = [];
  for (let id = FIRST_BATCHES; id < FIRST_BATCHES + STREAMED_BATCHES; id++) {
    publishes.push(
      // Told to the test as it happens, so it knows what had resolved when WebKit died.
      log.publish(harness.numberedBatch(id, BATCH, VALUE_BYTES)).then(() => void tell({ resolved: ++resolved })),
    );
  }
  await Promise.all(publishes);
  return { ok: false, error: `all ${STREAMED_BATCHES} publishes resolved: the test did not kill WebKit in time` };
}

async function check(): Promise<StepResult> {
  const { harness } = window;
  const refusals = await openLog(OPTIONS);
  const found = await harness.checkNumbered('w', BATCH);
  await tell({ found, refusals });
  // The log goes on from there, and a checked reopen agrees.
  const log = harness.log('w');
  const next = await log.publish(harness.numberedBatch(found.next / BATCH, BATCH, VALUE_BYTES));
  await log.close();
  await openLog({ ...OPTIONS, check: true });
  await tell({ after: await harness.checkNumbered('w', BATCH), next });
  await harness.log('w').close();
  return { ok: true };
}

void runPlan(async () => {
  await import('../browser/harness.ts'); // puts `window.harness` on the page
  return async (step) => {
    if (step === STREAM_STEP) return stream();
    if (step === CHECK_STEP) return check();
    return { ok: false, error: `no step ${JSON.stringify(step)} on this page` };
  };
});
