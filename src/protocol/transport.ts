/**
 * Makes LogError cross the worker boundary intact, on both of its paths:
 * the engine's calls on their port (protocol/port.ts) and Comlink's calls
 * that start a worker. Comlink's own "throw" handler keeps only message,
 * name and stack, so `code` and `instanceof LogError` would be lost; this
 * one sends the code and rebuilds a LogError. Installed on both sides
 * (worker and client) before any call.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { LogError, toLogError } from '../errors.ts';

/** A thrown value as it crosses: always a LogError's parts. */
export interface SerializedLogError {
  isLogError: true;
  code: string;
  message: string;
  stack?: string;
}

/** `thrown` (anything) as a LogError's parts: an unexpected error becomes `Internal`, naming it. */
export function serializeError(thrown: unknown): SerializedLogError {
  const err = toLogError(thrown, 'opfs-log worker');
  return { isLogError: true, code: err.code, message: err.message, stack: err.stack };
}

/** The LogError that `serialized` describes, or null if it describes none. */
export function deserializeError(serialized: unknown): LogError | null {
  const s = serialized as SerializedLogError;
  if (s?.isLogError !== true || !LogError.isCode(s.code)) return null;
  const err = new LogError(s.code, s.message);
  if (s.stack) err.stack = s.stack;
  return err;
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
