// Judges, in Node, what a readonly reader answered while a writer changed the
// log (readers-page.ts records both). Offsets are never reused, so a message
// read at offset o must be exactly the one published at o, whenever it was
// read. Errors and gaps depend on timing; the writer's history brackets each
// of its calls with Date.now() before and after, so for a reader call made in
// [start, end] a change is
// - surely visible if the writer's call ended before `start` (strictly: the
//   clock has millisecond steps), and
// - possibly visible if it began at or before `end`.
// An answer is wrong only if no moment of the call could explain it.
import type { Page } from '@playwright/test';
import { evaluateJson } from './fixtures.ts';
import type { Options } from '../../src/index.ts';
import type { History, LogView, Mix, ReadCall, Seen } from './readers-page.ts';

interface Model {
  published: Map<number, Seen & { start: number; end: number }>;
  /** When each offset was deleted (the call that removed it). */
  deleted: Map<number, { op: string; start: number; end: number }>;
  /** [end of the publish, next offset after it], in publish order. */
  nexts: { start: number; end: number; next: number }[];
  /** Published offsets by key, ascending. */
  byKey: Map<string, number[]>;
}

function build(history: History): Model {
  const published: Model['published'] = new Map();
  const byKey: Model['byKey'] = new Map();
  const nexts: Model['nexts'] = [];
  for (const p of history.publishes) {
    for (const m of p.messages) {
      published.set(m.offset, { ...m, start: p.start, end: p.end });
      if (m.key !== null) {
        if (!byKey.has(m.key)) byKey.set(m.key, []);
        byKey.get(m.key)!.push(m.offset);
      }
    }
    nexts.push({ start: p.start, end: p.end, next: p.first + p.messages.length });
  }
  const deleted: Model['deleted'] = new Map();
  for (const d of history.deletes) for (const o of d.deleted) deleted.set(o, d);
  return { published, deleted, nexts, byKey };
}

/** The next offset every reader starting at `t` must see at least. */
function nextSurely(model: Model, t: number): number {
  let next = 0;
  for (const n of model.nexts) if (n.end < t) next = Math.max(next, n.next);
  return next;
}

/** The largest next offset a reader ending at `t` could see. */
function nextPossibly(model: Model, t: number): number {
  let next = 0;
  for (const n of model.nexts) if (n.start <= t) next = Math.max(next, n.next);
  return next;
}

/** Offset `o` was in the log for the whole of the call. */
function liveSurely(model: Model, o: number, c: ReadCall): boolean {
  const p = model.published.get(o);
  const d = model.deleted.get(o);
  return p !== undefined && p.end < c.start && !(d && d.start <= c.end);
}

function deletedPossibly(model: Model, o: number, c: ReadCall): boolean {
  const d = model.deleted.get(o);
  return d !== undefined && d.start <= c.end;
}

function show(m: Seen): string {
  return `{offset ${m.offset}, key ${m.key}, ${m.length} B ${m.digest}, time ${m.time}}`;
}

/** Why `m` is not what was published at its offset or was surely gone, or null. */
function wrongMessage(model: Model, m: Seen, c: ReadCall): string | null {
  const p = model.published.get(m.offset);
  if (!p) return `read ${show(m)}, but offset ${m.offset} was never published`;
  if (p.key !== m.key || p.length !== m.length || p.digest !== m.digest || p.time !== m.time) {
    return `read ${show(m)}, but offset ${m.offset} was published as ${show(p)}`;
  }
  const d = model.deleted.get(m.offset);
  if (d && d.end < c.start) return `read offset ${m.offset}, which ${d.op} had removed before the call`;
  return null;
}

/** Some offset in [lo, hi) that `keep` accepts, surely in the log for the whole call; the newest such. */
function someLive(
  model: Model,
  c: ReadCall,
  lo = 0,
  hi = Infinity,
  keep: (o: number) => boolean = () => true,
): number | null {
  for (let o = Math.min(hi, nextSurely(model, c.start)) - 1; o >= lo; o--)
    if (keep(o) && liveSurely(model, o, c)) return o;
  return null;
}

/** What is wrong with one reader call, or null. */
function judge(model: Model, c: ReadCall): string | null {
  for (const m of c.messages ?? []) {
    const wrong = wrongMessage(model, m, c);
    if (wrong) return wrong;
  }
  if (c.call === 'nextOffset') return judgeNext(model, c);
  if (c.call === 'consume' || c.call === 'blocking') return judgeConsume(model, c);
  if (c.call === 'get') return judgeGet(model, c);
  if (c.call === 'getByKey') return judgeByKey(model, c);
  return judgeByTime(model, c);
}

