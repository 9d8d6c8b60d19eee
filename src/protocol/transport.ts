/**
 * The one error encoding of every hop: the engine's calls on the worker's
 * port (port.ts) and on the channel to the tab that owns the log
 * (client/shared-writer.ts), and Comlink's calls that start a worker. A
 * LogError crosses with its code, message, stack and cause; a cause that is
 * an error crosses as one (its name, message, stack and own cause), anything
 * else as a value (cloned, or as text where it does not clone). Comlink's own "throw" handler keeps only
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

/** A cause that is no error, as a value: cloned, or as text where it does not clone (a function, a symbol). */
function causeValue(cause: unknown): { value: unknown } {
  try {
    return { value: structuredClone(cause) };
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

/** Comlink's "throw" handler, with `ours` in place of its parts. */
function replaceThrowHandler(ours: Partial<TransferHandler<unknown, unknown>>): void {
  const original = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  transferHandlers.set('throw', { ...original, ...ours });
}

/** What is thrown crosses as a LogError's parts. */
const serialize = (thrown: unknown): [SerializedLogError, Transferable[]] => [
  serializeError((thrown as { value: unknown }).value),
  [],
];

let installed = false;

/** Both ends (the client's, which receives errors; tests): LogErrors cross Comlink whole. */
export function installErrorTransport(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  replaceThrowHandler({
    serialize,
    deserialize(serialized: unknown) {
      throw deserializeError(serialized) ?? original.deserialize(serialized);
    },
  });
}

/** The worker's end: what it throws crosses as a LogError (it receives none, so it needs no rebuilding). */
export function sendLogErrors(): void {
  replaceThrowHandler({ serialize });
}
