// The bench's service worker (npm run bench -- --service-worker): opens a log
// as a PWA's service worker does, from `opfs-log/service-worker`, and
// publishes one message per `message` event, timing each publish from the
// call to its resolve. Registered as a classic script in both browsers
// (plugin.mjs bundles it; Firefox ESR has no module service workers), with
// the built package's dist/service-worker.js in place of the sources imported
// below, as bench/package.ts measures the built package for the pages.
import { open, type Log } from '../../src/service-worker.ts';
import { message } from '../messages.ts';
import { SHARED_LOG_OPTIONS, verifyLog } from '../workloads.ts';
import type { SwAnswer, SwRequest } from './protocol.ts';

// The service worker's global scope, as much of it as this file uses (the
// WebWorker lib's types would clash with the DOM lib the bench compiles with).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  data: unknown;
  ports: readonly MessagePort[];
}
declare const self: {
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
};

const logs = new Map<string, Promise<Log>>();

function logOf(dir: string): Promise<Log> {
  const log = logs.get(dir);
  if (!log) throw new Error(`${dir} is not open in the service worker (stopped by the browser?)`);
  return log;
}

async function answer(request: SwRequest): Promise<SwAnswer> {
  try {
    switch (request.op) {
      case 'open': {
        if (logs.has(request.dir)) throw new Error(`${request.dir} is open already`);
        const log = open(request.dir, SHARED_LOG_OPTIONS);
        logs.set(request.dir, log);
        log.catch(() => logs.delete(request.dir));
        return { ok: true, owner: (await log).isOwner() };
      }
      case 'owns':
        return { ok: true, owner: (await logOf(request.dir)).isOwner() };
      case 'publish': {
        const log = await logOf(request.dir);
        const batch = [message(request.i)];
        const t = performance.now();
        const next = await log.publish(batch);
        const ms = performance.now() - t;
        return { ok: true, owner: log.isOwner(), ms, next };
      }
      case 'verify': {
        const log = await logOf(request.dir);
        await verifyLog(log, request.count, 'the service worker');
        return { ok: true, owner: log.isOwner() };
      }
      case 'close': {
        const log = logOf(request.dir);
        logs.delete(request.dir);
        await (await log).close();
        return { ok: true, owner: false };
      }
    }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));

self.addEventListener('message', (event) => {
  const [port] = event.ports;
  if (!port) return;
  event.waitUntil(answer(event.data as SwRequest).then((reply) => port.postMessage(reply)));
});
