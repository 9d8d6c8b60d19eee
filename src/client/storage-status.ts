/**
 * The origin's storage as an app shows it: how much it uses and may use, and
 * whether the browser keeps it (persistent) or may evict it under pressure
 * (best-effort), with a way to ask for persistence. A thin layer over the
 * Storage API (`navigator.storage`) that answers the same way in every
 * browser and context: null where the browser does not say, and `LogError`
 * where it refuses, never a `TypeError`.
 *
 * It is about the whole origin, not one log: every log, IndexedDB database
 * and cache of the site counts toward `usage` and shares `quota` (`stat()`
 * says what one log holds). A log whose origin runs out of quota rejects
 * `QuotaExceeded`; a best-effort origin may lose all of its storage at once
 * when the browser evicts it, which only persistence prevents.
 */
import { LogError, toLogError } from '../errors.ts';

/**
 * What the browser says of the origin's storage. Each field is null where the
 * browser does not say: no Storage API at all (Node, server-side rendering, a
 * page that is not a secure context), or a browser without that one method.
 */
export interface StorageStatus {
  /**
   * Whether the origin's storage is persistent: the browser will not evict it
   * under storage pressure (the user still can clear it). `false`: best-effort,
   * which is where every origin starts. Null without
   * `navigator.storage.persisted()`.
   */
  persisted: boolean | null;
  /**
   * Bytes the origin uses, every storage API together (OPFS, IndexedDB,
   * caches, …), as `navigator.storage.estimate()` reports it. An estimate:
   * browsers may round it, pad it or update it late, so compare it loosely.
   * Null without `estimate()`, or where it leaves `usage` out.
   */
  usage: number | null;
  /**
   * Bytes the origin may use in all, `usage` included, as `estimate()`
   * reports it: a share of the disk that differs by browser (in Firefox it
   * grows once the storage is persistent; see the README). Writes past it fail
   * (`QuotaExceeded`). Null without `estimate()`, or where it leaves `quota` out.
   */
  quota: number | null;
}

/** The methods of a StorageManager used here, any of which a browser or context may lack. */
type Method = 'estimate' | 'persisted' | 'persist';
type StorageManagerLike = { [name in Method]?: () => unknown };

/** `navigator.storage` where there is one (a secure page or worker), else null. */
function storageManager(): StorageManagerLike | null {
  let storage: unknown;
  try {
    storage = (globalThis as { navigator?: { storage?: unknown } }).navigator?.storage;
  } catch (err) {
    // A getter that throws (a stubbed or locked-down navigator): said as a LogError like any refusal.
    throw storageError(err, 'reading navigator.storage');
  }
  return typeof storage === 'object' && storage !== null ? (storage as StorageManagerLike) : null;
}

/**
 * Awaits `storage[name]()`, called on `storage` (a browser's methods refuse
 * another `this`); undefined where the browser lacks the method. A
 * rejection, or a throw, becomes a LogError (`storageError`).
 */
async function call(storage: StorageManagerLike, name: Method, context: string): Promise<unknown> {
  const method = storage[name];
  if (typeof method !== 'function') return undefined;
  try {
    return await method.call(storage);
  } catch (err) {
    throw storageError(err, context);
  }
}

/** A byte count as reported, or null for anything that is not one (absent, NaN, negative). */
function byteCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Maps a rejection of the Storage API. The Storage standard rejects with a
 * `TypeError` where the context has no storage of its own (an opaque origin:
 * a sandboxed iframe, a `data:` URL; also where the user blocked storage for
 * the site), and browsers use `SecurityError` for the same: both become
 * `Unsupported`. The rest maps as every platform error does (`Internal` with
 * the original as `cause`, unless its name says more).
 */
function storageError(err: unknown, context: string): LogError {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'TypeError' || name === 'SecurityError'
    ? new LogError(
        'Unsupported',
        `${context}: no storage of its own here (a sandboxed iframe, a data: URL, or storage blocked?): ${String(err)}`,
        { cause: err },
      )
    : toLogError(err, context);
}

/**
 * Says whether the origin's storage is persistent, how much it uses and how
 * much it may use (see `StorageStatus`). Works in pages and in workers
 * (dedicated, shared, service): all three fields come from methods that
 * both have.
 *
 * - No `navigator.storage` (Node, server-side rendering, a page that is not a
 *   secure context, a browser without the Storage API): resolves with all
 *   three null; it does not reject, since not knowing is a status an app can
 *   show.
 * - A browser without `estimate()` (Safari before 17) or without
 *   `persisted()`: those fields are null, the others as reported.
 * - Where the browser refuses (`estimate()` or `persisted()` rejects): rejects
 *   `LogError`, `Unsupported` for a context without storage of its own (a
 *   sandboxed iframe, a `data:` URL, storage blocked for the site), else
 *   `Internal` with the browser's error as `cause`.
 *
 * Never throws synchronously and never rejects with anything but a
 * `LogError`. Nothing is cached: each call asks the browser again.
 */
export async function storageStatus(): Promise<StorageStatus> {
  const storage = storageManager();
  if (storage === null) return { persisted: null, usage: null, quota: null };
  // Both asked at once; a method the browser lacks answers undefined, hence null.
  const [sizes, persisted] = await Promise.all([
    call(storage, 'estimate', 'reading the storage estimate') as Promise<
      { usage?: unknown; quota?: unknown } | null | undefined
    >,
    call(storage, 'persisted', 'asking whether storage is persistent'),
  ]);
  return {
    persisted: typeof persisted === 'boolean' ? persisted : null,
    usage: byteCount(sizes?.usage),
    quota: byteCount(sizes?.quota),
  };
}

/**
 * Asks the browser to make the origin's storage persistent
 * (`navigator.storage.persist()`), and resolves to the outcome: true if it is
 * persistent now (granted now or before), false if the browser declined and it
 * stays best-effort. Each browser decides its own way (see the README):
 *
 * - Chromium decides at once, without asking the user, by how the site is
 *   used (engagement, an installed app, a bookmark, notifications allowed);
 *   a site visited little gets false, and may get true later.
 * - Firefox asks the user with a prompt: the promise waits for the answer,
 *   so call it from a user's action (a click), not at start-up.
 * - Safari (WebKit) does not prompt either, and decides by rules of its own.
 *
 * Edge cases:
 * - Only pages can ask: `persist()` exists in windows, not in workers. In a
 *   worker, as without `navigator.storage` (Node, server-side rendering, a
 *   page that is not a secure context) or without `persist()`, it rejects
 *   `LogError` `Unsupported`; `storageStatus()` still answers there.
 * - Where the browser refuses to ask (`persist()` rejects: a sandboxed
 *   iframe, a `data:` URL, storage blocked for the site): rejects `LogError`,
 *   `Unsupported` for those, else `Internal` with the browser's error as
 *   `cause`.
 *
 * Never throws synchronously and never rejects with anything but a
 * `LogError`. Asking again is harmless: once persistent, it resolves true.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = storageManager();
  if (typeof storage?.persist !== 'function') {
    const inWorker = typeof (globalThis as { document?: unknown }).document === 'undefined';
    const why =
      storage === null
        ? 'no navigator.storage here (not a browser, or not a secure context)'
        : `no navigator.storage.persist(), which windows have${inWorker ? ' (a worker: ask from a page)' : ''}`;
    throw new LogError('Unsupported', `cannot ask for persistent storage: ${why}`);
  }
  return (await call(storage, 'persist', 'asking for persistent storage')) === true;
}
