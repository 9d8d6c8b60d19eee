// The bench page's side of `npm run bench -- --service-worker`: registers the
// bench's service worker (sw.ts) and asks it, one `message` event at a time,
// to open a log and publish into it. Each publish is checked as it is
// answered (its resolve is the next offset expected, and the service worker
// owned the files or forwarded as the set-up wants); the times are the
// service worker's own, from the publish call to its resolve.
import { check, latencyMeasure, type Measure } from '../workloads.ts';
import { SCOPE, SCRIPT, type SwAnswer, type SwRequest } from './protocol.ts';

/** An answer that never comes (the browser stopped the worker mid-event) is given up after this. */
const REPLY_MS = 30_000;

let worker: ServiceWorker | null = null;

/**
 * Registers the service worker (a classic script in every browser) and waits
 * until it is active. Not `navigator.serviceWorker.ready`: the bench page is
 * outside the worker's scope, and `ready` waits for one that controls it.
 */
export async function register(): Promise<void> {
  const registration = await navigator.serviceWorker.register(SCRIPT, { scope: SCOPE, type: 'classic' });
  const pending = registration.installing ?? registration.waiting;
  if (pending) {
    await new Promise<void>((resolve, reject) => {
      pending.addEventListener('statechange', () => {
        if (pending.state === 'activated') resolve();
        if (pending.state === 'redundant') reject(new Error('the service worker became redundant while installing'));
      });
    });
  }
  worker = registration.active;
  check(worker !== null, 'no active service worker');
}

async function call(request: SwRequest): Promise<SwAnswer & { ok: true }> {
  if (!worker) throw new Error('register() first');
  const { port1, port2 } = new MessageChannel();
  const reply = new Promise<SwAnswer>((resolve, reject) => {
    port1.onmessage = (event) => resolve(event.data as SwAnswer);
    setTimeout(() => reject(new Error(`${request.op}: no reply within ${REPLY_MS} ms`)), REPLY_MS);
  });
  worker.postMessage(request, [port2]);
  try {
    const answer = await reply;
    if (!answer.ok) throw new Error(`service worker, ${request.op} ${request.dir}: ${answer.error}`);
    return answer;
  } finally {
    port1.close();
  }
}

/** Opens `dir` in the service worker; resolves to whether it owns the files. */
export async function openLog(dir: string): Promise<boolean> {
  return (await call({ op: 'open', dir })).owner;
}

/** Waits until the service worker owns `dir`'s files (once the tabs closed it); resolves to how long that took (ms). */
export async function untilOwner(dir: string, timeoutMs = 30_000): Promise<number> {
  const t = performance.now();
  while (!(await call({ op: 'owns', dir })).owner) {
    check(performance.now() - t < timeoutMs, `the service worker did not take ${dir} over within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - t;
}

/**
 * Publishes messages [from, from + count) one at a time from the service
 * worker, each alone; resolves to the `workload` row of their times (p50,
 * with p90 and p99), as the service worker measured them. Fails on a resolve that is not the next offset (lost or
 * doubled) or a change of owner mid-run (the figures would mix the set-ups).
 */
export async function publish(
  dir: string,
  from: number,
  count: number,
  owner: boolean,
  workload: string,
): Promise<Measure> {
  const ms: number[] = [];
  for (let i = from; i < from + count; i++) {
    const answer = await call({ op: 'publish', dir, i });
    check(answer.next === i + 1, `the service worker's publish of message ${i} resolved ${answer.next}, not ${i + 1}`);
    check(answer.owner === owner, `message ${i}: the service worker ${answer.owner ? 'owned' : 'forwarded'} it`);
    ms.push(answer.ms!);
  }
  return latencyMeasure(workload, ms, [0.9, 0.99]);
}

/** The service worker reads the log back: exactly messages [0, count) as published, once each. */
export async function verify(dir: string, count: number): Promise<void> {
  await call({ op: 'verify', dir, count });
}

export async function closeLog(dir: string): Promise<void> {
  await call({ op: 'close', dir });
}
