/**
 * The engine's calls as they cross any hop, derived from the one table,
 * `RAW_CALLS` (engine/raw.ts): the calling end (`callsThrough`), the serving
 * end (`answerCall`), one request shape and one answer shape, whose error is
 * encoded as transport.ts says. Each hop adds only how it carries them: the
 * worker's port (port.ts) and the channel to the tab that owns the log
 * (client/shared-writer.ts, which adds who it is from and to).
 */
import { LogError } from '../errors.ts';
import { type CallName, RAW_CALLS, type RawLog } from '../engine/raw.ts';
import { deserializeError, type SerializedLogError, serializeError } from './transport.ts';

export type { CallName };

/** The names of the engine's calls, in the table's order. */
export const CALL_NAMES = Object.keys(RAW_CALLS) as CallName[];

/** Whether `call` changes which messages reads answer (see `CallTraits`). */
export function changesMessages(call: CallName): boolean {
  return RAW_CALLS[call].changes;
}

/** A call of the engine on its way to be served. */
export interface CallRequest {
  kind: 'call';
  id: number;
  call: CallName;
  args: unknown[];
}

/** What a call resolved to, or the error it rejected with. */
export type CallAnswer =
  | { kind: 'answer'; id: number; value: unknown; error?: undefined }
  | { kind: 'answer'; id: number; value?: undefined; error: SerializedLogError };

export function isCallRequest(data: unknown): data is CallRequest {
  return (data as CallRequest | null)?.kind === 'call';
}

export function isCallAnswer(data: unknown): data is CallAnswer {
  return (data as CallAnswer | null)?.kind === 'answer';
}

/** Runs a call of the engine, by name, with its arguments: what both ends of a hop meet at. */
export type RunCall = (call: CallName, args: unknown[]) => Promise<unknown>;

/** The calling end: a `RawLog` each of whose calls is handed to `run`. */
export function callsThrough(run: RunCall): RawLog {
  return Object.fromEntries(
    CALL_NAMES.map((call) => [call, (...args: unknown[]) => run(call, args)]),
  ) as unknown as RawLog;
}

/** Runs `call` on `raw`. */
export function invoke(raw: RawLog, call: CallName, args: unknown[]): Promise<unknown> {
  return (raw[call] as (...a: unknown[]) => Promise<unknown>).apply(raw, args);
}

/**
 * The serving end: runs `request` with `run` if the table has its call, and
 * answers it. Never rejects: a failure is the answer, as a LogError (one
 * that is not becomes `Internal`, naming `context`).
 */
export async function answerCall(run: RunCall, request: CallRequest, context: string): Promise<CallAnswer> {
  const { id, call } = request;
  try {
    if (!Object.hasOwn(RAW_CALLS, call)) throw new LogError('Internal', `no engine call ${call}`);
    return { kind: 'answer', id, value: await run(call, request.args) };
  } catch (err) {
    return { kind: 'answer', id, error: serializeError(err, `${context}: ${call}`) };
  }
}

/** The value `answer` carries; or throws the LogError it carries. */
export function answerValue(answer: CallAnswer): unknown {
  if (answer.error === undefined) return answer.value;
  throw deserializeError(answer.error) ?? new LogError('Internal', 'an unreadable error');
}

/** Settles the caller's promise of a call with its answer. */
export function settle(
  answer: CallAnswer,
  caller: { resolve(value: unknown): void; reject(err: unknown): void },
): void {
  try {
    caller.resolve(answerValue(answer));
  } catch (err) {
    caller.reject(err);
  }
}
