/** Raw OPFS: see raw-opfs-worker.ts. Only the write and scan workloads apply to it. */
import { columnsOf, type BenchMessage } from '../messages.ts';
import { encodeBatch } from '../../src/codec/record.ts';
import { RpcClient } from '../rpc.ts';
import type { ReadMessage, System } from './system.ts';

export class RawOpfsSystem implements System {
  readonly name = 'raw OPFS';
  readonly settings =
    'one sync access handle in a worker writing opfs-log\'s record bytes (encoded on the page, transferred, offsets and CRCs set in the worker), one write per batch, flush() at the end; reads by a position array. Its row "publish 100k, worker only (the limit)" is the same file written with batches encoded and sealed in the worker beforehand (not timed): only the writes and the flush are timed';
  private rpc: RpcClient | null = null;

  async open(): Promise<void> {
    this.rpc = new RpcClient(new Worker(new URL('./raw-opfs-worker.ts', import.meta.url), { type: 'module' }));
    await this.r.call('open', `bench-raw-${Date.now()}.bin`);
  }

  private get r(): RpcClient {
    if (!this.rpc) throw new Error('not open');
    return this.rpc;
  }

  /** Encoded on the page and transferred, exactly as opfs-log's client does. */
  publish(batch: BenchMessage[]): Promise<void> {
    const records = encodeBatch(columnsOf(batch));
    return this.r.callTransferring('publish', [records.buffer], records);
  }

  publishLimit(total: number, batchSize: number): Promise<number> {
    return this.r.call('writeLimit', total, batchSize);
  }

  flush(): Promise<void> {
    return this.r.call('flush');
  }

  consume(offset: number, max: number): Promise<ReadMessage[]> {
    return this.r.call('consume', offset, max);
  }

  get(): Promise<ReadMessage> {
    throw new Error('not measured for raw OPFS');
  }

  getByKey(): Promise<ReadMessage | null> {
    throw new Error('not measured for raw OPFS');
  }

  getByTime(): Promise<ReadMessage | null> {
    throw new Error('not measured for raw OPFS');
  }

  async close(): Promise<void> {
    if (!this.rpc) return;
    await this.rpc.call('close');
    this.rpc.terminate();
    this.rpc = null;
  }
}
