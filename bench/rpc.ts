/** A minimal request/response channel to a bench worker (the systems under test stay Comlink-free). */
export interface RpcRequest {
  id: number;
  op: string;
  args: unknown[];
}

export type RpcResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export class RpcClient {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<RpcResponse>) => {
      const w = this.waiting.get(e.data.id);
      if (!w) return;
      this.waiting.delete(e.data.id);
      if (e.data.ok) w.resolve(e.data.value);
      else w.reject(new Error(e.data.error));
    };
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    return this.callTransferring(op, [], ...args);
  }

  /** Like `call`, moving `transfer` buffers to the worker instead of copying them. */
  callTransferring<T>(op: string, transfer: Transferable[], ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } satisfies RpcRequest, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

/** The worker side: answers requests with the handlers' results. */
export function serve(handlers: Record<string, (...args: never[]) => unknown>): void {
  self.onmessage = async (e: MessageEvent<RpcRequest>) => {
    const { id, op, args } = e.data;
    try {
      const value = await (handlers[op] as (...a: unknown[]) => unknown)(...args);
      (self as unknown as Worker).postMessage({ id, ok: true, value } satisfies RpcResponse);
    } catch (err) {
      (self as unknown as Worker).postMessage({
        id,
        ok: false,
        error: String((err as Error)?.stack ?? err),
      } satisfies RpcResponse);
    }
  };
}
