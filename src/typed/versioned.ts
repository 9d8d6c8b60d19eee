/**
 * Values whose shape changes over an app's life: each encoding carries the
 * version of the shape it was written in, old versions are decoded by their
 * own codec and brought up to the newest shape by upcasters, one step at a
 * time, and new values are always written in the newest shape.
 *
 * The encoding: a tag byte (0xFF, never the first byte of UTF-8 text, so
 * never of what `string()` or `json()` wrote), the version as an unsigned
 * LEB128 varint, then the version's own encoding.
 */
import { invalidArgument, LogError } from '../errors.ts';
import { type Codec, isCodec } from './codecs.ts';

/** The first byte of every versioned encoding. */
export const VERSIONED_TAG = 0xff;

/** The highest version `versioned` takes: a varint of at most 5 bytes, and a safe integer to count with. */
export const MAX_VERSION = 2 ** 31 - 1;

/** A version's codec: what it decodes is handed to that version's upcaster, or returned if it is the newest. */
// biome-ignore lint/suspicious/noExplicitAny: each version has a shape of its own; `versioned` cannot name them all
type AnyCodec = Codec<any>;

/** Brings a value of one version's shape to the next version's. */
// biome-ignore lint/suspicious/noExplicitAny: as above, the shapes differ from one version to the next
type Upcaster = (value: any) => unknown;

/**
 * A codec for values whose shape changes: `codecs` maps each version (an
 * integer, 1 to `MAX_VERSION`) to the codec of its shape, `upcast` maps every
 * version but the newest to a function from its shape to the next version's.
 * `T` is the newest version's shape, the one values are written in:
 *
 * ```ts
 * const events = typed(log, {
 *   key: string(),
 *   value: versioned<CartEventV2>({ 1: json<CartEventV1>(), 2: json<CartEventV2>() }, { 1: (e) => toV2(e) }),
 * });
 * ```
 *
 * - Versions must be contiguous from the oldest given to the newest, each
 *   but the newest with an upcaster; otherwise it throws `InvalidArgument`,
 *   as it does for a codec without `encode`/`decode` or an upcaster that is
 *   not a function.
 * - Version 0, if given, decodes what was written before versioning began:
 *   encodings without the tag (anything not starting with 0xFF), so an app
 *   can move an existing log to versioned values; it is never written.
 *   Without version 0, an untagged encoding fails to decode (`Corrupted`
 *   through `typed`).
 * - An encoding of a version newer than the newest given (written by a newer
 *   app, in another tab or before a rollback) throws `LogError('Unsupported')`
 *   naming both versions, never a wrong value; `typed` keeps that code and
 *   adds the offset. An older version than the oldest given throws the same.
 * - Upcasters must be pure: they run on every read of an old message. What
 *   one throws fails the decode (`Corrupted` through `typed`).
 */
export function versioned<T>(codecs: Record<number, AnyCodec>, upcast: Record<number, Upcaster> = {}): Codec<T> {
  const { oldest, newest, legacy } = checkVersions(codecs, upcast);
  const header = versionHeader(newest);
  const newestCodec = codecs[newest] as Codec<T>;
  return {
    encode: (value) => {
      const inner = newestCodec.encode(value);
      const out = new Uint8Array(header.length + inner.length);
      out.set(header);
      out.set(inner, header.length);
      return out;
    },
    decode: (data) => {
      if (data[0] !== VERSIONED_TAG) {
        if (!legacy) throw new Error('not a versioned encoding (no version tag), and no version 0 codec was given');
        return upcastFrom(0, codecs[0]!.decode(data), newest, upcast) as T;
      }
      const [version, at] = readVersion(data);
      if (version > newest || version < oldest) {
        const known = oldest === newest ? `version ${newest}` : `versions ${oldest}–${newest}`;
        const who = version > newest ? 'written by a newer version of the app' : 'older than any this app decodes';
        throw new LogError('Unsupported', `version ${version} of the value is ${who} (this code knows ${known})`);
      }
      return upcastFrom(version, codecs[version]!.decode(data.subarray(at)), newest, upcast) as T;
    },
  };
}

function upcastFrom(version: number, value: unknown, newest: number, upcast: Record<number, Upcaster>): unknown {
  let out = value;
  for (let v = version; v < newest; v++) out = upcast[v]!(out);
  return out;
}

/** The versions `codecs` names, checked against the rules of `versioned`. */
function checkVersions(
  codecs: Record<number, AnyCodec>,
  upcast: Record<number, Upcaster>,
): { oldest: number; newest: number; legacy: boolean } {
  if (typeof codecs !== 'object' || codecs === null)
    throw invalidArgument('versioned takes an object of codecs by version');
  if (typeof upcast !== 'object' || upcast === null)
    throw invalidArgument('versioned: upcast must be an object of functions by version');
  const versions = Object.keys(codecs).map(Number);
  for (const v of versions) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_VERSION) {
      throw invalidArgument(`versioned: a version is an integer from 0 to ${MAX_VERSION}, not ${v}`);
    }
    if (!isCodec(codecs[v])) throw invalidArgument(`versioned: the codec of version ${v} must have encode and decode`);
  }
  const numbered = versions.filter((v) => v > 0).sort((a, b) => a - b);
  const oldest = numbered[0];
  const newest = numbered[numbered.length - 1];
  if (oldest === undefined || newest === undefined)
    throw invalidArgument('versioned needs a codec for version 1 or later');
  const legacy = versions.includes(0);
  for (let v = legacy ? 0 : oldest; v < newest; v++) {
    if (v > 0 && codecs[v] === undefined)
      throw invalidArgument(`versioned: versions ${oldest}–${newest} need a codec each; ${v} has none`);
    if (typeof upcast[v] !== 'function')
      throw invalidArgument(`versioned: version ${v} needs an upcaster to version ${v + 1}`);
  }
  for (const key of Object.keys(upcast)) {
    const v = Number(key);
    if (!(v >= (legacy ? 0 : oldest) && v < newest))
      throw invalidArgument(`versioned: an upcaster for version ${key}, which has no next version to go to`);
  }
  return { oldest, newest, legacy };
}

/** The tag and `version` as a varint: what every encoding of that version starts with. */
function versionHeader(version: number): Uint8Array {
  const out = [VERSIONED_TAG];
  let v = version;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** The version after the tag, and where the version's own encoding begins. */
function readVersion(data: Uint8Array): [version: number, at: number] {
  let version = 0;
  for (let i = 1, scale = 1; i < data.length && i <= 5; i++, scale *= 0x80) {
    const byte = data[i]!;
    version += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (version > MAX_VERSION) break;
      return [version, i + 1];
    }
  }
  throw new Error('the version after the tag is cut short or too large');
}
