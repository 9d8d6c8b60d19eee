/**
 * The one error type of `opfs-log/jetstream`. It is separate from the core's
 * `LogError` (whose codes are fixed by the core's contract); a failure of the
 * local log while replicating is wrapped in one (code `Internal` unless said
 * otherwise) with the `LogError` as its `cause`.
 *
 * - `InvalidArgument`: the options are wrong (thrown by `push`/`pull` at
 *   once), or the server's configuration does not fit them (a stream that
 *   does not capture the push subject: then the replication fails).
 * - `Unreachable`: no connection to any server, or JetStream does not answer
 *   (a cluster electing a leader). Never fails a replication: it goes
 *   `offline` and retries with backoff, for ever.
 * - `AuthRefused`: the server refused the credentials. Fails the replication.
 * - `OriginRefused`: the server's WebSocket listener refused this page's
 *   origin (`allowed_origins`), or an https page asked for a `ws://` server.
 *   Fails the replication.
 * - `StreamMissing`: the stream does not exist and `createStream` was not
 *   given. Fails the replication.
 * - `Diverged`: the stream and this replicator's log disagree in a way that
 *   retrying cannot mend: another writer on the push subject, a subject
 *   emptied while the checkpoint says messages were pushed, a log that lost
 *   messages the stream holds, a pulled log written by something else. Fails
 *   the replication; nothing is overwritten.
 * - `TooLarge`: a local message (with its headers) is over the server's
 *   `max_payload`. Fails the push at that message.
 * - `Stopped`: `caughtUp()` (or a statuses iterator's pending step) of a
 *   replication that was stopped.
 * - `Internal`: anything else (a bug, an unexpected server answer, a local
 *   log error); the original error is the `cause`.
 */
export type ReplicationErrorCode =
  | 'InvalidArgument'
  | 'Unreachable'
  | 'AuthRefused'
  | 'OriginRefused'
  | 'StreamMissing'
  | 'Diverged'
  | 'TooLarge'
  | 'Stopped'
  | 'Internal';

export class ReplicationError extends Error {
  readonly code: ReplicationErrorCode;

  constructor(code: ReplicationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationError';
    this.code = code;
  }
}

/** Codes after which retrying cannot help: the replication fails with them. */
export const FATAL: ReadonlySet<ReplicationErrorCode> = new Set<ReplicationErrorCode>([
  'InvalidArgument',
  'AuthRefused',
  'OriginRefused',
  'StreamMissing',
  'Diverged',
  'TooLarge',
  'Internal',
]);

export function invalid(message: string): ReplicationError {
  return new ReplicationError('InvalidArgument', message);
}

/** JetStream API codes we act on (nats-server's, stable across versions). */
export const API_WRONG_LAST_SEQUENCE = 10071;
export const API_WRONG_LAST_MSG_ID = 10070;
export const API_STREAM_NOT_FOUND = 10059;

interface Described {
  name: string;
  message: string;
  code: unknown;
}

function describe(err: unknown): Described {
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e.name === 'string' ? e.name : '',
    message: typeof e.message === 'string' ? e.message : String(err),
    code: e.code,
  };
}

/**
 * Whether a publish failed only because its expectation did not hold (the
 * stream moved on, or an earlier publish of the window failed): not an
 * error, the cue to resync. Matched on the API code, which survives
 * minification (class names do not).
 */
export function isExpectationFailure(err: unknown): boolean {
  const { code, message } = describe(err);
  return (
    code === API_WRONG_LAST_SEQUENCE || code === API_WRONG_LAST_MSG_ID || /wrong last (sequence|msg id)/i.test(message)
  );
}

export function isStreamNotFound(err: unknown): boolean {
  const { code, name, message } = describe(err);
  return code === API_STREAM_NOT_FOUND || name === 'StreamNotFoundError' || /stream not found/i.test(message);
}

/**
 * Maps what the NATS client throws to a ReplicationError. By `name`, `code`
 * and message, never `instanceof`: an app's minifier renames the client's
 * classes. Timeouts, closed or lost connections and "no responders" (what a
 * cluster without a stream leader answers, which the client reports as
 * `JetStreamNotEnabled`) are `Unreachable`: retried.
 */
export function toReplicationError(err: unknown, context: string): ReplicationError {
  if (err instanceof ReplicationError) return err;
  const { name, message } = describe(err);
  const text = `${context}: ${name || 'Error'}${message ? `: ${message}` : ''}`;
  if (
    name === 'AuthorizationError' ||
    name === 'UserAuthenticationExpiredError' ||
    /authori[sz]ation violation|authentication/i.test(message)
  ) {
    return new ReplicationError('AuthRefused', `${context}: the server refused the credentials (${message})`, {
      cause: err,
    });
  }
  if (isStreamNotFound(err)) return new ReplicationError('StreamMissing', text, { cause: err });
  if (/max_payload|payload.*(exceed|too large)|maximum payload|message size exceeds/i.test(message))
    return new ReplicationError('TooLarge', text, { cause: err });
  if (
    /^(ConnectionError|TimeoutError|NoRespondersError|RequestError|ClosedConnectionError|DrainingConnectionError|JetStreamNotEnabled|errors\.TimeoutError)$/.test(
      name,
    ) ||
    /timeout|timed out|no responders|connection (refused|closed|lost)|disconnect|ECONNREFUSED|ECONNRESET|not enabled|temporarily unavailable|no suitable peers|leader/i.test(
      message,
    )
  ) {
    return new ReplicationError('Unreachable', text, { cause: err });
  }
  if (name === 'LogError')
    return new ReplicationError('Internal', `${context}: the local log failed: ${message}`, { cause: err });
  return new ReplicationError('Internal', text, { cause: err });
}
