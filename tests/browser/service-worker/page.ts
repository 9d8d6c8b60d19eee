// Page-side tools of service-worker.spec.ts, on a page inside the service
// worker's scope (page.html, which also loads the harness and tabs-page.ts,
// so the same tab can open the log and publish itself). They register the
// service worker and make it publish from its `fetch` or `message` handler,
// recording, as tabs-page.ts does for a tab's own publishes, every publish
// the service worker acknowledged and every one whose outcome is unknown
// (the worker was stopped before it answered). Nothing is judged here.
import type { Options } from '../../../src/index.ts';
import { API_PATH, type SwAnswer, type SwRequest } from './requests.ts';

/** How the page reaches the service worker: a `fetch` it intercepts, or a `postMessage`. */
export type Via = 'fetch' | 'message';

/** The service worker's script: vite serves sw.ts as a module; sw-bundle.ts serves it bundled as a classic script. */
export type SwKind = 'module' | 'classic';

export const SCOPE = '/tests/browser/service-worker/';
export const SCRIPTS: Record<SwKind, string> = { module: `${SCOPE}sw.ts`, classic: `${SCOPE}sw.classic.js` };

export interface SwPlan {
  dir: string;
  options: Options;
  batches: number;
  first?: number;
  size: number;
  bytes: number;
}

/** A publish the service worker acknowledged: the next offset, whether it owned the files, which run of it answered. */
export interface SwDone {
  batch: number;
  next: number;
  owner: boolean;
  run: number;
  at: number;
}

export interface SwStreamRecord {
  tag: string;
  via: Via;
  size: number;
  published: SwDone[];
  /** Publishes with no answer (the worker stopped, the request lost) or an error: each in the log once or not at all. */
  unknown: { batch: number; code: string; error: string; at: number }[];
  running: boolean;
}

declare global {
  interface Window {
    sw: typeof tools;
  }
}

/** An answer lost with a stopped worker never comes: a message's reply is given up after this. */
const REPLY_MS = 15_000;

async function register(kind: SwKind): Promise<void> {
  const options: RegistrationOptions = { scope: SCOPE, type: kind === 'module' ? 'module' : 'classic' };
  const controlled = new Promise<void>((resolve) => {
    if (navigator.serviceWorker.controller) resolve();
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
  });
  await navigator.serviceWorker.register(SCRIPTS[kind], options);
  await controlled;
}

async function viaFetch(request: SwRequest): Promise<SwAnswer> {
  const response = await fetch(new URL(API_PATH, new URL(SCOPE, location.href)), {
    method: 'POST',
    body: JSON.stringify(request),
  });
  return (await response.json()) as SwAnswer;
}

async function viaMessage(request: SwRequest): Promise<SwAnswer> {
  const worker = navigator.serviceWorker.controller ?? (await navigator.serviceWorker.ready).active;
  if (!worker) throw new Error('no active service worker');
  const { port1, port2 } = new MessageChannel();
  const reply = new Promise<SwAnswer>((resolve, reject) => {
    port1.onmessage = (event) => resolve(event.data as SwAnswer);
    setTimeout(() => reject(new Error(`no reply within ${REPLY_MS} ms`)), REPLY_MS);
  });
  worker.postMessage(request, [port2]);
  try {
    return await reply;
  } finally {
    port1.close();
  }
}

/** One request to the service worker; a lost answer rejects. */
function call(via: Via, request: SwRequest): Promise<SwAnswer> {
  return via === 'fetch' ? viaFetch(request) : viaMessage(request);
}

const streams = new Map<string, { record: SwStreamRecord; stop: boolean; done: Promise<void> }>();

/** Makes the service worker publish `plan`'s batches one after another, through `via`; `stop(tag)` ends it. */
function start(tag: string, via: Via, plan: SwPlan): void {
  if (streams.has(tag)) throw new Error(`a stream tagged ${tag} exists already`);
  const record: SwStreamRecord = { tag, via, size: plan.size, published: [], unknown: [], running: true };
  const state = { record, stop: false, done: Promise.resolve() };
  const run = async () => {
    const first = plan.first ?? 0;
    for (let batch = first; batch < first + plan.batches && !state.stop; batch++) {
      const request: SwRequest = { op: 'publish', tag, batch, ...plan };
      const settled = await call(via, request).catch((err: unknown) => ({
        ok: false as const,
        code: 'Lost',
        error: String(err),
      }));
      if (settled.ok) {
        record.published.push({
          batch,
          next: settled.next!,
          owner: settled.owner,
          run: settled.startedAt,
          at: Date.now(),
        });
      } else {
        record.unknown.push({ batch, code: settled.code, error: settled.error, at: Date.now() });
      }
    }
  };
  state.done = run().finally(() => {
    record.running = false;
  });
  streams.set(tag, state);
}

function record(tag: string): SwStreamRecord {
  const state = streams.get(tag);
  if (!state) throw new Error(`no stream tagged ${tag}`);
  return state.record;
}

async function finish(tag: string): Promise<SwStreamRecord> {
  await streams.get(tag)?.done;
  return record(tag);
}

async function stop(tag: string): Promise<SwStreamRecord> {
  const state = streams.get(tag);
  if (state) state.stop = true;
  return finish(tag);
}

const decoder = new TextDecoder();

/**
 * The whole log kept as `name` (harness.ts), one entry per message: its
 * offset and the `tag:batch:index:run` its value starts with (`run` is the
 * start time of the service worker's run that published it; a tab's
 * messages have dots there).
 */
async function readAll(name: string): Promise<{ next: number; entries: [number, string][] }> {
  const log = window.harness.log(name);
  const next = await log.nextOffset();
  const entries: [number, string][] = [];
  for (let at = 0; at < next; ) {
    const batch = await log.consume(at, 1000);
    for (const m of batch.messages) {
      const head = m.value === null ? '(null)' : decoder.decode(m.value.subarray(0, 64));
      entries.push([m.offset, head.split(':').slice(0, 4).join(':')]);
    }
    if (batch.nextOffset <= at) break;
    at = batch.nextOffset;
  }
  return { next, entries };
}

const tools = { register, call, start, record, finish, stop, readAll };
window.sw = tools;
