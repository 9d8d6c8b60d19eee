/** Retention in Node: the `retention` option stays cheap (it does not rewrite a segment on every publish). */
import { describe, expect, it } from 'vitest';
import { freshEnv, gen, openLog } from './helpers.ts';

describe('retention option', () => {
  it('trims once per sixteenth of the cap published, not on every publish', async () => {
    const env = freshEnv();
    let rewrites = 0;
    env.root.faults.beforeWrite = (file, _data, position) => {
      if (file.endsWith('.tmp') && position === 0) rewrites++; // a rewrite's header
    };
    const MAX = 320;
    const log = await openLog(env, 'capped', { rollover: 4096, retention: { maxCount: MAX } });
    for (let i = 0; i < 1000; i++) {
      await log.publish(gen(1, i));
      expect((await log.stat()).messages).toBeLessThanOrEqual(MAX);
    }
    // (1000 - 320) messages over the cap, trimmed 20 at a time: ~34 trims, each at most one rewrite.
    expect(rewrites).toBeLessThanOrEqual(40);
    expect(rewrites).toBeGreaterThan(0);
    const stat = await log.stat();
    expect(stat.messages).toBeGreaterThanOrEqual(MAX - MAX / 16);
    await log.close();
  });

  it('concurrent publishes each resolve with the log within its cap', async () => {
    const log = await openLog(freshEnv(), 'burst', { rollover: 1024, retention: { maxCount: 50 } });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        log.publish(gen(3, i * 3)).then(async (next) => ({ next, stat: await log.stat() })),
      ),
    );
    expect(results.map((r) => r.next)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 3));
    expect((await log.stat()).messages).toBeLessThanOrEqual(50);
    await log.close();
  });
});
