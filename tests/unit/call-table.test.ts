/**
 * The engine's calls are declared once, in `RAW_CALLS` (engine/raw.ts), and
 * every hop is derived from it. Checked here: the table against `RawLog`
 * and against the public `Log` (at compile time: a `Log` method that is
 * neither an engine call nor answered by the facade fails to compile), every
 * call of the table crossing the worker's port and the channel to the owning
 * tab by name, and a `LogError` crossing each hop (port, channel, Comlink)
 * with its code, message and cause.
 */
import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import { LogError } from '../../src/errors.ts';
import { LogEngine } from '../../src/engine/engine.ts';
import { type CallTraits, RAW_CALLS, type RawLog } from '../../src/engine/raw.ts';
import { LogFacade } from '../../src/client/facade.ts';
import { type Bus, SharedWriter } from '../../src/client/shared-writer.ts';
import { CALL_NAMES, type CallName, callsThrough, invoke } from '../../src/protocol/calls.ts';
import { type Endpoint, portClient, sendBytes, servePort } from '../../src/protocol/port.ts';
import { installErrorTransport } from '../../src/protocol/transport.ts';
import { MemoryLocks } from '../../src/storage/memory-locks.ts';
import type { Log } from '../../src/types.ts';

/** `Log` methods the facade answers with no engine call of their name: built on other calls, or client-side. */
const IN_THE_FACADE = [
  'offsetByKey',
  'offsetByTime',
  'size',
  'snapshot',
  'consumeBlocking',
  'tail',
  'cursor',
  'isOwner',
] as const satisfies readonly (keyof Log)[];

/** Engine calls that no `Log` method of their name makes: `Log.snapshot` pins, reads and releases with them. */
const BEHIND_SNAPSHOT = [
  'pinSnapshot',
  'readSnapshot',
  'readSnapshotIndex',
  'releaseSnapshot',
] as const satisfies readonly CallName[];

/** The `Log` methods that are neither an engine call of the same name nor answered in the facade. */
type Unplaced<L> = Exclude<keyof L, CallName | (typeof IN_THE_FACADE)[number]>;
/** The engine calls that serve no `Log` method. */
type Unused = Exclude<CallName, keyof Log | (typeof BEHIND_SNAPSHOT)[number]>;

// Compile-time checks (`npm run typecheck`): a failure names the method.
const everyLogMethodPlaced: [Unplaced<Log>] extends [never] ? true : Unplaced<Log> = true;
const everyCallServesLog: [Unused] extends [never] ? true : Unused = true;
// A `Log` method added without an engine call or a place in the facade does not compile:
type LogWithNewMethod = Log & { truncate(offset: number): Promise<void> };
// @ts-expect-error `truncate` is unplaced
const newMethodPlaced: [Unplaced<LogWithNewMethod>] extends [never] ? true : Unplaced<LogWithNewMethod> = true;
type CallTable = { readonly [Call in keyof RawLog]: CallTraits };
const { sync: _, ...withoutSync } = RAW_CALLS;
// @ts-expect-error a table that lacks a call of `RawLog` is not the table
withoutSync satisfies CallTable;
// @ts-expect-error nor is one with a call `RawLog` lacks
({ ...RAW_CALLS, truncate: { changes: true } }) satisfies CallTable;
void [everyLogMethodPlaced, everyCallServesLog, newMethodPlaced];

/** A `RawLog` that records each call and answers with what it got. */
function recording(): { raw: RawLog; seen: [CallName, unknown[]][] } {
  const seen: [CallName, unknown[]][] = [];
  const raw = callsThrough(async (call, args) => {
    seen.push([call, args]);
    return { call, args };
  });
  return { raw, seen };
}

/** A LogError whose cause is a platform error whose own cause is a LogError. */
function layeredError(): LogError {
  const inner = new LogError('Locked', 'the head file is held');
  const platform = new DOMException('the quota is spent', 'QuotaExceededError');
  Object.defineProperty(platform, 'cause', { value: inner });
  return new LogError('QuotaExceeded', 'publishing to log a: the quota is spent', { cause: platform });
}

/** What the caller must see of `layeredError()` after any hop. */
function expectLayered(err: unknown): void {
  expect(err).toBeInstanceOf(LogError);
  expect(err).toMatchObject({ code: 'QuotaExceeded', message: 'publishing to log a: the quota is spent' });
  const cause = (err as LogError).cause as Error;
  expect(cause).toBeInstanceOf(Error);
  expect(cause).toMatchObject({ name: 'QuotaExceededError', message: 'the quota is spent' });
  expect(String(cause)).not.toContain('[object Object]');
  expect(cause.cause).toBeInstanceOf(LogError);
  expect(cause.cause).toMatchObject({ code: 'Locked', message: 'the head file is held' });
}

describe('the table of calls', () => {
  it('names every call of RawLog, each implemented by the engine', () => {
    expect(CALL_NAMES).toEqual(Object.keys(RAW_CALLS));
    for (const call of CALL_NAMES) expect(typeof LogEngine.prototype[call], call).toBe('function');
  });

  it('leaves every Log method to an engine call of its name or to the facade, never both', () => {
    const methods = (o: object) => Object.getOwnPropertyNames(o).filter((m) => m !== 'constructor');
    const facade = methods(LogFacade.prototype);
    for (const m of IN_THE_FACADE) {
      expect(facade, m).toContain(m);
      expect(CALL_NAMES as string[], m).not.toContain(m);
    }
    for (const call of CALL_NAMES) {
      if (!(BEHIND_SNAPSHOT as readonly string[]).includes(call)) expect(facade, call).toContain(call);
    }
  });

  it('says which calls change messages: publish and delete', () => {
    expect(CALL_NAMES.filter((c) => RAW_CALLS[c].changes)).toEqual(['publish', 'delete']);
  });
});

