/**
 * Codecs for typed logs (typed/typed.ts): how keys and values of a type are
 * stored as message bytes. The log stores a zero-length key or value as
 * nothing, which reads back as null (klevdb's KeyEmpty/ValueEmpty), so a
 * value whose encoding is empty (`''` with `string()`, an empty array with
 * `bytes()`) reads back as null. Wrap such a codec in `keepEmpty` to keep
 * the two apart; `json()` never encodes to nothing.
 */
import { invalidArgument } from '../errors.ts';

/** Turns values of type `T` into bytes and back. Either may throw on input it cannot handle. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Never called for a null (absent) key or value; see the module comment. */
  decode(bytes: Uint8Array): T;
}

/** Whether `value` is a codec: an object with `encode` and `decode` functions. */
export function isCodec(value: unknown): value is Codec<unknown> {
  const c = value as Partial<Codec<unknown>> | null;
  return typeof c === 'object' && c !== null && typeof c.encode === 'function' && typeof c.decode === 'function';
}

/** The type a codec encodes. */
export type CodecType<C> = C extends Codec<infer T> ? T : never;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Raw bytes, stored as they are. An empty array reads back as null. */
export function bytes(): Codec<Uint8Array> {
  return { encode: (value) => value, decode: (data) => data };
}

/** Text as UTF-8, readable by any client of the log. `''` reads back as null; use `keepEmpty(string())` to keep it. */
export function string(): Codec<string> {
  return {
    encode: (value) => {
      if (typeof value !== 'string') throw invalidArgument(`string codec: expected a string, got ${typeof value}`);
      return encoder.encode(value);
    },
    decode: (data) => decoder.decode(data),
  };
}

/** `string()`, as a value. */
export const utf8: Codec<string> = string();

/**
 * Any JSON-serializable value, as UTF-8 JSON text. Every value has a
 * non-empty encoding (`""` for `''`), so nothing but null reads back as null.
 * A null key or value means "none" (a tombstone, for a value), never JSON's
 * `null`. What `JSON.stringify` cannot encode (undefined, a function, a
 * cycle, a BigInt) rejects `InvalidArgument`.
 */
export function json<T = unknown>(): Codec<T> {
  return {
    encode: (value) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw invalidArgument(`json codec: ${typeof value} has no JSON form`);
      return encoder.encode(text);
    },
    decode: (data) => JSON.parse(decoder.decode(data)) as T,
  };
}

/** The byte `keepEmpty` puts before every encoding. */
export const KEEP_EMPTY_PREFIX = 0x01;

/**
 * `codec` with one byte (0x01) before every encoding, so that no encoding is
 * empty: `''` (or an empty array) reads back as itself and only null reads
 * back as null. It costs a byte a key or value, and other clients of the log
 * see the prefix. Throws `InvalidArgument` if `codec` is not a codec.
 */
export function keepEmpty<T>(codec: Codec<T>): Codec<T> {
  if (!isCodec(codec)) throw invalidArgument('keepEmpty takes a codec (an object with encode and decode)');
  return {
    encode: (value) => {
      const inner = codec.encode(value);
      const out = new Uint8Array(inner.length + 1);
      out[0] = KEEP_EMPTY_PREFIX;
      out.set(inner, 1);
      return out;
    },
    decode: (data) => {
      if (data[0] !== KEEP_EMPTY_PREFIX)
        throw new Error(`keepEmpty codec: the first byte is ${data[0]}, not ${KEEP_EMPTY_PREFIX}`);
      return codec.decode(data.subarray(1));
    },
  };
}
