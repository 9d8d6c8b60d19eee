/**
 * The one error type of opfs-log. Every rejection of the public API is a
 * `LogError`; `code` says what kind of failure it is and survives every
 * boundary, with the message and the cause (see `protocol/transport.ts`).
 *
 * - `InvalidOffset`, `NotFound`, `NoIndex`, `Readonly`: klevdb's four.
 * - `InvalidArgument`: the caller's input is wrong, and nothing else.
 * - `Corrupted`: damaged data (a check on open or a read found damage it
 *   could not repair), and nothing else.
 * - `Locked`: another writer holds the log or one of its files.
 * - `Closed`: the log was closed. `QuotaExceeded`: the origin is out of storage.
 * - `Unsupported`: the browser lacks (or refuses) what is needed.
 * - `StorageRemoved`: the log's files were removed while it was open (the
 *   user cleared the site's data, the browser evicted the origin's storage,
 *   or other code removed the directory). What the log held is gone; every
 *   call on that `Log` rejects with it from then on, in every tab, and
 *   opening the log again (with `createDirs`) starts a new, empty log.
 * - `Internal`: an unexpected failure (a bug, or a platform error with no
 *   better code); the original error is its `cause` and its name and message
 *   are in the text. Across a worker or tab boundary the cause is rebuilt as
 *   an `Error` with the original's name, message and stack.
 */
export type ErrorCode =
  | 'InvalidOffset'
  | 'NotFound'
  | 'NoIndex'
  | 'Readonly'
  | 'InvalidArgument'
  | 'Corrupted'
  | 'Locked'
  | 'Closed'
  | 'QuotaExceeded'
  | 'Unsupported'
  | 'StorageRemoved'
  | 'Internal';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'InvalidOffset',
  'NotFound',
  'NoIndex',
  'Readonly',
  'InvalidArgument',
  'Corrupted',
  'Locked',
  'Closed',
  'QuotaExceeded',
  'Unsupported',
  'StorageRemoved',
  'Internal',
]);

export class LogError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
  }

  static isCode(value: unknown): value is ErrorCode {
    return typeof value === 'string' && CODES.has(value);
  }
}

/** Shorthand for the most common rejection: a caller passed something wrong. */
export function invalidArgument(message: string): LogError {
  return new LogError('InvalidArgument', message);
}

function describeError(err: unknown): { name: string | undefined; text: string } {
  const name = (err as { name?: unknown } | null)?.name;
  const message = (err as { message?: unknown } | null)?.message;
  return {
    name: typeof name === 'string' ? name : undefined,
    text: typeof message === 'string' ? message : String(err),
  };
}

/**
 * Maps what the platform throws (DOMExceptions from OPFS, IndexedDB, locks)
 * to a LogError, so callers only ever see our codes. A LogError passes
 * through. Only names that say what happened get a specific code; anything
 * else (a bug, a platform error with no better code) is `Internal`, with the
 * original error's name and message in the text and the error as `cause`:
 * never `Corrupted` (damaged data only) nor `InvalidArgument` (caller input only).
 */
export function toLogError(err: unknown, context: string): LogError {
  if (err instanceof LogError) return err;
  const { name, text } = describeError(err);
  const detail = `${context}: ${text}`;
  switch (name) {
    case 'QuotaExceededError':
      return new LogError('QuotaExceeded', detail, { cause: err });
    case 'NotFoundError':
      return new LogError('NotFound', detail, { cause: err });
    // Chromium's answer when another handle holds the file (also for a remove of it).
    case 'NoModificationAllowedError':
      return new LogError('Locked', detail, { cause: err });
    case 'SecurityError':
    case 'NotSupportedError':
      return new LogError('Unsupported', detail, { cause: err });
    default:
      return new LogError('Internal', `${context}: ${name ?? typeof err}: ${text}`, { cause: err });
  }
}

/**
 * Maps a failure of `createSyncAccessHandle`. A file that already has an open
 * access handle is `NoModificationAllowedError` in Chromium and
 * `InvalidStateError` in WebKit: both mean another writer holds it (`Locked`).
 * A browser that has the method but refuses it (`NotSupportedError`, as
 * WebKitGTK does) is `Unsupported`. Anything else maps as `toLogError` does.
 */
export function syncHandleError(err: unknown, file: string): LogError {
  const { name, text } = describeError(err);
  if (name === 'NoModificationAllowedError' || name === 'InvalidStateError') {
    return new LogError('Locked', `${file} is open for writing elsewhere (${name}: ${text})`, { cause: err });
  }
  if (name === 'NotSupportedError') {
    return new LogError(
      'Unsupported',
      `this browser refuses sync access handles, needed to write ${file} (${name}: ${text})`,
      { cause: err },
    );
  }
  return toLogError(err, `opening ${file} for writing`);
}