function judgeNext(model: Model, c: ReadCall): string | null {
  if (!c.ok) return `rejected ${c.error}`;
  const next = c.next!;
  if (next < c.before) return `went back: ${next}, after having seen ${c.before}`;
  if (next < nextSurely(model, c.start))
    return `${next}, but the writer had published up to ${nextSurely(model, c.start)} before the call`;
  if (next > nextPossibly(model, c.end)) return `${next}, past anything published (${nextPossibly(model, c.end)})`;
  return null;
}

function invalidOffsetAllowed(model: Model, o: number, c: ReadCall, atNext: boolean): boolean {
  const bound = Math.max(c.before, nextSurely(model, c.start));
  return atNext ? o >= bound : o > bound;
}

function judgeConsume(model: Model, c: ReadCall): string | null {
  const o = c.arg as number;
  if (!c.ok) {
    if (c.call === 'blocking' && (c.code === 'AbortError' || c.code === 'TimeoutError')) return null;
    if (c.code === 'InvalidOffset' && o >= 0 && invalidOffsetAllowed(model, o, c, false)) return null;
    return `rejected ${c.error}`;
  }
  const messages = c.messages!;
  const next = c.next!;
  if (messages.length > c.max!) return `${messages.length} messages, more than ${c.max}`;
  if (c.call === 'blocking' && messages.length === 0) return 'consumeBlocking resolved with no message';
  const from = Math.max(o, 0);
  let expect = from;
  for (const m of messages) {
    if (m.offset < expect) return `offset ${m.offset} out of order or before ${from}`;
    for (let gap = expect; gap < m.offset; gap++) {
      if (!deletedPossibly(model, gap, c)) return `skipped offset ${gap}, which was never deleted (read ${m.offset})`;
    }
    expect = m.offset + 1;
  }
  if (next < expect) return `nextOffset ${next} is not past what it returned (${expect})`;
  if (next > nextPossibly(model, c.end))
    return `nextOffset ${next}, past anything published (${nextPossibly(model, c.end)})`;
  if (messages.length > 0 || next > from) {
    for (let gap = expect; gap < next; gap++) {
      if (!deletedPossibly(model, gap, c)) return `nextOffset ${next} skips offset ${gap}, which was never deleted`;
    }
  } else if (o !== -1) {
    // Nothing and no progress: "caught up", which is wrong while a message at or after `from` surely exists.
    const live = someLive(model, c, from);
    if (live !== null) return `{${next}, []}: caught up, though offset ${live} was there all along`;
  }
  return null;
}

function judgeGet(model: Model, c: ReadCall): string | null {
  const o = c.arg as number;
  if (c.ok) {
    const first = c.messages?.[0];
    if (first === undefined) return 'resolved without a message';
    const got = first.offset;
    if (o >= 0 && got !== o) return `asked for offset ${o}, got ${got}`;
    if (o === -2) {
      const older = someLive(model, c, 0, got);
      if (older !== null) return `oldest is ${got}, though ${older} was there all along`;
    }
    if (o === -1) {
      const newer = someLive(model, c, got + 1);
      if (newer !== null) return `newest is ${got}, though ${newer} was there all along`;
    }
    return null;
  }
  if (o >= 0 && c.code === 'NotFound' && deletedPossibly(model, o, c)) return null;
  if (o >= 0 && c.code === 'InvalidOffset' && invalidOffsetAllowed(model, o, c, true)) return null;
  if (o < 0 && c.code === 'InvalidOffset' && someLive(model, c) === null) return null;
  return `rejected ${c.error}`;
}

function judgeByKey(model: Model, c: ReadCall): string | null {
  const key = c.arg as string;
  const offsets = model.byKey.get(key) ?? [];
  const liveOf = (keep: (o: number) => boolean) => {
    for (let i = offsets.length - 1; i >= 0; i--) {
      const o = offsets[i]!;
      if (keep(o) && liveSurely(model, o, c)) return o;
    }
    return null;
  };
  if (c.ok) {
    const m = c.messages?.[0];
    if (m === undefined) return 'resolved without a message';
    if (m.key !== key) return `asked for key ${key}, got ${show(m)}`;
    const newer = liveOf((o) => o > m.offset);
    return newer === null ? null : `got offset ${m.offset}, though ${newer} of the same key was there all along`;
  }
  if (c.code === 'NotFound') {
    const live = liveOf(() => true);
    return live === null ? null : `NotFound, though offset ${live} of key ${key} was there all along`;
  }
  return `rejected ${c.error}`;
}

