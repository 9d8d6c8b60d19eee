/**
 * The one error encoding of every hop: the engine's calls on the worker's
 * port (port.ts) and on the channel to the tab that owns the log
 * (client/shared-writer.ts), and Comlink's calls that start a worker. A
 * LogError crosses with its code, message, stack and cause; a cause that is
 * an error crosses as one (its name, message, stack and own cause), anything
 * else as a value that clones (an object as its JSON). Comlink's own "throw" handler keeps only
 * message, name and stack, so `code` and `instanceof LogError` would be
 * lost: `installErrorTransport` replaces it, on both sides, before any call.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { type ErrorCode, LogError, toLogError } from '../errors.ts';

/** An error as it crosses: a LogError's code, and its cause the same way. */
export interface SerializedError {
  code?: ErrorCode;
  name: string;
  message: string;
  stack?: string | undefined;
  cause?: SerializedError | { value: unknown };
}

/** A thrown value as it crosses: always a LogError. */
export interface SerializedLogError extends SerializedError {
  isLogError: true;
  code: ErrorCode;
}

/** How deep a chain of causes is described as errors; a deeper one (or a cycle) ends in text. */
const MAX_CAUSES = 8;

/** A cause that is no error, as a value that clones: text for an object (JSON where it can), a function or a symbol. */
function causeValue(cause: unknown): { value: unknown } {
  if (typeof cause !== 'object' && typeof cause !== 'function' && typeof cause !== 'symbol') return { value: cause };
  try {
    return { value: JSON.stringify(cause) ?? String(cause) };
  } catch {
    return { value: String(cause) };
  }
}

function describe(err: Error, depth: number): SerializedError {
  const { name, message, stack, cause } = err;
  const out: SerializedError = { name, message, stack };
  if (err instanceof LogError) out.code = err.code;
  if (cause !== undefined)
    out.cause = cause instanceof Error && depth < MAX_CAUSES ? describe(cause, depth + 1) : causeValue(cause);
  return out;
}

/** `thrown` (anything) as a LogError's parts: an unexpected error becomes `Internal`, naming `context`. */
export function serializeError(thrown: unknown, context = 'opfs-log worker'): SerializedLogError {
  const err = toLogError(thrown, context);
  return { ...describe(err, 0), isLogError: true, code: err.code };
}

function rebuild(s: SerializedError): Error {
  const options = s.cause && { cause: 'value' in s.cause ? s.cause.value : rebuild(s.cause) };
  const err = s.code ? new LogError(s.code, s.message, options) : new Error(s.message, options);
  if (!s.code) err.name = s.name;
  if (s.stack) err.stack = s.stack;
  return err;
}

/** The LogError that `serialized` describes, or null if it describes none. */
export function deserializeError(serialized: unknown): LogError | null {
  const s = serialized as SerializedLogError | null;
  return s?.isLogError === true && LogError.isCode(s.code) ? (rebuild(s) as LogError) : null;
}

let installed = false;

export function installErrorTransport(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: (thrown: unknown) => [serializeError((thrown as { value: unknown }).value), []],
    deserialize(serialized: unknown) {
      throw deserializeError(serialized) ?? original.deserialize(serialized);
    },
  } as TransferHandler<unknown, unknown>);
}
