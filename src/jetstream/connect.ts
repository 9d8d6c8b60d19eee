/**
 * The connection a replication runs over, as a `Link`: its own (opened with
 * `wsconnect`, reconnecting for ever, closed on stop) or one the caller
 * passed (adopted, never closed). It tells the replication when the
 * connection is lost and back, so that a session ends at once on a
 * disconnect instead of waiting for its requests to time out.
 */
import { wsconnect, type NatsConnection, type QueuedIterator, type Status } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { backoffMs, sleep } from './backoff.ts';
import { ReplicationError, toReplicationError } from './errors.ts';
import type { ReplicationOptions } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 5_000;
/** A refusal must repeat this often, with the server answering plain HTTP, before it is taken for the origin's. */
const ORIGIN_STRIKES = 2;

export interface Link {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The largest message (payload and headers) the server takes. */
  maxPayload(): number;
  connected(): boolean;
  /** Resolves once connected (at once if connected now), or when `signal` aborts. */
  whenConnected(signal: AbortSignal): Promise<void>;
  /** Calls `fn` on every disconnect (with why) and reconnect; `fn(null)` means connected again. */
  onChange(fn: (lost: ReplicationError | null) => void): void;
  /** Closes the connection if the replication opened it; a passed one is left open. */
  close(): Promise<void>;
}

export interface Connecting {
  /** Called before each retry of a failed first connect, with why it failed. */
  offline(err: ReplicationError): void;
  signal: AbortSignal;
}

/** Opens (or adopts) the connection; retries unreachable servers for ever, throws what retrying cannot fix. */
export async function openLink(options: ReplicationOptions, how: Connecting): Promise<Link> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const owned = options.connection === undefined;
  const nc = options.connection ?? (await connectWithRetry(options, how));
  const jsm = await jetstreamManager(nc, { timeout, checkAPI: false });
  return new NatsLink(nc, jetstream(nc, { timeout }), jsm, owned);
}

async function connectWithRetry(options: ReplicationOptions, how: Connecting): Promise<NatsConnection> {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers!;
  let strikes = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await wsconnect({
        servers,
        ...options.auth,
        name: `opfs-log ${options.name ?? ''}`.trim(),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
        timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
      });
    } catch (err) {
      const mapped = toReplicationError(err, `connecting to ${servers.join(', ')}`);
      if (mapped.code !== 'Unreachable') throw mapped;
      strikes = (await answersHttp(servers)) ? strikes + 1 : 0;
      if (strikes >= ORIGIN_STRIKES) {
        throw new ReplicationError(
          'OriginRefused',
          `the server at ${servers.join(', ')} answers but refused the WebSocket: ` +
            `its websocket { allowed_origins } does not list ${typeof location === 'undefined' ? 'this origin' : location.origin}` +
            ' (the server log says why)',
          { cause: err },
        );
      }
      how.offline(mapped);
      await sleep(backoffMs(attempt), how.signal);
      if (how.signal.aborted) throw new ReplicationError('Stopped', 'stopped while connecting');
    }
  }
}

/**
 * A browser reports a refused WebSocket upgrade (a 403 for an origin not in
 * `allowed_origins`) exactly as an unreachable server: an error event with no
 * detail, which the client turns into an empty `ConnectionError`. A plain
 * `no-cors` fetch of the same host and port tells them apart: it resolves
 * only if something answers HTTP there. Outside a page (Node), never.
 */
async function answersHttp(servers: string[]): Promise<boolean> {
  if (typeof location === 'undefined' || typeof fetch !== 'function') return false;
  for (const url of servers) {
    const http = url.replace(/^ws/, 'http');
    const answered = await fetch(http, { mode: 'no-cors', cache: 'no-store' }).then(
      () => true,
      () => false,
    );
    if (answered) return true;
  }
  return false;
}

class NatsLink implements Link {
  private listeners: ((lost: ReplicationError | null) => void)[] = [];
  private up = true;
  private waiters: (() => void)[] = [];
  private readonly statuses: AsyncIterable<Status>;
  /** Set by `close`: the connection going away from then on is the replication's own doing, not a loss to report. */
  private closing = false;

  constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly owned: boolean,
  ) {
    this.statuses = nc.status();
    void this.watch();
  }

  private async watch(): Promise<void> {
    for await (const s of this.statuses) {
      if (s.type === 'disconnect')
        this.set(false, new ReplicationError('Unreachable', `lost the connection to ${s.server}`));
      else if (s.type === 'reconnect') this.set(true, null);
      else if (s.type === 'error' && s.error.name === 'AuthorizationError')
        this.set(false, toReplicationError(s.error, 'reconnecting'));
    }
    // The status iterator ends when the connection closes for good: a loss when the client gave up or a passed connection's owner closed it.
    this.set(false, new ReplicationError('Unreachable', 'the connection was closed'));
  }

  private set(up: boolean, lost: ReplicationError | null): void {
    if (this.closing) return;
    this.up = up;
    for (const fn of this.listeners) fn(lost);
    if (up) for (const wake of this.waiters.splice(0)) wake();
  }

  maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  whenConnected(signal: AbortSignal): Promise<void> {
    if (this.connected() || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done);
    });
  }

  onChange(fn: (lost: ReplicationError | null) => void): void {
    this.listeners.push(fn);
  }

  async close(): Promise<void> {
    this.closing = true;
    // A passed connection outlives the replication: stop watching it (the client's iterators have `stop`, its type does not say so).
    (this.statuses as Partial<QueuedIterator<Status>>).stop?.();
    if (this.owned && !this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }
}
