// A dedicated module worker for tests/browser/quota.spec.ts: what only a
// worker can do or see. It answers each message with one reply:
// - 'status': `storageStatus()` and `requestPersistence()` as a worker gets
//   them (the Storage API differs there: no `persist()`).
// - 'probe': writes through a bare sync access handle, `chunk` bytes at a
//   time, until the browser refuses one (or `max` writes went through), to
//   show how it refuses: a throw, or a count that is not the length.
import { requestPersistence, storageStatus } from '../../src/index.ts';

export type Request = { kind: 'status' } | { kind: 'probe'; chunk: number; max: number };

/** How a call settled, in a form that crosses postMessage. */
export type Settled =
  | { ok: true; value: unknown }
  | { ok: false; name: string; code: string | null; isLogError: boolean; message: string };

export interface StatusReply {
  status: Settled;
  persist: Settled;
}

export interface ProbeReply {
  /** Writes that went through whole before the refused one (all of them if none was refused). */
  written: number;
  /** The refused write: what it threw, or the count it returned. Null if none was refused. */
  refused: { threw: string; message: string } | { returned: number } | null;
  /** The file's size after the refusal: did part of the refused write land? */
  sizeAfter: number;
}

interface SyncHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  getSize(): number;
  close(): void;
}

const scope = globalThis as unknown as { postMessage(message: unknown): void };

async function settle(promise: Promise<unknown>): Promise<Settled> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    const e = err as { name?: unknown; code?: unknown; message?: unknown };
    return {
      ok: false,
      name: String(e?.name),
      code: typeof e?.code === 'string' ? e.code : null,
      isLogError: e?.name === 'LogError',
      message: String(e?.message ?? err),
    };
  }
}

async function probe(chunk: number, max: number): Promise<ProbeReply> {
  const root = await navigator.storage.getDirectory();
  const file = await root.getFileHandle('probe', { create: true });
  const handle = await (file as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle();
  const data = new Uint8Array(chunk).fill(0x70);
  let written = 0;
  let refused: ProbeReply['refused'] = null;
  try {
    for (; written < max; written++) {
      let n: number;
      try {
        n = handle.write(data, { at: written * chunk });
      } catch (err) {
        refused = { threw: String((err as Error).name), message: String((err as Error).message) };
        break;
      }
      if (n !== chunk) {
        refused = { returned: n };
        break;
      }
    }
    return { written, refused, sizeAfter: handle.getSize() };
  } finally {
    handle.close();
    await root.removeEntry('probe');
  }
}

globalThis.addEventListener('message', async (event: Event) => {
  const request = (event as MessageEvent<Request>).data;
  if (request.kind === 'status') {
    const reply: StatusReply = { status: await settle(storageStatus()), persist: await settle(requestPersistence()) };
    scope.postMessage(reply);
  } else {
    scope.postMessage(await probe(request.chunk, request.max).catch((err: unknown) => ({ error: String(err) })));
  }
});
