/**
 * Makes LogError cross the worker boundary intact. Comlink's own "throw"
 * handler keeps only message, name and stack, so `code` and `instanceof
 * LogError` would be lost; this one sends the code and rebuilds a LogError.
 * Installed on both sides (worker and client) before any call.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { LogError, toLogError } from '../errors.ts';

interface SerializedLogError {
  isLogError: true;
  code: string;
  message: string;
  stack?: string;
}

let installed = false;

export function installErrorTransport(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize(thrown: unknown) {
      const err = toLogError((thrown as { value: unknown }).value, 'opfs-log worker');
      const out: SerializedLogError = { isLogError: true, code: err.code, message: err.message, stack: err.stack };
      return [out, []];
    },
    deserialize(serialized: unknown) {
      const s = serialized as SerializedLogError;
      if (!s || s.isLogError !== true || !LogError.isCode(s.code)) return original.deserialize(serialized);
      const err = new LogError(s.code, s.message);
      if (s.stack) err.stack = s.stack;
      throw err;
    },
  } as TransferHandler<unknown, unknown>);
}
