/**
 * `storageStatus` and `requestPersistence` against a stubbed `navigator`:
 * the Storage API is the unit's boundary, and Node has none, so each case
 * puts in place what a browser (or a context without one) offers and checks
 * what the functions make of it: null where nothing is said, `LogError`
 * where the browser refuses, never a `TypeError`, never a synchronous throw.
 * The browser tier (tests/browser/quota.spec.ts) runs them on the real API.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogError, requestPersistence, storageStatus } from '../../src/index.ts';

/**
 * A StorageManager as browsers make it: its methods check their receiver (a
 * browser's throw "Illegal invocation" when called unbound, which is the
 * mistake this catches), and each may be left out as some browsers and
 * contexts do.
 */
class FakeStorage {
  calls = { estimate: 0, persisted: 0, persist: 0 };

  constructor(
    readonly answers: {
      estimate?: () => Promise<unknown>;
      persisted?: () => Promise<unknown>;
      persist?: () => Promise<unknown>;
    },
  ) {
    for (const name of ['estimate', 'persisted', 'persist'] as const) {
      const answer = answers[name];
      if (answer === undefined) continue;
      Object.defineProperty(this, name, {
        value: function (this: unknown) {
          if (!(this instanceof FakeStorage)) throw new TypeError('Illegal invocation');
          this.calls[name]++;
          return answer();
        },
      });
    }
  }
}

const dom = (name: string) => new DOMException(`the browser says ${name}`, name);

/** A page's globals: `navigator.storage` is `storage`, and there is a document (persist() is for windows). */
function inPage(storage: unknown): void {
  vi.stubGlobal('navigator', { storage });
  vi.stubGlobal('document', {});
}

/** A worker's globals: `navigator.storage` is `storage`, and no document. */
function inWorker(storage: unknown): void {
  vi.stubGlobal('navigator', { storage });
  vi.stubGlobal('document', undefined);
}

