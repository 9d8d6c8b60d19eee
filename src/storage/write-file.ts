import type { Directory } from './files.ts';

/**
 * Creates (or replaces) file `name` in `dir` with `chunks`, written one after
 * another, then flushes and closes it. A segment rewrite, a backup and an
 * archive import all write their files this way before renaming or indexing them.
 */
export async function writeWholeFile(
  dir: Directory,
  name: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const file = await dir.openFile(name, { create: true, readonly: false });
  try {
    await file.truncate(0);
    let at = 0;
    for await (const chunk of chunks) {
      await file.write(chunk, at);
      at += chunk.length;
    }
    await file.flush();
  } finally {
    await file.close();
  }
}
