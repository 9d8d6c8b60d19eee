/**
 * Errors tell the truth: the platform's error names map to the codes that
 * mean the same thing, anything unknown is `Internal` (never `Corrupted`,
 * never `InvalidArgument`), the code crosses the worker boundary, and an open
 * that fails half-way leaves nothing held.
 */
import { assert, describe, expect, it } from 'vitest';
import { transferHandlers } from 'comlink';
import { IDBFactory } from 'fake-indexeddb';
import { LogError, syncHandleError, toLogError, type ErrorCode } from '../../src/errors.ts';
import { installErrorTransport } from '../../src/protocol/transport.ts';
import { allOffsets, flip, freshEnv, gen, openLog } from './helpers.ts';

const dom = (name: string) => new DOMException(`the platform says ${name}`, name);

/** What the platforms throw, and the code each must become anywhere (`toLogError`). */
const ANYWHERE: [string, unknown, ErrorCode][] = [
  ['QuotaExceededError', dom('QuotaExceededError'), 'QuotaExceeded'],
  ['NotFoundError', dom('NotFoundError'), 'NotFound'],
  ['NoModificationAllowedError', dom('NoModificationAllowedError'), 'Locked'],
  ['SecurityError', dom('SecurityError'), 'Unsupported'],
  ['NotSupportedError', dom('NotSupportedError'), 'Unsupported'],
  ['InvalidStateError', dom('InvalidStateError'), 'Internal'],
  ['TypeMismatchError', dom('TypeMismatchError'), 'Internal'],
  ['VersionError', dom('VersionError'), 'Internal'],
  ['AbortError', dom('AbortError'), 'Internal'],
  ['UnknownError', dom('UnknownError'), 'Internal'],
  ['NotReadableError', dom('NotReadableError'), 'Internal'],
  ['DataCloneError', dom('DataCloneError'), 'Internal'],
  ['a TypeError (a bug)', new TypeError('x is not a function'), 'Internal'],
  ['an Error', new Error('boom'), 'Internal'],
  ['a plain object named like a quota error', { name: 'QuotaExceededError', message: 'full' }, 'QuotaExceeded'],
  ['a string', 'something odd', 'Internal'],
  ['undefined', undefined, 'Internal'],
  ['null', null, 'Internal'],
];

/** What `createSyncAccessHandle` throws, per browser, and the code it must become. */
const OPENING_A_HANDLE: [string, unknown, ErrorCode][] = [
  ['NoModificationAllowedError (Chromium: the file has a handle)', dom('NoModificationAllowedError'), 'Locked'],
  ['InvalidStateError (WebKit: the file has a handle)', dom('InvalidStateError'), 'Locked'],
  ['NotSupportedError (WebKitGTK)', dom('NotSupportedError'), 'Unsupported'],
  ['QuotaExceededError', dom('QuotaExceededError'), 'QuotaExceeded'],
  ['NotFoundError', dom('NotFoundError'), 'NotFound'],
  ['SecurityError', dom('SecurityError'), 'Unsupported'],
  ['UnknownError', dom('UnknownError'), 'Internal'],
  ['an Error', new Error('boom'), 'Internal'],
];

describe('toLogError', () => {
  it.each(ANYWHERE)('%s becomes the code that means the same', (_, err, code) => {
    const mapped = toLogError(err, 'doing something');
    expect(mapped).toBeInstanceOf(LogError);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).toContain('doing something');
  });

  it('an unknown error keeps its name and message in the text', () => {
    const err = new RangeError('index 7 out of range');
    const mapped = toLogError(err, 'reading');
    expect(mapped).toMatchObject({ code: 'Internal', cause: err });
    expect(mapped.message).toContain('RangeError');
    expect(mapped.message).toContain('index 7 out of range');
  });

  it('a LogError passes through unchanged', () => {
    const err = new LogError('Corrupted', 'damaged record at byte 9');
    expect(toLogError(err, 'reading')).toBe(err);
  });
});

describe('syncHandleError', () => {
  it.each(OPENING_A_HANDLE)('%s', (_, err, code) => {
    const mapped = syncHandleError(err, 'logs/a/00000000000000000000.log');
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).toContain('logs/a/00000000000000000000.log');
  });
});

describe('the worker boundary', () => {
  /** What the client sees of `thrown` after it crossed (Comlink's throw handler, both sides). */
  function across(thrown: unknown): unknown {
    installErrorTransport();
    const handler = transferHandlers.get('throw')!;
    const [wire] = handler.serialize({ value: thrown } as never);
    try {
      handler.deserialize(structuredClone(wire));
    } catch (err) {
      return err;
    }
    throw new Error('deserialize did not throw');
  }

  it('carries Internal', () => {
    const err = across(new LogError('Internal', 'reading x: RangeError: bad'));
    expect(err).toBeInstanceOf(LogError);
    expect(err).toMatchObject({ code: 'Internal', message: 'reading x: RangeError: bad' });
  });

  it.each([
    ['a TypeError', new TypeError('undefined is not an object')],
    ['an Error', new Error('boom')],
    ['an unknown DOMException', dom('UnknownError')],
  ])('turns %s thrown in the worker into Internal, naming it', (_, thrown) => {
    const err = across(thrown) as LogError;
    expect(err).toBeInstanceOf(LogError);
    expect(err.code).toBe('Internal');
    expect(err.message).toContain((thrown as Error).name);
    expect(err.message).toContain((thrown as Error).message);
  });

  it('keeps a specific code: QuotaExceededError is QuotaExceeded', () => {
    expect(across(dom('QuotaExceededError'))).toMatchObject({ code: 'QuotaExceeded' });
  });
});

describe('an open that fails half-way', () => {
  it('leaves nothing held: the next open reports the same error, and once the fault is gone the log opens whole', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    for (let i = 0; i < 4; i++) await log.publish(gen(10, i * 10));
    expect((await log.stat()).segments).toBeGreaterThan(2);
    await log.close();
    // The second segment file cannot be opened (as when createSyncAccessHandle rejects).
    env.root.faults.beforeOpen = (file) => {
      if (file.endsWith('.log') && !file.endsWith('/00000000000000000000.log')) {
        throw new DOMException('the disk said no', 'UnknownError');
      }
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const err = await openLog(env, 'log', { rollover: 200 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LogError);
      expect(err).toMatchObject({ code: 'Internal' });
      expect((err as LogError).message).toContain('UnknownError');
    }
    env.root.faults.beforeOpen = undefined;
    const reopened = await openLog(env, 'log', { rollover: 200 });
    expect(await allOffsets(reopened)).toEqual([...Array(40).keys()]);
    await reopened.close();
  });

  it('a damaged sealed segment is Corrupted on every open, never Locked', async () => {
    const env = freshEnv();
    const log = await openLog(env, 'log', { rollover: 200 });
    for (let i = 0; i < 4; i++) await log.publish(gen(10, i * 10));
    await log.close();
    const dir = (await env.root.subdir(['log'], false)) as typeof env.root;
    const name = (await dir.list())
      .map((e) => e.name)
      .filter((n) => n.endsWith('.log'))
      .sort()[1];
    assert(name, 'a second segment');
    const bytes = dir.raw(name)!.slice();
    flip(bytes, 40, 0xff);
    dir.setRaw(name, bytes);
    // Without its index records the open rescans every segment and finds the damage.
    const unindexed = { ...env, idb: new IDBFactory() };
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(openLog(unindexed, 'log', { rollover: 200 })).rejects.toMatchObject({ code: 'Corrupted' });
    }
  });
});
