/** opfs-log itself, opened from the main thread: the worker round trip counts, as it does for users. */
import type { Log } from '../../src/index.ts';
import { opfsLog } from '../package.ts';

const { open } = opfsLog;
import type { BenchMessage } from '../messages.ts';
import type { ReadMessage, System } from './system.ts';

export class OpfsLogSystem implements System {
  readonly name = 'opfs-log';
  readonly settings =
    'open() from the main thread (dedicated worker + Comlink), keyIndex + timeIndex, rollover 1 MiB, sync() at the end';
  private log: Log | null = null;
  private runs = 0;
  dir = '';

  async open(): Promise<void> {
    this.dir = `bench/opfs-log-${Date.now()}-${this.runs++}`;
    this.log = await open(this.dir, { createDirs: true, keyIndex: true, timeIndex: true });
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
