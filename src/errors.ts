/**
 * The one error type of opfs-log. Every rejection of the public API is a
 * `LogError`; `code` says what kind of failure it is and survives the worker
 * boundary (see `protocol/transport.ts`).
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
  | 'Unsupported';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'InvalidOffset', 'NotFound', 'NoIndex', 'Readonly', 'InvalidArgument',
  'Corrupted', 'Locked', 'Closed', 'QuotaExceeded', 'Unsupported',
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

/**
 * Maps what the platform throws (DOMExceptions from OPFS, IndexedDB, locks)
 * to a LogError, so callers only ever see our codes. A LogError passes through.
 */
export function toLogError(err: unknown, context: string): LogError {
  if (err instanceof LogError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const message = (err as { message?: unknown } | null)?.message;
  const detail = `${context}: ${typeof message === 'string' ? message : String(err)}`;
  switch (name) {
    case 'QuotaExceededError':
      return new LogError('QuotaExceeded', detail, { cause: err });
    case 'NotFoundError':
      return new LogError('NotFound', detail, { cause: err });
    case 'NoModificationAllowedError':
      return new LogError('Locked', detail, { cause: err });
    case 'TypeMismatchError':
    case 'TypeError':
      return new LogError('InvalidArgument', detail, { cause: err });
    case 'SecurityError':
    case 'NotSupportedError':
      return new LogError('Unsupported', detail, { cause: err });
    default:
      return new LogError('Corrupted', detail, { cause: err });
  }
}
