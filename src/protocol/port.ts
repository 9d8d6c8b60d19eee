/**
 * The engine's calls between a client and the worker that owns the files,
 * on the worker's own channel once Comlink has opened the log and let go of
 * it: a `CallRequest` and a `CallAnswer` (calls.ts), one postMessage each way
 * per call, with large read buffers and publish batches moved rather than
 * copied. Comlink costs a proxy, a string id and a listener per call, and a
 * MessagePort of its own makes each round trip slower than the worker's own
 * channel (BENCHMARKS.md, "Figures behind the code"); this path is what a
 * point read or a publish of a batch pays.
 *
 * Every call goes on this one channel, in call order: the engine then runs
 * them in the order the client made them, as it would in place.
 */
import { LogError } from '../errors.ts';
import type { RawBatch, RawLog } from '../engine/raw.ts';
import {
  answerCall,
  settle,
  type CallAnswer,
  type CallRequest,
  callsThrough,
  isCallAnswer,
  isCallRequest,
  type RunCall,
} from './calls.ts';
import { serializeError } from './transport.ts';

/** Either end of the channel: a Worker, or the worker's own global scope. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/**
 * Below this, bytes are copied rather than moved: moving a buffer costs a
 * fixed time per message, more than copying a record or two costs
 * (BENCHMARKS.md, "Figures behind the code").
 */
const MOVE_FROM = 64 * 1024;

/** Byte arrays that `sendBytes` marked to be moved; `requestTransfer` finds them. */
const moving = new WeakSet<Uint8Array>();

/** A buffer of its own, so that moving it detaches nothing else. */
function owned(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes : bytes.slice();
}

/** Bytes the caller hands over (it keeps no use for them): moved to the worker rather than cloned, if large. */
export function sendBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < MOVE_FROM) return bytes;
  const own = owned(bytes);
  moving.add(own);
  return own;
}

/** The buffers of `args` that `sendBytes` marked. */
function requestTransfer(args: unknown[]): Transferable[] {
  const out: Transferable[] = [];
  for (const arg of args) if (arg instanceof Uint8Array && moving.has(arg)) out.push(arg.buffer as ArrayBuffer);
  return out;
}

/**
 * An answer's bytes (a read's record, or a batch's records) are the
 * engine's gift to the caller: large ones are moved, in a buffer of their own.
 */
function answerTransfer(answer: CallAnswer): Transferable[] {
  const value = answer.value as Partial<RawBatch> | Uint8Array | undefined;
  const bytes = value instanceof Uint8Array ? value : value?.records;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < MOVE_FROM) return [];
  const own = owned(bytes);
  if (own !== bytes) answer.value = value instanceof Uint8Array ? own : { ...value, records: own };
  return [own.buffer as ArrayBuffer];
}

/**
 * Serves the engine's calls (`run`) on `endpoint` (the worker's end): each request answered once,
 * in the engine's time. What is not a request (Comlink's last words) is left alone.
 */
export function servePort(endpoint: Endpoint, run: RunCall): void {
  endpoint.addEventListener('message', async (event: MessageEvent) => {
    if (!isCallRequest(event.data)) return;
    const answer = await answerCall(run, event.data, 'opfs-log worker');
    try {
      endpoint.postMessage(answer, answerTransfer(answer));
    } catch (err) {
      // A value that does not clone (a bug): the caller is still answered, with why.
      endpoint.postMessage({ kind: 'answer', id: answer.id, error: serializeError(err) } satisfies CallAnswer, []);
    }
  });
}

/** The client's end: a `RawLog` whose calls go over `endpoint`, plus `end`, which rejects what is still unanswered. */
export function portClient(endpoint: Endpoint): RawLog & { end(): void } {
  let nextId = 0;
  let ended = false;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  const listener = (event: MessageEvent): void => {
    if (!isCallAnswer(event.data)) return;
    const call = waiting.get(event.data.id);
    if (!call) return;
    waiting.delete(event.data.id);
    settle(event.data, call);
  };
  endpoint.addEventListener('message', listener);
  const client = callsThrough((call, args) => {
    if (ended) return Promise.reject(new LogError('Closed', "the log's worker has ended"));
    const request: CallRequest = { kind: 'call', id: nextId++, call, args };
    return new Promise((resolve, reject) => {
      waiting.set(request.id, { resolve, reject });
      endpoint.postMessage(request, requestTransfer(args));
    });
  });
  const end = (): void => {
    ended = true;
    endpoint.removeEventListener('message', listener);
    for (const { reject } of waiting.values()) reject(new LogError('Closed', "the log's worker has ended"));
    waiting.clear();
  };
  return Object.assign(client, { end });
}
