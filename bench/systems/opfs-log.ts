/**
 * opfs-log itself, opened from the main thread: the worker round trip counts,
 * as it does for users. A second instance opens its logs `backend: 'async'`.
 */
import type { Log, StorageBackend } from '../../src/index.ts';
import { opfsLog } from '../package.ts';

const { open } = opfsLog;
import type { BenchMessage } from '../messages.ts';
import type { ReadMessage, System } from './system.ts';

export class OpfsLogSystem implements System {
  readonly name: string;
  readonly settings: string;
  private log: Log | null = null;
  private runs = 0;
  dir = '';

  constructor(private readonly backend: StorageBackend = 'auto') {
    this.name = backend === 'async' ? 'opfs-log, async backend' : 'opfs-log';
    this.settings = `open() from the main thread (dedicated worker + Comlink), keyIndex + timeIndex, rollover 1 MiB, sync() at the end${backend === 'async' ? ", backend: 'async'" : ''}`;
  }

  async open(): Promise<void> {
    this.dir = `bench/opfs-log-${Date.now()}-${this.runs++}`;
    this.log = await open(this.dir, { createDirs: true, keyIndex: true, timeIndex: true, backend: this.backend });
  }

  private get l(): Log {
    if (!this.log) throw new Error('not open');
    return this.log;
  }

  async publish(batch: BenchMessage[]): Promise<void> {
    await this.l.publish(batch);
  }

  async flush(): Promise<void> {
    await this.l.sync();
  }

  async consume(offset: number, max: number): Promise<ReadMessage[]> {
    return (await this.l.consume(offset, max)).messages;
  }

  get(offset: number): Promise<ReadMessage> {
    return this.l.get(offset);
  }

  getByKey(key: Uint8Array): Promise<ReadMessage | null> {
    return this.l.getByKey(key);
  }

  getByTime(time: number): Promise<ReadMessage | null> {
    return this.l.getByTime(time);
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = null;
  }
}
