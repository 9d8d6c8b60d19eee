/**
 * The public types of `opfs-log/jetstream`: replication of a local log to a
 * NATS JetStream stream (`push`) and from one (`pull`). Every edge case is
 * stated here; the README's "Sync with NATS JetStream" shows the set-up.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import type { ReplicationError } from './errors.ts';

export type { NatsConnection };

/** What both directions take. */
export interface ReplicationOptions {
  /**
   * WebSocket URL(s) of the NATS server(s), `ws://host:port` or
   * `wss://host:port` (the server's `websocket { … }` listener, not its
   * client port). The replicator opens its own connection with
   * `wsconnect` and closes it on `stop`. An https page cannot open `ws://`
   * (the browser forbids it): that throws `InvalidArgument`. Give exactly one
   * of `servers` and `connection`.
   */
  servers?: string | string[];
  /**
   * A connection you opened yourself (any transport, e.g. TCP in Node with
   * `@nats-io/transport-node`). It is yours: `stop` leaves it open, and if you
   * close it the replication goes `offline` for good (it cannot reopen it).
   * Its reconnect settings are yours too; open it with
   * `maxReconnectAttempts: -1` so that it outlives server restarts.
   */
  connection?: NatsConnection;
  /** The JetStream stream's name (no spaces, `.`, `*` or `>`). */
  stream: string;
  /** Credentials, with `servers` only: user and password, or a token. */
  auth?: { user?: string; pass?: string; token?: string };
  /**
   * When the stream does not exist: `false`/absent fails the replication
   * `StreamMissing`; `true` creates it with the push subject (or the pull
   * filter) as its only subject, one replica; an object chooses its
   * `subjects` and `replicas`. An existing stream is never changed.
   */
  createStream?: boolean | { subjects?: string[]; replicas?: number };
  /**
   * Tells replicators of one log apart when they replicate the same stream
   * and subject in the same direction (rare); part of the checkpoint's and
   * the standby lock's names. Default `''`.
   */
  name?: string;
  /**
   * Forget this replicator's checkpoint and start over: a push then accepts
   * an empty subject although it pushed before (it pushes again from
   * `from`), a pull accepts a log that is not the one it pulled into (it
   * appends the filtered stream from its start after whatever the log
   * holds). Without it those cases fail `Diverged`.
   */
  reset?: boolean;
  /** Milliseconds to wait for each JetStream answer before retrying; default 5000. */
  timeout?: number;
}

/** How `push` replicates a log into a stream subject. */
export interface PushOptions extends ReplicationOptions {
  /**
   * The subject every message goes to: one concrete subject (no `*` or
   * `>`), which the stream must capture. This log must be its only writer:
   * a message of anyone else there fails the push `Diverged`.
   */
  subject: string;
  /**
   * The first local offset to push when the subject holds nothing of this
   * log yet (a first push, or after `reset`): `OffsetOldest` (default, the
   * oldest message still there), `OffsetNewest` (only what is published
   * from now on) or an offset. Ignored once the stream holds this log's
   * messages: the push continues after the last of them.
   */
  from?: number;
}

/** How `pull` mirrors a stream (or a subject filter of it) into a log. */
export interface PullOptions extends ReplicationOptions {
  /**
   * One subject filter (wildcards allowed: `orders.*`, `devices.>`); default
   * every subject of the stream. nats-server 2.9 takes one filter only.
   */
  subject?: string;
}

/**
 * Where a replication is:
 * - `standby`: another tab (or worker) of this origin runs the same
 *   replication (same log dir, direction, stream, subject and `name`); this
 *   one takes over when that one stops or its tab goes away.
 * - `connecting`: opening the connection, or reading the stream to resume.
 * - `online`: replicating, or caught up and waiting for more.
 * - `offline`: no server answers (network lost, server down, a cluster
 *   electing a leader); it retries for ever, with backoff. `lastError`
 *   says why (code `Unreachable`).
 * - `stopped`: `stop()` was called. Final.
 * - `failed`: an error that retrying cannot fix; `lastError` says which.
 *   Final: fix the cause, then start a new replication.
 */
export type ReplicationState = 'standby' | 'connecting' | 'online' | 'offline' | 'stopped' | 'failed';

/** A snapshot of a replication, for a UI to show. Plain data; a new object on each change. */
export interface ReplicationStatus {
  readonly state: ReplicationState;
  /**
   * Messages not yet replicated, as last known (also while offline). Push:
   * local offsets not yet in the stream (the log's next offset minus
   * `position`; locally deleted offsets among them are counted until the
   * push passes them). Pull: messages on the filter that the stream holds
   * after `position`, as the server last said.
   */
  readonly lag: number;
  /**
   * Push: the next local offset to push (every offset before it is in the
   * stream, or was deleted locally before it was pushed). Pull: the stream
   * sequence of the last message applied to the log (0 before the first).
   */
  readonly position: number;
  /** The last error met, also one that was retried; cleared when the replication is online again. */
  readonly lastError: ReplicationError | null;
}

/** A running replication, from `push` or `pull`. */
export interface Replication {
  /** Its status now. */
  readonly status: ReplicationStatus;
  /**
   * Calls `listener` with the status now and then on every change, until the
   * returned function is called. A listener that throws is not called again.
   */
  subscribe(listener: (status: ReplicationStatus) => void): () => void;
  /**
   * The status now, then each change, as an async iterable. It ends after
   * the final `stopped` or `failed` status, when `options.signal` aborts, or
   * on `break`. A slow reader skips intermediate statuses, never the last.
   */
  statuses(options?: { signal?: AbortSignal }): AsyncIterableIterator<ReplicationStatus>;
  /**
   * Resolves once the replication is online and has replicated what was
   * there when it was called. Push: every local message published before the
   * call is in the stream (or was deleted); later ones may not be yet.
   * Pull: `lag` is 0, as the server last said (a message that reached the
   * stream a moment before the call may still be on its way). Resolves at
   * once when that holds now. Rejects with `lastError` if the replication
   * fails first, and with code `Stopped` if it is stopped first. While
   * offline it waits.
   */
  caughtUp(): Promise<void>;
  /**
   * Stops it: publishes in flight are awaited (or time out), the checkpoint
   * is written, the connection it opened is closed, and the standby lock is
   * released. Resolves when done; the state is then `stopped` (or stays
   * `failed`), reached directly: closing its own connection is not
   * `offline`, and `lastError` stays what it was (null unless an error came
   * first). A second call resolves too. The local log is left open.
   */
  stop(): Promise<void>;
}