describe("every call crosses the worker's port", () => {
  /** `raw` served on one end of a MessageChannel, and called from the other. */
  function across(raw: RawLog): { client: RawLog; close(): void } {
    const { port1, port2 } = new MessageChannel();
    servePort(port2 as unknown as Endpoint, (call, args) => invoke(raw, call, args));
    const client = portClient(port1 as unknown as Endpoint);
    const close = () => {
      port1.close();
      port2.close();
    };
    return { client, close };
  }

  it('by name, with its arguments, answered with its value', async () => {
    const { raw, seen } = recording();
    const { client, close } = across(raw);
    for (const call of CALL_NAMES) {
      const args = [call.length, `${call} argument`];
      const answer = await (client[call] as (...a: unknown[]) => Promise<unknown>)(...args);
      expect(answer).toEqual({ call, args });
    }
    expect(seen.map(([call]) => call)).toEqual(CALL_NAMES);
    close();
  });

  it('moves a large answer and a request its caller marked, rather than copying them', async () => {
    const big = new Uint8Array(1 << 20).fill(7);
    const { client, close } = across(callsThrough(async (call, args) => (call === 'get' ? big : args[0])));
    expect((await client.get(0)).byteLength).toBe(1 << 20);
    expect(big.byteLength).toBe(0); // moved: the engine's buffer is detached
    const sent = sendBytes(new Uint8Array(1 << 20));
    await client.publish(sent);
    expect(sent.byteLength).toBe(0);
    const small = sendBytes(new Uint8Array(100));
    await client.publish(small);
    expect(small.byteLength).toBe(100); // copied: cheaper than moving
    close();
  });

  it('carries a LogError with its code, message and cause', async () => {
    const { client, close } = across(callsThrough(async () => Promise.reject(layeredError())));
    expectLayered(await client.stat().catch((err: unknown) => err));
    close();
  });

  it('makes anything else thrown an Internal LogError that names it, the original as its cause', async () => {
    const { client, close } = across(callsThrough(async () => Promise.reject(new RangeError('index 9'))));
    const err = await client.get(1).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'Internal' });
    expect((err as Error).message).toContain('RangeError: index 9');
    expect((err as Error).cause).toMatchObject({ name: 'RangeError', message: 'index 9' });
    close();
  });
});

/** A BroadcastChannel stand-in: a post reaches every other open bus, later, as a structured clone. */
function hub(): () => Bus {
  const buses = new Set<{ listener: (m: unknown) => void }>();
  return () => {
    const self = { listener: (_m: unknown) => undefined as void };
    buses.add(self);
    return {
      post: (message) => {
        const copy = structuredClone(message);
        for (const b of buses) if (b !== self) setTimeout(() => b.listener(copy), 0);
      },
      listen: (listener) => {
        self.listener = listener;
      },
      close: () => buses.delete(self),
    };
  };
}

describe('every call crosses the channel to the tab that owns the log', () => {
  async function tabs(owner: RawLog): Promise<{ owning: SharedWriter; forwarding: SharedWriter }> {
    const bus = hub();
    const locks = new MemoryLocks();
    const start = async () => ({ raw: owner, end: () => undefined });
    const owning = new SharedWriter('log', bus(), locks, 'owner:log', start);
    await owning.ready();
    const forwarding = new SharedWriter('log', bus(), locks, 'owner:log', start);
    await forwarding.ready();
    expect([owning.owns, forwarding.owns]).toEqual([true, false]);
    return { owning, forwarding };
  }

  it('by name, with its arguments (a publish with its producer), answered with its value', async () => {
    const { raw, seen } = recording();
    const { owning, forwarding } = await tabs(raw);
    seen.length = 0;
    for (const call of CALL_NAMES.filter((c) => c !== 'close')) {
      const args = call === 'publish' ? [new Uint8Array([1, 2])] : [call.length, `${call} argument`];
      const answer = (await (forwarding.raw[call] as (...a: unknown[]) => Promise<unknown>)(...args)) as {
        args: unknown[];
      };
      expect(answer).toMatchObject({ call });
      if (call === 'publish') expect(answer.args[1]).toMatchObject({ seq: 0 });
      else expect(answer.args).toEqual(args);
    }
    expect(seen.map(([call]) => call)).toEqual(CALL_NAMES.filter((c) => c !== 'close'));
    await forwarding.raw.close();
    await owning.raw.close();
  });

  it('carries a LogError with its code, message and cause', async () => {
    const failing = callsThrough(async (call) => (call === 'stat' ? Promise.reject(layeredError()) : undefined));
    const { owning, forwarding } = await tabs(failing);
    expectLayered(await forwarding.raw.stat().catch((err: unknown) => err));
    await forwarding.raw.close();
    await owning.raw.close();
  });
});

describe('a LogError crosses Comlink (open, importArchive)', () => {
  it('with its code, message and cause', () => {
    installErrorTransport();
    const handler = transferHandlers.get('throw')!;
    const [wire] = handler.serialize({ value: layeredError() } as never);
    let caught: unknown;
    try {
      handler.deserialize(structuredClone(wire));
    } catch (err) {
      caught = err;
    }
    expectLayered(caught);
  });

  it('with a cause that is no error as a value', () => {
    installErrorTransport();
    const handler = transferHandlers.get('throw')!;
    const thrown = new LogError('Internal', 'odd', { cause: { reason: 'a plain object' } });
    const [wire] = handler.serialize({ value: thrown } as never);
    let caught: unknown;
    try {
      handler.deserialize(structuredClone(wire));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'Internal', cause: { reason: 'a plain object' } });
  });
});