/** What `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<LogError> {
  const err = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, resolved ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LogError);
  return err as LogError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('storageStatus', () => {
  it('reports usage, quota and persisted as the browser says them', async () => {
    const storage = new FakeStorage({
      estimate: async () => ({ usage: 1234, quota: 5_000_000 }),
      persisted: async () => false,
    });
    inPage(storage);
    await expect(storageStatus()).resolves.toEqual({ persisted: false, usage: 1234, quota: 5_000_000 });
    expect(storage.calls).toEqual({ estimate: 1, persisted: 1, persist: 0 });
  });

  it('asks again on every call (nothing cached)', async () => {
    let usage = 0;
    let persisted = false;
    inPage(new FakeStorage({ estimate: async () => ({ usage, quota: 10 }), persisted: async () => persisted }));
    await expect(storageStatus()).resolves.toEqual({ persisted: false, usage: 0, quota: 10 });
    usage = 7;
    persisted = true;
    await expect(storageStatus()).resolves.toEqual({ persisted: true, usage: 7, quota: 10 });
  });

  it('works in a worker as in a page (estimate and persisted exist in both)', async () => {
    inWorker(new FakeStorage({ estimate: async () => ({ usage: 1, quota: 2 }), persisted: async () => true }));
    await expect(storageStatus()).resolves.toEqual({ persisted: true, usage: 1, quota: 2 });
  });

  it.each([
    ['no navigator (Node, server-side rendering)', undefined],
    ['a navigator without storage (not a secure context)', {}],
    ['a navigator whose storage is null', { storage: null }],
  ])('resolves all null with %s', async (_, navigator) => {
    vi.stubGlobal('navigator', navigator);
    await expect(storageStatus()).resolves.toEqual({ persisted: null, usage: null, quota: null });
  });

  it('null for what a browser lacks: no estimate() (Safari before 17), no persisted()', async () => {
    inPage(new FakeStorage({ persisted: async () => true }));
    await expect(storageStatus()).resolves.toEqual({ persisted: true, usage: null, quota: null });
    inPage(new FakeStorage({ estimate: async () => ({ usage: 5, quota: 9 }) }));
    await expect(storageStatus()).resolves.toEqual({ persisted: null, usage: 5, quota: 9 });
    inPage(new FakeStorage({}));
    await expect(storageStatus()).resolves.toEqual({ persisted: null, usage: null, quota: null });
  });

  it.each([
    ['an empty estimate', {}, null, null],
    ['no estimate at all (undefined)', undefined, null, null],
    ['usage only', { usage: 3 }, 3, null],
    ['quota only', { quota: 4 }, null, 4],
    ['NaN and a negative number', { usage: Number.NaN, quota: -1 }, null, null],
    ['Infinity and a string', { usage: Number.POSITIVE_INFINITY, quota: '100' }, null, null],
    ['zero usage', { usage: 0, quota: 1 }, 0, 1],
  ])('an estimate with %s: only real byte counts are reported', async (_, estimate, usage, quota) => {
    inPage(new FakeStorage({ estimate: async () => estimate, persisted: async () => false }));
    await expect(storageStatus()).resolves.toEqual({ persisted: false, usage, quota });
  });

  it('persisted() answering something other than a boolean: null', async () => {
    inPage(new FakeStorage({ persisted: async () => 'yes' }));
    await expect(storageStatus()).resolves.toMatchObject({ persisted: null });
  });

  it.each([
    [
      'estimate() rejects TypeError (an opaque origin, per the Storage standard)',
      'estimate',
      new TypeError('opaque origin'),
      'Unsupported',
    ],
    [
      'estimate() rejects SecurityError (storage blocked for the site)',
      'estimate',
      dom('SecurityError'),
      'Unsupported',
    ],
    ['persisted() rejects TypeError', 'persisted', new TypeError('opaque origin'), 'Unsupported'],
    ['estimate() rejects UnknownError (the quota manager failed)', 'estimate', dom('UnknownError'), 'Internal'],
    ['persisted() rejects InvalidStateError (a detached document)', 'persisted', dom('InvalidStateError'), 'Internal'],
    ['estimate() rejects a plain string', 'estimate', 'odd', 'Internal'],
  ] as const)('%s: rejects LogError %s', async (_, which, error, code) => {
    const fail = async () => {
      throw error;
    };
    inPage(
      new FakeStorage({
        estimate: which === 'estimate' ? fail : async () => ({ usage: 1, quota: 2 }),
        persisted: which === 'persisted' ? fail : async () => false,
      }),
    );
    const err = await rejection(storageStatus());
    expect(err.code).toBe(code);
    expect(err.cause).toBe(error);
  });

  it('a method that throws instead of rejecting still rejects (never a synchronous throw)', async () => {
    inPage({
      estimate: () => {
        throw new TypeError('opaque origin');
      },
      persisted: async () => false,
    });
    let promise: Promise<unknown> | undefined;
    expect(() => (promise = storageStatus())).not.toThrow();
    expect((await rejection(promise!)).code).toBe('Unsupported');
  });

  it('a navigator.storage getter that throws: rejects LogError, not the raw error', async () => {
    vi.stubGlobal('navigator', {
      get storage(): never {
        throw new Error('locked down');
      },
    });
    expect((await rejection(storageStatus())).code).toBe('Internal');
  });
});

describe('requestPersistence', () => {
  it.each([
    ['granted', true, true],
    ['declined', false, false],
    ['an answer other than a boolean', 'granted', false],
  ])('resolves the outcome: %s', async (_, answer, expected) => {
    const storage = new FakeStorage({ persist: async () => answer });
    inPage(storage);
    await expect(requestPersistence()).resolves.toBe(expected);
    expect(storage.calls.persist).toBe(1);
  });

  it('asks each time it is called (the browser says true again once granted)', async () => {
    const storage = new FakeStorage({ persist: async () => true });
    inPage(storage);
    await requestPersistence();
    await requestPersistence();
    expect(storage.calls.persist).toBe(2);
  });

  it.each([
    ['no navigator (Node, server-side rendering)', undefined],
    ['a navigator without storage (not a secure context)', {}],
  ])('rejects Unsupported with %s', async (_, navigator) => {
    vi.stubGlobal('navigator', navigator);
    const err = await rejection(requestPersistence());
    expect(err.code).toBe('Unsupported');
    expect(err.message).toMatch(/no navigator\.storage/);
  });

  it('rejects Unsupported in a worker, where persist() does not exist, and says to ask from a page', async () => {
    inWorker(new FakeStorage({ estimate: async () => ({}), persisted: async () => false }));
    const err = await rejection(requestPersistence());
    expect(err.code).toBe('Unsupported');
    expect(err.message).toMatch(/worker: ask from a page/);
  });

  it('rejects Unsupported in a page of a browser without persist()', async () => {
    inPage(new FakeStorage({ persisted: async () => false }));
    const err = await rejection(requestPersistence());
    expect(err.code).toBe('Unsupported');
    expect(err.message).not.toMatch(/worker/);
  });

  it.each([
    ['TypeError (an opaque origin: a sandboxed iframe, a data: URL)', new TypeError('opaque origin'), 'Unsupported'],
    ['SecurityError', dom('SecurityError'), 'Unsupported'],
    ['InvalidStateError (a detached document)', dom('InvalidStateError'), 'Internal'],
    ['AbortError', dom('AbortError'), 'Internal'],
  ] as const)('persist() rejecting %s: rejects LogError %s with it as cause', async (_, error, code) => {
    inPage(
      new FakeStorage({
        persist: async () => {
          throw error;
        },
      }),
    );
    const err = await rejection(requestPersistence());
    expect(err.code).toBe(code);
    expect(err.cause).toBe(error);
  });

  it('persist() throwing synchronously: still a rejection, never a throw', async () => {
    inPage({
      persist: () => {
        throw new TypeError('opaque origin');
      },
    });
    let promise: Promise<unknown> | undefined;
    expect(() => (promise = requestPersistence())).not.toThrow();
    expect((await rejection(promise!)).code).toBe('Unsupported');
  });
});
