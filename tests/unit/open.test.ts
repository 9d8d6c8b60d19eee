/** The public `open` outside a browser: bad input first, then Unsupported, never a crash. */
import { describe, expect, it } from 'vitest';
import { open, LogError } from '../../src/index.ts';

describe('open outside a browser', () => {
  it('rejects Unsupported where there is no Worker or OPFS', async () => {
    const err = await open('logs/a', { createDirs: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogError);
    expect(err).toMatchObject({ code: 'Unsupported' });
  });

  it('checks its arguments before anything else', async () => {
    await expect(open('a/../b')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(open('a', { rollover: -1 })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
