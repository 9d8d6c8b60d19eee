// The consumer tier's shared self-test. tests/consumers/run.mjs copies it into
// each browser app as src/self-test.ts, so every bundler compiles the same
// calls against the installed tarball. It imports only from 'opfs-log' and
// compiles under the strictest consumer flags (noUncheckedIndexedAccess,
// exactOptionalPropertyTypes, verbatimModuleSyntax, erasableSyntaxOnly).
import { exportArchive, importArchive, LogError, OffsetOldest, open } from 'opfs-log';
import type { Log, Message } from 'opfs-log';

export interface SelfTestResult {
  ok: boolean;
  /** The steps that passed, in order; on failure the next one is where it broke. */
  steps: string[];
  error?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (data: Uint8Array | null): string | null => (data === null ? null : decoder.decode(data));

const MESSAGES = [
  { key: 'user-1', value: 'signed up' },
  { key: 'user-2', value: 'signed up' },
  { key: 'user-1', value: 'bought a hat' },
];

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`self-test: ${what}`);
}

/** The messages as comparable text: offset, time, key and value. */
function describeAll(messages: Message[]): string {
  return JSON.stringify(messages.map((m) => [m.offset, m.time, text(m.key), text(m.value)]));
}

async function readAll(log: Log): Promise<Message[]> {
  const batch = await log.consume(OffsetOldest, 100);
  check(batch.nextOffset === MESSAGES.length, `consume: nextOffset ${batch.nextOffset}, want ${MESSAGES.length}`);
  return batch.messages;
}

async function checkLatest(log: Log): Promise<void> {
  const latest = await log.getByKey(bytes('user-1'));
  check(latest.offset === 2 && text(latest.value) === 'bought a hat', `getByKey: ${describeAll([latest])}`);
}

async function run(steps: string[]): Promise<void> {
  const base = `consumer-self-test/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const options = { createDirs: true, keyIndex: true, timeIndex: true };
  const log = await open(`${base}/source`, options);
  steps.push('open');

  const next = await log.publish(MESSAGES.map((m) => ({ key: bytes(m.key), value: bytes(m.value) })));
  check(next === MESSAGES.length, `publish resolved ${next}, want ${MESSAGES.length}`);
  steps.push('publish');

  const written = await readAll(log);
  const values = written.map((m) => text(m.value));
  check(JSON.stringify(values) === JSON.stringify(MESSAGES.map((m) => m.value)), `consume: ${describeAll(written)}`);
  steps.push('consume');

  await checkLatest(log);
  steps.push('getByKey');

  const failure = await log.get(next).then(
    (): null => null,
    (err: unknown) => err,
  );
  check(failure instanceof LogError, `get past the end: want a LogError, got ${String(failure)}`);
  check(failure.code === 'InvalidOffset', `get past the end: code ${failure.code}, want InvalidOffset`);
  steps.push('error code');

  const archive = await exportArchive(log);
  check(archive.size > 0 && archive.name.endsWith('.zip'), `exportArchive: ${archive.name}, ${archive.size} bytes`);
  steps.push('exportArchive');

  const info = await importArchive(`${base}/copy`, archive);
  check(
    info.nextOffset === MESSAGES.length && info.messages === MESSAGES.length,
    `importArchive: ${JSON.stringify(info)}`,
  );
  const copy = await open(`${base}/copy`, info.options);
  const copied = await readAll(copy);
  check(describeAll(copied) === describeAll(written), `imported copy differs: ${describeAll(copied)}`);
  await checkLatest(copy);
  await copy.close();
  steps.push('importArchive');

  await log.close();
  steps.push('close');

  const reopened = await open(`${base}/source`, options);
  const reread = await readAll(reopened);
  check(describeAll(reread) === describeAll(written), `reopened log differs: ${describeAll(reread)}`);
  await checkLatest(reopened);
  await reopened.close();
  steps.push('reopen');
}

/** Runs every step; never throws: a failure is `ok: false` with the error and the steps that passed. */
export async function selfTest(): Promise<SelfTestResult> {
  const steps: string[] = [];
  try {
    await run(steps);
    return { ok: true, steps };
  } catch (err) {
    const error =
      err instanceof LogError
        ? `LogError ${err.code}: ${err.message}`
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    return { ok: false, steps, error };
  }
}
