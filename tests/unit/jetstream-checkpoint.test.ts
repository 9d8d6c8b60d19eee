// The pull's background checkpoint writer (src/jetstream/checkpoint.ts):
// one write at a time, only the latest of the values asked for meanwhile,
// in order, a failed write dropped rather than thrown, and `flush` waiting
// for the last. (What a lagging checkpoint means for a resume is in
// jetstream-pull.test.ts, against a real server.)
import { describe, expect, it } from 'vitest';
import { CheckpointWriter, type CheckpointStore, type PullCheckpoint } from '../../src/jetstream/checkpoint.ts';

/** A store whose writes finish only when the test says so. */
function slowStore() {
  const writes: { value: PullCheckpoint; finish: (ok: boolean) => void }[] = [];
  const store: CheckpointStore = {
    load: async () => undefined,
    save: (_key, value) =>
      new Promise<void>((resolve, reject) => {
        writes.push({
          value: value as PullCheckpoint,
          finish: (ok) => (ok ? resolve() : reject(new Error('disk full'))),
        });
      }),
    remove: async () => undefined,
  };
  return { store, writes };
}

const cp = (n: number): PullCheckpoint => ({ localNext: n, streamSeq: n });
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('CheckpointWriter', () => {
  it('writes one value at a time, and of those asked for meanwhile only the latest', async () => {
    const { store, writes } = slowStore();
    const writer = new CheckpointWriter(store, 'k');
    const first = writer.write(cp(1));
    void writer.write(cp(2));
    void writer.write(cp(3));
    expect(writes.map((w) => w.value)).toEqual([cp(1)]);
    writes[0]!.finish(true);
    await tick();
    expect(writes.map((w) => w.value)).toEqual([cp(1), cp(3)]);
    let flushed = false;
    void writer.flush().then(() => (flushed = true));
    await tick();
    expect(flushed).toBe(false);
    writes[1]!.finish(true);
    await first;
    await tick();
    expect(flushed).toBe(true);
    expect(writes).toHaveLength(2);
  });

  it('drops a failed write without rejecting, and goes on with the next value', async () => {
    const { store, writes } = slowStore();
    const writer = new CheckpointWriter(store, 'k');
    const failed = writer.write(cp(1));
    writes[0]!.finish(false);
    await expect(failed).resolves.toBeUndefined();
    const next = writer.write(cp(2));
    expect(writes.map((w) => w.value)).toEqual([cp(1), cp(2)]);
    writes[1]!.finish(true);
    await expect(next).resolves.toBeUndefined();
    await expect(writer.flush()).resolves.toBeUndefined();
  });
});
