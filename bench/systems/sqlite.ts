/** SQLite-WASM with the opfs-sahpool VFS, in a worker of its own (bench/systems/sqlite-worker.ts). */
import type { BenchMessage } from '../messages.ts';
import { RpcClient } from '../rpc.ts';
import type { ReadMessage, System } from './system.ts';

export class SqliteSystem implements System {
  readonly name = 'SQLite-WASM';
  readonly settings =
    'opfs-sahpool VFS in a worker; messages(offset INTEGER PRIMARY KEY, key BLOB, time INTEGER, value BLOB), indexes on key and time; one transaction per batch, prepared statements; default journal and synchronous';
  private rpc: RpcClient | null = null;

  async open(): Promise<void> {
    this.rpc = new RpcClient(new Worker(new URL('./sqlite-worker.ts', import.meta.url), { type: 'module' }));
    await this.r.call('open', `/bench-${Date.now()}.db`);
  }

  private get r(): RpcClient {
    if (!this.rpc) throw new Error('not open');
    return this.rpc;
  }

  publish(batch: BenchMessage[]): Promise<void> {
    return this.r.call('publish', batch);
  }

  flush(): Promise<void> {
    return this.r.call('flush');
  }

  consume(offset: number, max: number): Promise<ReadMessage[]> {
    return this.r.call('consume', offset, max);
  }

  get(offset: number): Promise<ReadMessage> {
    return this.r.call('get', offset);
  }

  getByKey(key: Uint8Array): Promise<ReadMessage | null> {
    return this.r.call('getByKey', key);
  }

  getByTime(time: number): Promise<ReadMessage | null> {
    return this.r.call('getByTime', time);
  }

  async close(): Promise<void> {
    if (!this.rpc) return;
    await this.rpc.call('close');
    this.rpc.terminate();
    this.rpc = null;
  }
}
