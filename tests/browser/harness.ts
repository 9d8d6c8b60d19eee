// The page the browser tier drives. It loads the library as a user's page
// would (`/src/index.ts`: the client on the main thread, the engine in its
// worker on OPFS + IndexedDB) and the shared contract cases, and puts on
// `window.harness` what the specs call through `page.evaluate`.
import * as lib from '../../src/index.ts';
import type { Log, NewMessage, Options } from '../../src/index.ts';
import { contractCases } from '../contract/cases.ts';
import { kitCases } from '../contract/kit/all.ts';

/** How a promise settled, in a form that crosses `page.evaluate`. */
export type Settled =
  | { ok: true; value: unknown }
  | { ok: false; error: string; code: string | undefined; isLogError: boolean };

/** What `runCase` resolves to. */
export type CaseResult = { ok: true } | { ok: false; error: string };

export interface Harness {
  /** The module `/src/index.ts`, as a page imports it. */
  lib: typeof lib;
  /**
   * Runs one contract case (or event-sourcing kit case) against the real
   * backend; `defaults` go into every `open` the case makes (e.g. `{ backend: 'async' }`).
   */
  runCase(name: string, defaults?: Options): Promise<CaseResult>;
  /** Awaits `promise` and reports its value or its error's code. */
  settle(promise: Promise<unknown>): Promise<Settled>;
  /** Logs a spec keeps open between `page.evaluate` calls, by name. */
  logs: Map<string, Log>;
  /** Opens a log and keeps it in `logs` under `name`; settles to 'opened' or the error. */
  openAs(name: string, dir: string, options?: Options): Promise<Settled>;
  /** The log kept under `name`. */
  log(name: string): Log;
  /**
   * Batch `id` of `size` messages whose values say `id:index:` and are padded
   * to `valueBytes`: a log of such batches shows whether any is partial.
   */
  numberedBatch(id: number, size: number, valueBytes: number): NewMessage[];
  /**
   * Reads the whole log kept as `name`, expecting batch after batch of
   * `numberedBatch(id, size, …)` from offset 0 with nothing missing. Reports
   * the next offset, the messages read and the first inconsistency, if any.
   */
  checkNumbered(name: string, size: number): Promise<{ next: number; count: number; problem: string | null }>;
  bytes(text: string): Uint8Array;
  text(bytes: Uint8Array | null): string | null;
}

declare global {
  interface Window {
    harness: Harness;
  }
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/** `Name [code]: message` and the stack frames: what a failing test shows. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const head = `${err.name}${code === undefined ? '' : ` [${String(code)}]`}: ${err.message}`;
  // Chromium's frames start `at `; Firefox's and WebKit's are `fn@url:line:col`.
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s*at |@/.test(line));
  return [head, ...frames].join('\n');
}

async function runCase(name: string, defaults?: Options): Promise<CaseResult> {
  const found = contractCases.find((c) => c.name === name) ?? kitCases.find((c) => c.name === name);
  if (!found) return { ok: false, error: `no contract case named ${JSON.stringify(name)}` };
  const ctx = {
    open: defaults ? (dir: string, options?: Options) => lib.open(dir, { ...defaults, ...options }) : lib.open,
    // A fresh directory per call, so a case that needs two logs gets two.
    dir: () => `contract/${slug(name)}-${Math.random().toString(36).slice(2, 10)}`,
  };
  try {
    await found.run(ctx);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

async function settle(promise: Promise<unknown>): Promise<Settled> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    return {
      ok: false,
      error: describe(err),
      code: typeof code === 'string' ? code : undefined,
      isLogError: err instanceof lib.LogError,
    };
  }
}

const logs = new Map<string, Log>();

function openAs(name: string, dir: string, options?: Options): Promise<Settled> {
  return settle(
    lib.open(dir, options).then((log) => {
      logs.set(name, log);
      return 'opened';
    }),
  );
}

function log(name: string): Log {
  const found = logs.get(name);
  if (!found) throw new Error(`no log open under ${JSON.stringify(name)}`);
  return found;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function numberedBatch(id: number, size: number, valueBytes: number): NewMessage[] {
  return Array.from({ length: size }, (_, i) => {
    const value = new Uint8Array(Math.max(valueBytes, 16)).fill(0x2e); // '.'
    encoder.encodeInto(`${id}:${i}:`, value);
    return { key: encoder.encode(`batch-${id}`), value };
  });
}

async function checkNumbered(name: string, size: number) {
  const target = log(name);
  const next = await target.nextOffset();
  let count = 0;
  let problem: string | null = next % size === 0 ? null : `next offset ${next} is not a multiple of ${size}`;
  let at = 0;
  while (at < next && problem === null) {
    const batch = await target.consume(at, 1000);
    for (const m of batch.messages) {
      const [id, index] = decoder
        .decode(m.value ?? new Uint8Array())
        .split(':', 2)
        .map(Number);
      if (m.offset !== count) problem = `expected offset ${count}, got ${m.offset}`;
      else if (id !== Math.floor(m.offset / size) || index !== m.offset % size)
        problem = `offset ${m.offset} holds message ${index} of batch ${id}`;
      else if (decoder.decode(m.key ?? new Uint8Array()) !== `batch-${id}`)
        problem = `offset ${m.offset} has key ${decoder.decode(m.key ?? new Uint8Array())}, not batch-${id}`;
      if (problem !== null) break;
      count++;
    }
    if (batch.nextOffset <= at) problem ??= `consume(${at}) did not advance: next ${batch.nextOffset}`;
    at = batch.nextOffset;
  }
  if (problem === null && count !== next) problem = `read ${count} messages, next offset is ${next}`;
  return { next, count, problem };
}

window.harness = {
  lib,
  runCase,
  settle,
  logs,
  openAs,
  log,
  numberedBatch,
  checkNumbered,
  bytes: (text) => encoder.encode(text),
  text: (bytes) => (bytes === null ? null : decoder.decode(bytes)),
};
