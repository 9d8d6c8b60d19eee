// The used JS heap of opfs-log's worker, read through the DevTools protocol
// after a forced GC: Playwright gives CDP sessions for pages only, so we
// attach to the worker target from the page's session and relay messages.
const WORKER_URL = 'worker/worker.ts';

export async function workerHeapUsed(page) {
  const session = await page.context().newCDPSession(page);
  try {
    const { targetInfos } = await session.send('Target.getTargets');
    const workers = targetInfos.filter((t) => t.type === 'worker' && t.url.includes(WORKER_URL));
    if (workers.length !== 1) throw new Error(`expected one opfs-log worker, found ${workers.length}`);
    const { sessionId } = await session.send('Target.attachToTarget', { targetId: workers[0].targetId, flatten: false });
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
        session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
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
