/**
 * Typed logs in Node: the codecs on their own, and type-level tests that
 * TypeScript infers key and value types from the codecs (`tsc --noEmit`
 * checks this file; `expectTypeOf` is a no-op at run time).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { bytes, json, keepEmpty, string, utf8, type Codec, type CodecType } from '../../src/typed/codecs.ts';
import { typed, type TypedBatch, type TypedLog, type TypedMessage } from '../../src/typed/typed.ts';
import type { Log } from '../../src/types.ts';
import { LogError } from '../../src/errors.ts';
import { freshEnv, openLog } from './helpers.ts';

type Todo = { id: string; title: string; done: boolean };

describe('codecs', () => {
  it('string() is plain UTF-8; keepEmpty adds one 0x01 byte', () => {
    expect(string().encode('hé')).toEqual(new Uint8Array([0x68, 0xc3, 0xa9]));
    expect(string().decode(new Uint8Array([0x68, 0xc3, 0xa9]))).toBe('hé');
    expect(utf8.encode('')).toEqual(new Uint8Array(0));
    expect(keepEmpty(string()).encode('')).toEqual(new Uint8Array([1]));
    expect(keepEmpty(string()).encode('a')).toEqual(new Uint8Array([1, 0x61]));
    expect(keepEmpty(string()).decode(new Uint8Array([1]))).toBe('');
    expect(() => keepEmpty(string()).decode(new Uint8Array([0x61]))).toThrow(/first byte/);
    expect(() => string().decode(new Uint8Array([0xff]))).toThrow();
  });

  it('json() never encodes to nothing and refuses what has no JSON form', () => {
    const c = json<unknown>();
    expect(new TextDecoder().decode(c.encode(''))).toBe('""');
    expect(c.decode(c.encode({ a: [1, 'x', null] }))).toEqual({ a: [1, 'x', null] });
    expect(() => c.encode(undefined)).toThrow(LogError);
    expect(() => c.encode(() => 1)).toThrow(LogError);
  });

  it('bytes() passes bytes through', () => {
    const b = new Uint8Array([1, 2]);
    expect(bytes().encode(b)).toBe(b);
    expect(bytes().decode(b)).toBe(b);
  });

  it('typed() checks its arguments', async () => {
    const log = await openLog(freshEnv());
    expect(() => typed({} as Log)).toThrow(LogError);
    expect(() => typed(log, { key: { encode: () => new Uint8Array() } as unknown as Codec<string> })).toThrow(
      /encode and decode/,
    );
    expect(() => typed(log, null as unknown as Parameters<typeof typed>[1])).toThrow(LogError);
    await log.close();
  });
});

describe('types follow from the codecs', () => {
  it('infers key and value types', async () => {
    const log = await openLog(freshEnv());
    const todos = typed(log, { key: string(), value: json<Todo>() });
    expectTypeOf(todos).toEqualTypeOf<TypedLog<string, Todo>>();
    expectTypeOf<ReturnType<typeof todos.get>>().resolves.toEqualTypeOf<TypedMessage<string, Todo>>();
    expectTypeOf<Awaited<ReturnType<typeof todos.get>>['value']>().toEqualTypeOf<Todo | null>();
    expectTypeOf<ReturnType<typeof todos.consume>>().resolves.toEqualTypeOf<TypedBatch<string, Todo>>();
    expectTypeOf<ReturnType<typeof todos.tail>>().toEqualTypeOf<AsyncIterableIterator<TypedBatch<string, Todo>>>();
    expectTypeOf(todos.getByKey).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(todos.publish)
      .parameter(0)
      .toEqualTypeOf<{ key?: string | null; value?: Todo | null; time?: number }[]>();

    const raw = typed(log);
    expectTypeOf(raw).toEqualTypeOf<TypedLog<Uint8Array, Uint8Array>>();
    const valuesOnly = typed(log, { value: utf8 });
    expectTypeOf(valuesOnly).toEqualTypeOf<TypedLog<Uint8Array, string>>();

    const point: Codec<{ x: number; y: number }> = {
      encode: (p) => new Uint8Array([p.x, p.y]),
      decode: (b) => ({ x: b[0]!, y: b[1]! }), // what encode wrote: two bytes
    };
    expectTypeOf(typed(log, { key: keepEmpty(utf8), value: point })).toEqualTypeOf<
      TypedLog<string, { x: number; y: number }>
    >();
    expectTypeOf<CodecType<typeof point>>().toEqualTypeOf<{ x: number; y: number }>();

    if (false as boolean) {
      // @ts-expect-error a Todo needs a title
      await todos.publish([{ key: 'a', value: { id: 'a', done: false } }]);
      // @ts-expect-error keys are strings
      await todos.getByKey(new Uint8Array());
    }
    await log.close();
  });
});
