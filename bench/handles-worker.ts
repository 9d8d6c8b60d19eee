/**
 * Counts, from outside the log, how many of its segment files have a sync
 * access handle open (bench/scaling.ts starts it as a dedicated worker of the
 * bench page): it asks for a handle of each segment file itself. A file whose
 * handle someone holds refuses (Chromium and Firefox both refuse a second
 * handle of a file with NoModificationAllowedError); a handle it gets is
 * closed at once. Nothing in src/ is asked or hooked.
 */
import { serve } from './rpc.ts';
import { probeOrder } from './stretches.ts';

/** A segment file's name, as src/segment/names.ts makes it (20 digits of its base offset, then `.log`). */
const SEGMENT = /^\d{20}\.log$/;

interface SyncHandle {
  close(): void;
}
type Probed = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

async function directory(path: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of path.split('/')) dir = await dir.getDirectoryHandle(part);
  return dir;
}

export interface HandleCount {
  /** Segment files in the log's directory. */
  segments: number;
  /** How many of them were asked (all, unless the budget ran out first). */
  probed: number;
  /** How many of those refused a handle: held by the log. */
  refused: number;
  /** Milliseconds all the probes took, and one on average. */
  ms: number;
  msPerProbe: number;
  /** Each refusal's DOMException name, with how many times it came. */
  errors: Record<string, number>;
  /** Bytes of every file in the log's directory (segments and the rest), from getFile().size. */
  fileBytes: number;
}

serve({
  /**
   * Probes the segment files of the log at `path` in probeOrder (evenly spread
   * over the log, so a prefix of it is an even sample) until all are probed
   * or `budgetMs` is spent.
   */
  async count(path: string, budgetMs: number): Promise<HandleCount> {
    const dir = await directory(path);
    const files: FileSystemFileHandle[] = [];
    let fileBytes = 0;
    for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (handle.kind !== 'file') continue;
      fileBytes += (await (handle as FileSystemFileHandle).getFile()).size;
      if (SEGMENT.test(handle.name)) files.push(handle as FileSystemFileHandle);
    }
    files.sort((a, b) => (a.name < b.name ? -1 : 1));
    const errors: Record<string, number> = {};
    let probed = 0;
    let refused = 0;
    const t = performance.now();
    for (const i of probeOrder(files.length)) {
      if (probed > 0 && performance.now() - t > budgetMs) break;
      probed++;
      let handle: SyncHandle;
      try {
        handle = await (files[i] as Probed).createSyncAccessHandle();
      } catch (err) {
        const name = (err as Error)?.name ?? String(err);
        errors[name] = (errors[name] ?? 0) + 1;
        refused++;
        continue;
      }
      handle.close();
    }
    const ms = performance.now() - t;
    return { segments: files.length, probed, refused, ms, msPerProbe: probed ? ms / probed : 0, errors, fileBytes };
  },
});
