/**
 * The life of a replication, the same for both directions: wait for the
 * standby lock, open the connection, then run sessions (one direction's
 * resync and streaming) until stopped, each ended by a disconnect or an
 * error and followed, after a backoff, by the next. Errors that retrying
 * cannot fix end it as `failed`.
 */
import type { Log } from '../types.ts';
import { backoffMs, sleep } from './backoff.ts';
import { checkpointStore, type CheckpointStore } from './checkpoint.ts';
import { openLink, type Link } from './connect.ts';
import { FATAL, type ReplicationError, toReplicationError } from './errors.ts';
import { standbyLock } from './lock.ts';
import { checkpointKey, standbyLockName, type Direction, type ReplicatorId } from './names.ts';
import { StatusHub } from './status.ts';
import type { Replication, ReplicationOptions, ReplicationStatus } from './types.ts';

/** What a session reports to the runner. */
export interface SessionContext {
  link: Link;
  /** Aborted on stop and on a disconnect: the session returns (or throws) promptly. */
  signal: AbortSignal;
  hub: StatusHub;
  store: CheckpointStore;
  key: string;
  /**
   * The session resynced and replicates: the state goes `online`, the backoff
   * resets. False, and nothing changes, when its signal aborted meanwhile (a
   * stop or a disconnect during the resync): the session returns then.
   */
  online(): boolean;
}

/** One direction: `prepare` once the lock is held (checkpoint, lag), then sessions. */
export interface Replicator {
  prepare(ctx: { store: CheckpointStore; key: string; hub: StatusHub; signal: AbortSignal }): Promise<void>;
  /** Runs until `ctx.signal` aborts (then returns) or something fails (then throws). */
  session(ctx: SessionContext): Promise<void>;
  /** When `caughtUp()` called now is satisfied, besides being online; default: lag 0. */
  caughtUpWhen?(): Promise<(s: ReplicationStatus) => boolean>;
}

/** A session ends this way when its expectations failed: not an error, resync at once. */
export class Resync extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Resync';
  }
}

/**
 * Calls `fn` when `signal` aborts, or now if it already has: a session aborted
 * while it was still resyncing (a stop, a disconnect) must not miss it.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/** The log's dir, which names its replicators (a snapshot is the public way to learn it). */
async function logDir(log: Log): Promise<string> {
  const snapshot = await log.snapshot();
  await snapshot.release();
  return snapshot.dir;
}

export function startReplication(
  direction: Direction,
  subject: string,
  log: Log,
  options: ReplicationOptions,
  impl: Replicator,
): Replication {
  const hub = new StatusHub();
  const stopping = new AbortController();
  const done = run(direction, subject, log, options, impl, hub, stopping.signal).then(
    () => hub.update({ state: 'stopped' }),
    (err: unknown) => {
      const e = toReplicationError(err, `${direction} to stream ${options.stream}`);
      if (stopping.signal.aborted && !FATAL.has(e.code)) hub.update({ state: 'stopped' });
      else hub.update({ state: 'failed', lastError: e });
    },
  );
  return {
    get status(): ReplicationStatus {
      return hub.status;
    },
    subscribe: (listener) => hub.subscribe(listener),
    statuses: (opts) => hub.statuses(opts?.signal),
    caughtUp: async () => {
      const done = await impl.caughtUpWhen?.().catch(() => undefined);
      return hub.caughtUp(done);
    },
    async stop() {
      stopping.abort();
      await done;
    },
  };
}

async function run(
  direction: Direction,
  subject: string,
  log: Log,
  options: ReplicationOptions,
  impl: Replicator,
  hub: StatusHub,
  signal: AbortSignal,
): Promise<void> {
  const dir = await logDir(log);
  const id: ReplicatorId = { dir, direction, stream: options.stream, subject, name: options.name ?? '' };
  await standbyLock(
    standbyLockName(id),
    signal,
    () => hub.update({ state: 'standby' }),
    async () => {
      hub.update({ state: 'connecting' });
      const store = await checkpointStore();
      const key = checkpointKey(id);
      await impl.prepare({ store, key, hub, signal });
      if (signal.aborted) return;
      const link = await openLink(options, {
        signal,
        offline: (err) => hub.update({ state: 'offline', lastError: err }),
      });
      try {
        await sessions(link, impl, hub, store, key, signal);
      } finally {
        await link.close();
      }
    },
  );
}

/** Sessions one after another; a disconnect aborts the running one, a reconnect starts the next. */
async function sessions(
  link: Link,
  impl: Replicator,
  hub: StatusHub,
  store: CheckpointStore,
  key: string,
  signal: AbortSignal,
): Promise<void> {
  let current = new AbortController();
  let fatal: ReplicationError | null = null;
  link.onChange((lost) => {
    if (!lost) return;
    if (lost.code === 'AuthRefused') fatal = lost;
    hub.update({ state: 'offline', lastError: lost });
    current.abort();
  });
  let attempt = 0;
  const online = (session: AbortSignal) => {
    if (session.aborted) return false;
    attempt = 0;
    hub.update({ state: 'online' });
    return true;
  };
  while (!signal.aborted) {
    await link.whenConnected(signal);
    if (fatal) throw fatal;
    if (signal.aborted) return;
    const mine = new AbortController();
    current = mine;
    const session = AbortSignal.any([signal, mine.signal]);
    if (hub.status.state !== 'offline') hub.update({ state: 'connecting' });
    try {
      await impl.session({ link, signal: session, hub, store, key, online: () => online(session) });
      if (fatal) throw fatal;
      // aborted: stopped, or disconnected (then it waits for the reconnect above)
    } catch (err) {
      if (signal.aborted) return;
      if (fatal) throw fatal;
      if (mine.signal.aborted) continue; // the connection dropped under it: whatever it threw, wait for the reconnect
      if (err instanceof Resync) {
        // The stream moved under the window: resync at once, but not in a tight loop if it keeps happening.
        if (attempt++ > 2) await sleep(Math.min(2_000, 50 * 2 ** attempt), signal);
        continue;
      }
      const e = toReplicationError(err, 'replicating');
      if (FATAL.has(e.code)) throw e;
      hub.update({ state: 'offline', lastError: e });
      await sleep(backoffMs(attempt++), signal);
    }
  }
}
