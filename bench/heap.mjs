// The memory of opfs-log's worker while a log is open, in each browser its
// own way: Chromium's through the DevTools protocol, Firefox's (which has no
// CDP, and whose BiDi refuses about:memory) through its memory-report dump.
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { browserPath } from '../scripts/browsers.mjs';

/** The built worker the bench opens logs with (bench/package.ts). */
const WORKER_URL = 'dist/worker.js';

/**
 * How `browser` measures the worker: `measure(page)` resolves to bytes, or
 * `unavailable` says why it cannot; `how` is what the figure counts.
 */
export function workerHeapMeter(browser) {
  if (browser === 'chromium') {
    return {
      measure: workerHeapUsed,
      how: 'V8 used heap plus typed-array backing stores (CDP Runtime.getHeapUsage), after two forced GCs',
    };
  }
  if (process.platform !== 'linux') {
    return {
      unavailable:
        'Firefox dumps its memory reports on a real-time signal only on Linux, and offers no other way here (no CDP; BiDi refuses about:memory)',
    };
  }
  return {
    measure: firefoxWorkerMemory,
    how: "the worker's whole explicit memory in Firefox's memory reports (JS GC heap, malloc'd parts, ArrayBuffer contents, its runtime), dumped with SIGRTMIN+1, which first minimizes memory usage (a GC in every process and worker)",
  };
}

/** Chromium: the used JS heap after a forced GC. Playwright gives CDP sessions for pages only, so we attach to the worker target from the page's session and relay messages. */
export async function workerHeapUsed(page) {
  const session = await page.context().newCDPSession(page);
  try {
    const { targetInfos } = await session.send('Target.getTargets');
    const workers = targetInfos.filter((t) => t.type === 'worker' && t.url.includes(WORKER_URL));
    if (workers.length !== 1) throw new Error(`expected one opfs-log worker, found ${workers.length}`);
    const { sessionId } = await session.send('Target.attachToTarget', {
      targetId: workers[0].targetId,
      flatten: false,
    });
    let nextId = 1;
    const pending = new Map();
    session.on('Target.receivedMessageFromTarget', (e) => {
      if (e.sessionId !== sessionId) return;
      const msg = JSON.parse(e.message);
      const waiter = pending.get(msg.id);
      if (!waiter) return;
      pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(msg.error.message));
      else waiter.resolve(msg.result);
    });
    const call = (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        session
          .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
          .catch(reject);
      });
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    // Typed arrays live outside the V8 heap: count their backing stores too.
    const { usedSize, backingStorageSize = 0 } = await call('Runtime.getHeapUsage');
    await session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    return usedSize + backingStorageSize;
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/** Linux's SIGRTMIN + 1: Firefox minimizes memory usage, then writes its memory reports (every process's). */
const SIGNAL_MINIMIZE_AND_DUMP = 35;

/**
 * Firefox: the bytes of the explicit tree of opfs-log's worker (whichever
 * content process runs it), from a memory-report dump. The dump lands in the
 * temporary directory as unified-memory-report-<time>-<pid>.json.gz; we read
 * and delete it.
 */
async function firefoxWorkerMemory() {
  const pid = firefoxPid();
  const dir = tmpdir();
  const name = (n) => n.startsWith('unified-memory-report-') && n.endsWith(`-${pid}.json.gz`);
  const before = new Set(readdirSync(dir).filter(name));
  process.kill(pid, SIGNAL_MINIMIZE_AND_DUMP);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    // Written under another name and renamed when whole, so a name that appears is complete.
    const file = readdirSync(dir).find((n) => name(n) && !before.has(n));
    if (!file) continue;
    const { reports } = JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString());
    rmSync(join(dir, file), { force: true });
    return workerBytes(reports);
  }
  throw new Error(`Firefox (pid ${pid}) wrote no memory report into ${dir} within 120 s`);
}

const UNITS_BYTES = 0;

/** Sums the explicit tree of the one opfs-log worker in a dump's reports. */
function workerBytes(reports) {
  const workers = new Map(); // "process worker(url, address)" → bytes
  for (const r of reports) {
    if (r.units !== UNITS_BYTES) continue;
    const m = /^explicit\/workers\/workers\([^)]*\)\/worker\((.*?), (0x[0-9a-f]+)\)\//.exec(r.path);
    // Paths escape the URL's slashes as backslashes.
    if (!m?.[1].replaceAll('\\', '/').includes(WORKER_URL)) continue;
    const key = `${r.process} ${m[2]}`;
    workers.set(key, (workers.get(key) ?? 0) + r.amount);
  }
  if (workers.size !== 1)
    throw new Error(`expected one opfs-log worker in Firefox's memory report, found ${workers.size}`);
  return [...workers.values()][0];
}

/** The pid of the Firefox this process launched: our child running its executable. */
function firefoxPid() {
  const exe = realpathSync(browserPath('firefox'));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of stat is the parent pid; the command name before it may hold spaces, so split after its ')'.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === process.pid && readlinkSync(`/proc/${entry}/exe`) === exe) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no Firefox (${exe}) among this process's children`);
}