function judgeByTime(model: Model, c: ReadCall): string | null {
  const t = c.arg as number;
  const timed = (hi: number) => someLive(model, c, 0, hi, (o) => model.published.get(o)!.time >= t);
  if (c.ok) {
    const m = c.messages?.[0];
    if (m === undefined) return 'resolved without a message';
    const earlier = timed(m.offset);
    return earlier === null ? null : `got offset ${m.offset}, though ${earlier} (at or after ${t}) was there all along`;
  }
  if (c.code === 'NotFound') {
    const live = timed(Infinity);
    return live === null ? null : `NotFound, though offset ${live} (at or after ${t}) was there all along`;
  }
  if (c.code === 'InvalidOffset' && someLive(model, c) === null) return null;
  return `rejected ${c.error}`;
}

function describeCall(c: ReadCall): string {
  const arg = typeof c.arg === 'string' ? JSON.stringify(c.arg) : c.arg;
  const max = c.max === undefined ? '' : `, ${c.max}`;
  return `${c.call}(${arg}${max}) in [${c.start}, ${c.end}] having seen next ${c.before}`;
}

/** The writer's own final view agrees with its history: everything published and not deleted, in order. */
function judgeWriter(model: Model, final: LogView | null): string[] {
  if (!final) return [];
  const problems: string[] = [];
  const expected = [...model.published.keys()].filter((o) => !model.deleted.has(o)).sort((a, b) => a - b);
  const got = final.messages.map((m) => m.offset);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    const missing = expected.filter((o) => !got.includes(o)).slice(0, 10);
    const extra = got.filter((o) => !expected.includes(o)).slice(0, 10);
    problems.push(
      `the writer's log holds ${got.length} messages, its history ${expected.length} (missing ${missing}, extra ${extra})`,
    );
  }
  for (const m of final.messages) {
    const p = model.published.get(m.offset);
    if (p && (p.key !== m.key || p.digest !== m.digest || p.length !== m.length || p.time !== m.time)) {
      problems.push(`the writer reads ${show(m)}, published ${show(p)}`);
    }
  }
  return problems.slice(0, 10);
}

/** The median time of the reader's calls, for the log (never asserted). */
export function medianMs(calls: ReadCall[]): number {
  const times = calls.map((c) => c.end - c.start).sort((a, b) => a - b);
  return times[times.length >> 1] ?? 0;
}

export interface Verdict {
  /** The first problems found (wrong answers, forbidden errors), each with its call. */
  problems: string[];
  /** How many reader calls were judged, by kind and outcome: shows the run did something. */
  counts: Record<string, number>;
}

