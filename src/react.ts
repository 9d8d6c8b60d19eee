// The `opfs-log/react` entry: hooks over a projection and over the newest messages of a log, on
// `useSyncExternalStore` (no tearing). React is an optional peer dependency, imported from here only;
// the core is reached through the public entry, as an app reaches it.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { latestMessages } from './index.ts';
import type {
  LatestMessages,
  Log,
  LogError,
  Message,
  Projection,
  ProjectionStatus,
  SnapshotInfo,
  TypedLog,
  TypedMessage,
} from './index.ts';

const noSubscription = () => () => {};

/**
 * The state of `projection`, re-rendering the component when it changes
 * (in this tab or because another tab published). Before a projection is
 * there (`null` or `undefined`, e.g. while the log opens), and during
 * server-side rendering and hydration, it returns `initial`, or the
 * projection's own `initial` if one is given; on the server it touches no
 * browser API. The state is the projection's own object: the same one until
 * it changes, so it can go straight into `useMemo` dependencies.
 */
export function useProjection<S>(projection: Projection<S>): S;
export function useProjection<S>(projection: Projection<S> | null | undefined, initial: S): S;
export function useProjection<S>(projection: Projection<S> | null | undefined, initial?: S): S | undefined;
export function useProjection<S>(projection: Projection<S> | null | undefined, initial?: S): S | undefined {
  const subscribe = useCallback(
    (changed: () => void) => (projection ? projection.subscribe(changed) : () => {}),
    [projection],
  );
  return useSyncExternalStore(
    projection ? subscribe : noSubscription,
    () => (projection ? projection.getState() : initial),
    () => projection?.initial ?? initial,
  );
}

/** What `useProjectionStatus` returns: see `Projection`. */
export interface ProjectionInfo {
  readonly status: ProjectionStatus;
  readonly offset: number;
  readonly error: LogError | null;
  readonly snapshot: SnapshotInfo | null;
}

/** Before a projection is there, and on the server. */
const NO_PROJECTION: ProjectionInfo = Object.freeze({ status: 'loading', offset: 0, error: null, snapshot: null });

/**
 * The status, offset, error and snapshot of `projection`, as one object that
 * is replaced only when one of them changes (use it in dependencies freely;
 * it never loops a render). `null` or `undefined`, and on the server:
 * `{ status: 'loading', offset: 0, error: null, snapshot: null }`.
 */
export function useProjectionStatus(projection: Projection<unknown> | null | undefined): ProjectionInfo {
  const last = useRef<ProjectionInfo>(NO_PROJECTION);
  const subscribe = useCallback(
    (changed: () => void) => (projection ? projection.subscribe(changed) : () => {}),
    [projection],
  );
  const read = (): ProjectionInfo => {
    if (!projection) return NO_PROJECTION;
    const { status, offset, error, snapshot } = projection;
    const was = last.current;
    if (was.status === status && was.offset === offset && was.error === error && was.snapshot === snapshot) return was;
    last.current = Object.freeze({ status, offset, error, snapshot });
    return last.current;
  };
  return useSyncExternalStore(projection ? subscribe : noSubscription, read, () => NO_PROJECTION);
}

const NO_MESSAGES: readonly never[] = Object.freeze([]);

/** The store `useLatestMessages` made, with what it was made for. */
interface Made {
  readonly store: LatestMessages<unknown>;
  readonly log: unknown;
  readonly count: number;
}

/**
 * The newest `count` messages of `log`, oldest first, re-rendering as
 * messages are published (see `latestMessages`). The store is made in an
 * effect and closed when the component unmounts or `log` or `count` change:
 * nothing reads the log after that (React's StrictMode double mount leaves
 * one store). Empty before the first read, while `log` is `null` or
 * `undefined`, and on the server. A bad `count` throws `InvalidArgument`
 * from the effect (to the nearest error boundary).
 */
export function useLatestMessages(log: Log | null | undefined, count: number): readonly Message[];
export function useLatestMessages<K, V>(
  log: TypedLog<K, V> | null | undefined,
  count: number,
): readonly TypedMessage<K, V>[];
export function useLatestMessages(
  log: Log | TypedLog<unknown, unknown> | null | undefined,
  count: number,
): readonly unknown[] {
  const [made, setMade] = useState<Made | null>(null);
  useEffect(() => {
    if (!log) return;
    const store = latestMessages(log as Log, count) as LatestMessages<unknown>;
    setMade({ store, log, count });
    return () => {
      void store.close();
      setMade((now) => (now?.store === store ? null : now));
    };
  }, [log, count]);
  // A store made for another log or count (until the effect has run again) is not shown.
  const store = made && made.log === log && made.count === count ? made.store : null;
  const subscribe = useCallback((changed: () => void) => (store ? store.subscribe(changed) : () => {}), [store]);
  return useSyncExternalStore(
    subscribe,
    () => (store ? store.getState() : NO_MESSAGES),
    () => NO_MESSAGES,
  );
}
