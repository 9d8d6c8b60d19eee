import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv } from '../../src/storage/memory-env.ts';
import { openEngine } from '../../src/client/open-engine.ts';

describe('smoke', () => {
  it('publishes and reads back across reopen and rollover', async () => {
    const env = memoryEnv(new IDBFactory());
    let log = await openEngine(env, 'a/b', { createDirs: true, keyIndex: true, timeIndex: true, rollover: 300 });
    const enc = new TextEncoder();
    for (let b = 0; b < 10; b++) {
      await log.publish(
        [0, 1, 2].map((i) => ({ key: enc.encode(`k${i}`), value: enc.encode(`v${b}-${i}`), time: 1000 + b * 10 + i })),
      );
    }
    expect(await log.nextOffset()).toBe(30);
    const st = await log.stat();
    expect(st.messages).toBe(30);
    expect(st.segments).toBeGreaterThan(1);
    expect((await log.getByKey(enc.encode('k1'))).offset).toBe(28);
    expect((await log.offsetByTime(1042)).offset).toBe(14);
    await log.close();
    log = await openEngine(env, '/a/b/', { keyIndex: true, timeIndex: true, rollover: 300 });
    let off = -2;
    const seen: number[] = [];
    for (;;) {
      const b = await log.consume(off, 7);
      if (b.messages.length === 0 && b.nextOffset === off) break;
      seen.push(...b.messages.map((m) => m.offset));
      off = b.nextOffset;
      if (b.nextOffset === 30) break;
    }
    expect(seen).toEqual([...Array(30).keys()]);
    const d = await log.delete([29, 5]);
    expect([...d.deletedOffsets]).toEqual([5]);
    const d2 = await log.delete([29]);
    expect([...d2.deletedOffsets]).toEqual([29]);
    expect(await log.nextOffset()).toBe(30);
    await log.close();
    log = await openEngine(env, 'a/b', { keyIndex: true });
    expect(await log.nextOffset()).toBe(30);
    await expect(log.get(5)).rejects.toMatchObject({ code: 'NotFound' });
    expect((await log.getByKey(enc.encode('k2'))).offset).toBe(26);
    await log.close();
  });
});
