/**
 * The engine's calls (`RawLog`) between a client and the worker that owns
 * the files, on the worker's own channel once Comlink has opened the log
 * and let go of it: one small array per request and per answer, large read
 * buffers and publish batches moved rather than copied. Comlink costs a
 * proxy, a string id and a listener per call, and a MessagePort of its own
 * measured ~30 µs slower a round trip than the worker's channel; this path
 * is what a point read or a publish of a batch pays, so it is kept to one
 * postMessage each way.
 *
 * Every call goes on this one channel, in call order: the engine then runs
 * them in the order the client made them, as it would in place.
 */
import { LogError } from '../errors.ts';
import type { RawLog } from '../engine/raw.ts';
import { deserializeError, serializeError, type SerializedLogError } from './transport.ts';
import { transferList } from './protocol.ts';

type Method = keyof RawLog;

/** Every method of `RawLog`, declared once; the check below fails to compile if one is missing. */
export const RAW_METHODS = [
  'publish',
  'nextOffset',
  'consume',
  'consumeByKey',
  'get',
  'getByKey',
  'getByTime',
  'delete',
  'stat',
  'backup',
  'pinSnapshot',
  'readSnapshot',
  'readSnapshotIndex',
  'releaseSnapshot',
  'sync',
  'close',
] as const satisfies readonly Method[];
const everyMethod: Exclude<Method, (typeof RAW_METHODS)[number]> extends never ? true : never = true;
void everyMethod;

type Request = [id: number, method: Method, args: unknown[]];
type Answer = [id: number, value: unknown] | [id: number, value: undefined, error: SerializedLogError];

/** Either end of the channel: a Worker, or the worker's own global scope. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/**
 * Serves `raw` on `endpoint` (the worker's end): each request answered once,
 * in the engine's time. What is not a request (Comlink's last words) is left alone.
 */
export function servePort(endpoint: Endpoint, raw: RawLog): void {
  endpoint.addEventListener('message', async (event: MessageEvent) => {
    if (!Array.isArray(event.data)) return;
    const [id, method, args] = event.data as Request;
    try {
      const value = await (raw[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      endpoint.postMessage([id, value] satisfies Answer, transferList(value));
    } catch (err) {
      endpoint.postMessage([id, undefined, serializeError(err)] satisfies Answer, []);
    }
  });
}

/** The client's end: a `RawLog` whose calls go over `endpoint`, plus `end`, which rejects what is still unanswered. */
export function portClient(endpoint: Endpoint): RawLog & { end(): void } {
  let nextId = 0;
  let ended = false;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  const listener = (event: MessageEvent): void => {
    if (!Array.isArray(event.data)) return;
    const [id, value, error] = event.data as Answer;
    const call = waiting.get(id);
    if (!call) return;
    waiting.delete(id);
    if (error === undefined) call.resolve(value);
    else
      call.reject(deserializeError(error) ?? new LogError('Internal', 'the opfs-log worker sent an unreadable error'));
  };
  endpoint.addEventListener('message', listener);
  const call = (method: Method, args: unknown[]): Promise<unknown> => {
    if (ended) return Promise.reject(new LogError('Closed', "the log's worker has ended"));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      endpoint.postMessage([id, method, args] satisfies Request, transferList(args[0]));
    });
  };
  const client = Object.fromEntries(
    RAW_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)]),
  ) as unknown as RawLog;
  const end = (): void => {
    ended = true;
    endpoint.removeEventListener('message', listener);
    for (const { reject } of waiting.values()) reject(new LogError('Closed', "the log's worker has ended"));
    waiting.clear();
  };
  return Object.assign(client, { end });
}
