/**
 * One replicator per (log dir, direction, stream, subject, name) across the
 * origin's tabs and workers: a Web Lock held while it runs. A second one
 * finds the lock taken, goes `standby` and waits in line; the browser
 * releases the lock when the holder's tab closes, crashes or is killed, and
 * the next in line takes over (it resyncs from the stream, so nothing the
 * first one pushed is pushed again). Where there are no Web Locks (Node),
 * it runs at once.
 */

/** Runs `body` while holding the lock `name`; calls `onStandby` if it has to wait. A stop while waiting resolves. */
export async function standbyLock(
  name: string,
  signal: AbortSignal,
  onStandby: () => void,
  body: () => Promise<void>,
): Promise<void> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return body();
  let held = false;
  await locks.request(name, { ifAvailable: true }, async (lock) => {
    if (!lock) return;
    held = true;
    await body();
  });
  if (held || signal.aborted) return;
  onStandby();
  try {
    await locks.request(name, { signal }, body);
  } catch (err) {
    if (!signal.aborted) throw err; // aborted while waiting in line: a stop, not an error
  }
}