/** Judges every reader call and the writer's own final view against the writer's history. */
export function check(history: History, calls: ReadCall[]): Verdict {
  const model = build(history);
  const problems = [...history.problems.map((p) => `writer: ${p}`), ...judgeWriter(model, history.final)];
  const counts: Record<string, number> = {};
  for (const c of calls) {
    const kind = `${c.call} ${c.ok ? 'ok' : c.code}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const wrong = judge(model, c);
    if (wrong && problems.length < 30) problems.push(`${describeCall(c)}: ${wrong}`);
  }
  return { problems, counts };
}

/** Where a reader's view differs from the writer's, one line each (at most 25). */
export function differences(reader: LogView, writer: LogView): string[] {
  const out: string[] = [];
  const add = (what: string, r: unknown, w: unknown) => {
    const text = (v: unknown) =>
      typeof v === 'object' && v !== null && 'digest' in v ? show(v as Seen) : JSON.stringify(v);
    if (JSON.stringify(r) !== JSON.stringify(w)) out.push(`${what}: reader ${text(r)}, writer ${text(w)}`);
  };
  add('nextOffset', reader.next, writer.next);
  add('consume error', reader.consumeError, writer.consumeError);
  add('stat', reader.stat, writer.stat);
  add('get(OffsetOldest)', reader.oldest, writer.oldest);
  add('get(OffsetNewest)', reader.newest, writer.newest);
  const count = Math.max(reader.messages.length, writer.messages.length);
  for (let i = 0; i < count; i++) add(`consume, message #${i}`, reader.messages[i], writer.messages[i]);
  // Both views end their gets at their own next offset: align them on the writer's.
  const shift = reader.gets.length - writer.gets.length - (reader.next - writer.next);
  for (let i = 0; i < writer.gets.length; i++) {
    add(`get(${writer.next + 1 - writer.gets.length + i})`, reader.gets[i + shift], writer.gets[i]);
  }
  for (const k of Object.keys(writer.byKey)) add(`getByKey(${k})`, reader.byKey[k], writer.byKey[k]);
  for (const t of Object.keys(writer.byTime)) add(`getByTime(${t})`, reader.byTime[t], writer.byTime[t]);
  return out.length > 25 ? [...out.slice(0, 25), `… and ${out.length - 25} more`] : out;
}

// ---------------------------------------------------------------------------
// Driving a run: a writer tab and a reader tab (both with readers-page.ts loaded)

export interface RunPlan {
  dir: string;
  options: Options;
  seed: number;
  mix: Mix;
  /** How long the writer runs its mix at least. */
  ms: number;
  /**
   * When the run ends even if the counts below were not reached (a machine so
   * loaded that the reader gets few calls in): 60 s unless given.
   */
  maxMs?: number;
  /** Messages published before the reader opens. */
  initial: number;
  /** The run goes on past `ms` until the writer ran this many operations (the seeded part included)… */
  minOps: number;
  /** … and the reader made this many calls… */
  minReads: number;
  /** … of which this many were answered with messages (0 when not given). */
  minFound?: number;
  keys: number;
  target: number;
}

export interface RunResult {
  verdict: Verdict;
  history: History;
  calls: ReadCall[];
  /** The reader's view of the log once the writer stopped, and the writer's own. */
  readerFinal: LogView;
  writerFinal: LogView | null;
}

/**
 * Opens the log in the writer tab, publishes `initial` messages, opens it
 * readonly in the reader tab, then runs the writer's mix and the reader's loop
 * side by side for `ms`, and judges what the reader saw.
 */
export async function drive(writer: Page, reader: Page, plan: RunPlan): Promise<RunResult> {
  const keys = Array.from({ length: plan.keys + 1 }, (_, i) => `k${i}`); // one key never published
  const { ms } = plan;
  const maxMs = plan.maxMs ?? 60_000;
  const writerPlan = {
    dir: plan.dir,
    options: plan.options,
    seed: plan.seed,
    mix: plan.mix,
    keys: plan.keys,
    target: plan.target,
  };
  await writer.evaluate(
    async ([p, n]) => {
      await window.readers.openWriter(p);
      await window.readers.seed(n);
    },
    [writerPlan, plan.initial] as const,
  );
  const readOptions: Options = { readonly: true, keyIndex: plan.options.keyIndex, timeIndex: plan.options.timeIndex };
  const opened = await reader.evaluate(([d, o]) => window.harness.openAs('r', d, o), [plan.dir, readOptions] as const);
  if (!opened.ok) throw new Error(`the reader could not open the log: ${opened.error}`);

  const reading = evaluateJson(reader, (p) => window.readers.runReader(p), {
    seed: plan.seed + 1,
    keys,
    ms: maxMs + 20_000,
    blockMs: 40,
  });
  // Both sides must have done enough however slow the machine is: the writer goes on (in
  // slices) until `ms` passed, it ran `minOps` operations and the reader made `minReads`
  // calls (`minFound` of them with messages), or `maxMs` passed.
  const began = Date.now();
  let pauseMs = 0;
  for (;;) {
    const ops = await writer.evaluate(([m, p]) => window.readers.runWriter(m, p), [500, pauseMs] as const);
    const elapsed = Date.now() - began;
    if (ops < 0 || elapsed > maxMs) break;
    if (elapsed < ms || ops < plan.minOps) continue;
    const [reads, found] = await reader.evaluate(() => [window.readers.readCount(), window.readers.foundCount()]);
    if (reads >= plan.minReads && found >= (plan.minFound ?? 0)) break;
    // The writer did its share at full speed and the reader did not: its calls wait out each change
    // of the writer's (follower.ts retries), and a Chromium reader beside a writer at full speed made
    // ~100 calls in 60 s. The writer goes on, paced, until the reader made its calls.
    pauseMs = 20;
  }
  await writer.evaluate((k) => window.readers.finishWriter(k), keys);
  await reader.evaluate(() => {
    window.readersStop = true;
  });
  const calls = await reading;
  const history = await evaluateJson(writer, () => window.readers.history(), null);
  const readerFinal = await evaluateJson(reader, (k) => window.readers.view('r', k, [], 300), keys);
  return { verdict: check(history, calls), history, calls, readerFinal, writerFinal: history.final };
}
