/**
 * Versioned values (src/typed/versioned.ts): old shapes decode as the
 * newest through their upcasters, new values are written in the newest, and a
 * version this code does not know rejects `Unsupported`, never a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { json, string } from '../../src/typed/codecs.ts';
import { typed } from '../../src/typed/typed.ts';
import { MAX_VERSION, VERSIONED_TAG, versioned } from '../../src/typed/versioned.ts';
import { LogError } from '../../src/errors.ts';
import { freshEnv, openLog } from './helpers.ts';

type V1 = { name: string };
type V2 = { first: string; last: string };
type V3 = { first: string; last: string; tags: string[] };

const toV2 = (e: V1): V2 => {
  const [first = '', ...rest] = e.name.split(' ');
  return { first, last: rest.join(' ') };
};
const toV3 = (e: V2): V3 => ({ ...e, tags: [] });

const v1 = versioned<V1>({ 1: json<V1>() });
const v2 = versioned<V2>({ 1: json<V1>(), 2: json<V2>() }, { 1: toV2 });
const v3 = versioned<V3>({ 1: json<V1>(), 2: json<V2>(), 3: json<V3>() }, { 1: toV2, 2: toV3 });

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof LogError ? err.code : 'not a LogError';
  }
  return undefined;
};

describe('versioned', () => {
  it('writes the tag, the newest version and its encoding', () => {
    const bytes = v2.encode({ first: 'Ada', last: 'Lovelace' });
    expect(bytes[0]).toBe(VERSIONED_TAG);
    expect(bytes[1]).toBe(2);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(2)))).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect(v2.decode(bytes)).toEqual({ first: 'Ada', last: 'Lovelace' });
  });

  it('decodes every older version as the newest, one upcaster after another', () => {
    const old = v1.encode({ name: 'Ada King Lovelace' });
    expect(v2.decode(old)).toEqual({ first: 'Ada', last: 'King Lovelace' });
    expect(v3.decode(old)).toEqual({ first: 'Ada', last: 'King Lovelace', tags: [] });
    expect(v3.decode(v2.encode({ first: 'A', last: 'B' }))).toEqual({ first: 'A', last: 'B', tags: [] });
  });

  it('rejects Unsupported a version newer or older than it knows, naming both', () => {
    const newer = v3.encode({ first: 'A', last: 'B', tags: ['x'] });
    expect(codeOf(() => v2.decode(newer))).toBe('Unsupported');
    expect(() => v2.decode(newer)).toThrow(/version 3 .*newer .*versions 1–2/);
    const onlyNew = versioned<V3>({ 3: json<V3>() });
    expect(codeOf(() => onlyNew.decode(v1.encode({ name: 'x' })))).toBe('Unsupported');
  });

  it('reads values written before versioning began through version 0, and never writes it', () => {
    const legacy = versioned<V2>(
      { 0: string(), 1: json<V1>(), 2: json<V2>() },
      { 0: (s: string) => ({ name: s }), 1: toV2 },
    );
    expect(legacy.decode(new TextEncoder().encode('Grace Hopper'))).toEqual({ first: 'Grace', last: 'Hopper' });
    expect(legacy.encode({ first: 'a', last: 'b' })[1]).toBe(2);
    // Without version 0 an untagged encoding is not read as anything.
    expect(() => v2.decode(new TextEncoder().encode('{"name":"x"}'))).toThrow(/no version tag/);
  });

  it('versions past one varint byte round-trip, up to MAX_VERSION', () => {
    for (const version of [127, 128, 300, 16_384, MAX_VERSION]) {
      const c = versioned<string>({ [version]: string() });
      const bytes = c.encode('x');
      expect(c.decode(bytes)).toBe('x');
      expect(bytes.length).toBe(1 + Math.ceil(Math.log2(version + 1) / 7) + 1);
    }
  });

  it('a cut-short or overlong version header fails to decode', () => {
    expect(() => v2.decode(new Uint8Array([VERSIONED_TAG]))).toThrow(/cut short/);
    expect(() => v2.decode(new Uint8Array([VERSIONED_TAG, 0x80]))).toThrow(/cut short/);
    expect(() => v2.decode(new Uint8Array([VERSIONED_TAG, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7b]))).toThrow(/too large/);
  });

  it('refuses InvalidArgument versions that are not contiguous, upcasters missing or extra, and non-codecs', () => {
    const bad: [string, () => unknown][] = [
      ['no versions', () => versioned({})],
      ['only version 0', () => versioned({ 0: string() })],
      ['a gap', () => versioned({ 1: json(), 3: json() }, { 1: toV2, 2: toV3 })],
      ['a missing upcaster', () => versioned({ 1: json(), 2: json() })],
      ['an upcaster of the newest', () => versioned({ 1: json() }, { 1: toV2 })],
      ['an upcaster that is not a function', () => versioned({ 1: json(), 2: json() }, { 1: 'no' as never })],
      ['a negative version', () => versioned({ [-1]: json() })],
      ['a fractional version', () => versioned({ 1.5: json() })],
      ['a version past MAX_VERSION', () => versioned({ [MAX_VERSION + 1]: json() })],
      ['a codec without decode', () => versioned({ 1: { encode: () => new Uint8Array() } as never })],
      ['not an object', () => versioned(null as never)],
      ['upcast not an object', () => versioned({ 1: json() }, null as never)],
    ];
    for (const [what, make] of bad) expect(codeOf(make), what).toBe('InvalidArgument');
  });

  it('through typed: old messages read as the newest shape, a newer one rejects Unsupported naming its offset', async () => {
    const env = freshEnv();
    const log = await openLog(env);
    await typed(log, { key: string(), value: v1 }).publish([{ key: 'a', value: { name: 'Ada Lovelace' } }]);
    await typed(log, { key: string(), value: v3 }).publish([
      { key: 'b', value: { first: 'G', last: 'H', tags: ['t'] } },
    ]);
    const now = typed(log, { key: string(), value: v2 });
    await now.publish([{ key: 'c', value: { first: 'C', last: 'D' } }]);
    expect((await now.get(0)).value).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect((await now.get(2)).value).toEqual({ first: 'C', last: 'D' });
    const newer = await now.get(1).catch((err: unknown) => err);
    expect(newer).toBeInstanceOf(LogError);
    expect((newer as LogError).code).toBe('Unsupported');
    expect((newer as LogError).message).toMatch(/offset 1 .*version 3/);
    // The newest reader reads all three.
    const latest = typed(log, { key: string(), value: v3 });
    expect((await latest.consume(0, 10)).messages.map((m) => m.value?.first)).toEqual(['Ada', 'G', 'C']);
    await log.close();
  });
});
