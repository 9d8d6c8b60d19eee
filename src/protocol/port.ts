/**
 * The engine's calls (`RawLog`) between a client and the worker that owns
 * the files, on a MessagePort of their own: one small array per request and
 * per answer, read buffers and publish batches moved rather than copied.
 * Comlink, which starts the worker (protocol.ts), costs a proxy, a string id
 * and a listener per call; this path is what a point read or a publish of a
 * batch pays, so it is kept to one postMessage each way.
 *
 * Every call goes on this one port, in call order: the engine then runs them
 * in the order the client made them, as it would in place.
 */
import { LogError } from '../errors.ts';
import type { RawLog } from '../engine/raw.ts';
import { deserializeError, serializeError, type SerializedLogError } from './transport.ts';
import { transferList } from './protocol.ts';

type Method = keyof RawLog;

/** Every method of `RawLog`, declared once; the check below fails to compile if one is missing. */
export const RAW_METHODS = [
  'publish', 'nextOffset', 'consume', 'consumeByKey', 'get', 'getByKey', 'getByTime', 'delete', 'stat', 'backup',
  'pinSnapshot', 'readSnapshot', 'readSnapshotIndex', 'releaseSnapshot', 'sync', 'close',
] as const satisfies readonly Method[];
const everyMethod: Exclude<Method, (typeof RAW_METHODS)[number]> extends never ? true : never = true;
void everyMethod;

type Request = [id: number, method: Method, args: unknown[]];
type Answer = [id: number, value: unknown] | [id: number, value: undefined, error: SerializedLogError];

/** Serves `raw` on `port` (the worker's end): each request answered once, in the engine's time. */
export function servePort(port: MessagePort, raw: RawLog): void {
  port.onmessage = async (event: MessageEvent<Request>) => {
    const [id, method, args] = event.data;
    try {
      const value = await (raw[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      port.postMessage([id, value] satisfies Answer, transferList(value));
    } catch (err) {
      port.postMessage([id, undefined, serializeError(err)] satisfies Answer);
    }
  };
}

/** The client's end: a `RawLog` whose calls go over `port`, plus `end`, which rejects what is still unanswered. */
export function portClient(port: MessagePort): RawLog & { end(): void } {
  let nextId = 0;
  let ended = false;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  port.onmessage = (event: MessageEvent<Answer>) => {
    const [id, value, error] = event.data;
    const call = waiting.get(id);
    if (!call) return;
    waiting.delete(id);
    if (error === undefined) call.resolve(value);
    else call.reject(deserializeError(error) ?? new LogError('Internal', 'the opfs-log worker sent an unreadable error'));
  };
  const call = (method: Method, args: unknown[]): Promise<unknown> => {
    if (ended) return Promise.reject(new LogError('Closed', 'the log\'s worker has ended'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      port.postMessage([id, method, args] satisfies Request, transferList(args[0]));
    });
  };
  const client = Object.fromEntries(RAW_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as RawLog;
  const end = (): void => {
    ended = true;
    port.close();
    for (const { reject } of waiting.values()) reject(new LogError('Closed', 'the log\'s worker has ended'));
    waiting.clear();
  };
  return Object.assign(client, { end });
}
