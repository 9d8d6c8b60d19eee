// The service worker of service-worker.spec.ts: a PWA's service worker that
// records what happens from its `fetch` and `message` handlers into a log
// that tabs of the origin write too. Chromium registers this file as a module
// service worker, served by vite as it is (so the static imports below are
// all it loads: a service worker may not `import()`); Firefox ESR, which has
// no module service workers, registers the same code bundled into a classic
// script (classic-plugin.ts serves it).
//
// It imports opfs-log as a service worker must, from `opfs-log/service-worker`
// (src/service-worker.ts), whose `open` has the engine without `import()`.
//
// A request names a log dir, a tag and a batch number; the batch it publishes
// is tagged as tabs-page.ts tags a tab's (`tag:batch:index:`), so the spec
// reads the whole log back and judges every publish the same way. The
// service worker keeps one open Log per dir (and one readonly) and opens it
// again after the browser stopped it (its globals are gone then).
import { open, type Log, type NewMessage, type Options } from '../../../src/service-worker.ts';
import { errorOf } from '../shared-tools.ts';
import { API_PATH, type SwAnswer, type SwRequest } from './requests.ts';

// The service worker's global scope, as much of it as this file uses (the
// WebWorker lib's types would clash with the DOM lib the tests compile with).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  data: unknown;
  ports: readonly MessagePort[];
}
declare const self: {
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
};

/** When this service worker (this run of it) started: the spec tells runs apart by it. */
const startedAt = Date.now();
const logs = new Map<string, Promise<Log>>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function logOf(dir: string, options: Options): Promise<Log> {
  const name = `${dir}${options.readonly ? ' (readonly)' : ''}`;
  let log = logs.get(name);
  if (!log) {
    log = open(dir, options);
    logs.set(name, log);
    // A failed open is not kept: the next request tries again.
    log.catch(() => logs.delete(name));
  }
  return log;
}

function tagged(tag: string, batch: number, size: number, bytes: number): NewMessage[] {
  return Array.from({ length: size }, (_, i) => {
    // The run that published it: a batch the browser had this worker publish twice shows as two runs.
    const head = encoder.encode(`${tag}:${batch}:${i}:${startedAt}:`);
    const value = new Uint8Array(Math.max(bytes, head.length)).fill(0x2e);
    value.set(head);
    return { key: encoder.encode(`${tag}:${batch}`), value };
  });
}

async function readAll(log: Log): Promise<[number, string][]> {
  const entries: [number, string][] = [];
  const next = await log.nextOffset();
  for (let at = -2; ; ) {
    const batch = await log.consume(at, 1000);
    for (const m of batch.messages) {
      const head = m.value === null ? '(null)' : decoder.decode(m.value.subarray(0, 64));
      entries.push([m.offset, head.split(':').slice(0, 4).join(':')]);
    }
    if (batch.nextOffset >= next || batch.messages.length === 0) return entries;
    at = batch.nextOffset;
  }
}

async function answer(request: SwRequest): Promise<SwAnswer> {
  try {
    if (request.op === 'close') {
      const log = logs.get(request.dir);
      logs.delete(request.dir);
      await (await log)?.close();
      return { ok: true, owner: false, startedAt };
    }
    const log = await logOf(request.dir, request.options);
    if (request.op === 'publish') {
      const next = await log.publish(tagged(request.tag, request.batch, request.size, request.bytes));
      return { ok: true, next, owner: log.isOwner(), startedAt };
    }
    if (request.op === 'read') return { ok: true, owner: log.isOwner(), startedAt, entries: await readAll(log) };
    return { ok: true, owner: log.isOwner(), startedAt };
  } catch (err) {
    return { ok: false, ...errorOf(err) };
  }
}

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
// The pages that registered it are controlled at once: their fetches come here without a reload.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.href !== new URL(API_PATH, self.registration.scope).href || event.request.method !== 'POST') return;
  event.respondWith(
    (async () => {
      const request = (await event.request.json()) as SwRequest;
      return Response.json(await answer(request));
    })(),
  );
});

self.addEventListener('message', (event) => {
  const [port] = event.ports;
  if (!port) return;
  event.waitUntil(answer(event.data as SwRequest).then((reply) => port.postMessage(reply)));
});
