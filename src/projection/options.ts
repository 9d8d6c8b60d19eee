/**
 * The options of `projection`, checked once where they come in: bad input
 * throws `InvalidArgument` before anything is read or started.
 */
import { invalidArgument } from '../errors.ts';
import { type Codec, isCodec } from '../typed/codecs.ts';

/** Messages folded between two snapshots, when not given. */
export const DEFAULT_SNAPSHOT_EVERY = 10_000;
/** Milliseconds after a fold before a snapshot is saved, when not given. */
export const DEFAULT_SNAPSHOT_INTERVAL = 5_000;
/** The longest projection name: it is part of IndexedDB keys and a Web Lock's name. */
const MAX_NAME = 200;

/** When and how a projection saves its state; see `ProjectionOptions.snapshots`. */
export interface SnapshotOptions<S> {
  /**
   * Save once this many messages were folded since the last snapshot: an
   * integer ≥ 1, default 10,000.
   */
  every?: number;
  /**
   * Save this many milliseconds after the first message folded since the last
   * snapshot, however few came: ≥ 0, default 5,000.
   */
  interval?: number;
  /**
   * How the state is stored. Default: JSON, encoded a slice at a time so a
   * large state never holds the page (it takes plain objects, arrays,
   * strings, finite numbers, booleans and null; a state holding anything
   * else, a Map for one, is refused and `snapshotError` says where). A codec
   * of your own runs in one go on the page.
   */
  codec?: Codec<S>;
}

/** A projection's options, checked. */
export interface ResolvedProjectionOptions<S, M> {
  name: string;
  version: number;
  initial: S;
  apply: (state: S, message: M) => S;
  clone: ((state: S) => S) | undefined;
  /** Null: no snapshots. */
  snapshots: { every: number; interval: number; codec: Codec<S> | undefined } | null;
}

function checkSnapshots<S>(value: unknown): ResolvedProjectionOptions<S, unknown>['snapshots'] {
  if (value === false) return null;
  if (value === undefined)
    return { every: DEFAULT_SNAPSHOT_EVERY, interval: DEFAULT_SNAPSHOT_INTERVAL, codec: undefined };
  if (typeof value !== 'object' || value === null)
    throw invalidArgument('projection snapshots must be false or an object');
  const { every = DEFAULT_SNAPSHOT_EVERY, interval = DEFAULT_SNAPSHOT_INTERVAL, codec } = value as SnapshotOptions<S>;
  if (!Number.isSafeInteger(every) || every < 1)
    throw invalidArgument(`snapshots.every must be an integer ≥ 1, got ${every}`);
  if (typeof interval !== 'number' || !(interval >= 0) || !Number.isFinite(interval)) {
    throw invalidArgument(`snapshots.interval must be a number of milliseconds ≥ 0, got ${interval}`);
  }
  if (codec !== undefined && !isCodec(codec))
    throw invalidArgument('snapshots.codec must have encode and decode functions');
  return { every, interval, codec: codec as Codec<S> | undefined };
}

export function checkProjectionOptions<S, M>(options: unknown): ResolvedProjectionOptions<S, M> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('projection options must be an object');
  const { name, version, initial, apply, clone, snapshots } = options as Record<string, unknown>;
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME) {
    throw invalidArgument(`a projection name must be a string of 1 to ${MAX_NAME} characters`);
  }
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw invalidArgument(`a projection version must be an integer ≥ 0, got ${String(version)}`);
  }
  if (typeof apply !== 'function') throw invalidArgument('a projection needs an apply function');
  if (clone !== undefined && typeof clone !== 'function') throw invalidArgument('clone must be a function');
  return {
    name,
    version: version as number,
    initial: initial as S,
    apply: apply as (state: S, message: M) => S,
    clone: clone as ((state: S) => S) | undefined,
    snapshots: checkSnapshots<S>(snapshots),
  };
}
