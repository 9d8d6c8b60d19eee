/**
 * Where `exportArchive` writes the archive: a temporary file in the origin
 * private file system, written chunk by chunk with `createWritable()`, so
 * memory stays bounded however large the log. The caller gets the `File`
 * (a `getFile()` of it) to download or upload.
 *
 * Each export gets its own directory `.opfs-log-exports/<id>/` and a Web Lock
 * `opfs-log-export:<id>` held by the context that exported (a page or a
 * worker) for as long as it lives, because the File reads the OPFS file: it
 * must not vanish while someone may still read it. Each export removes the
 * directories whose lock is free, i.e. whose context has gone.
 *
 * Where there is no OPFS (Node, in tests) the archive is kept in memory.
 */
import { LogError, toLogError } from '../errors.ts';
import { EXPORT_LOCK_PREFIX, EXPORTS_DIR } from '../namespace.ts';
import { WebLocks } from '../storage/web-locks.ts';

export interface ArchiveSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes the file and returns it. */
  close(): Promise<File>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** A sink in OPFS where the browser has one, else in memory. */
export async function openArchiveSink(name: string): Promise<ArchiveSink> {
  const storage = (globalThis as { navigator?: Navigator }).navigator?.storage;
  if (storage && typeof storage.getDirectory === 'function') return opfsSink(await storage.getDirectory(), name);
  return memorySink(name);
}

function memorySink(name: string): ArchiveSink {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  return {
    async write(chunk) {
      chunks.push(chunk as Uint8Array<ArrayBuffer>);
    },
    async close() {
      return new File(chunks, name, { type: 'application/zip' });
    },
    async abort() {
      chunks.length = 0;
    },
  };
}

function randomId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

async function opfsSink(root: FileSystemDirectoryHandle, name: string): Promise<ArchiveSink> {
  const locks = new WebLocks();
  const exports = await root.getDirectoryHandle(EXPORTS_DIR, { create: true });
  await removeAbandoned(exports, locks);
  const id = randomId();
  const lock = await locks.tryAcquire(EXPORT_LOCK_PREFIX + id);
  if (!lock) throw new LogError('Locked', `export lock ${id} is taken`);
  let writable: FileSystemWritableFileStream | null = null;
  try {
    const dir = await exports.getDirectoryHandle(id, { create: true });
    const handle = await dir.getFileHandle(name, { create: true });
    const stream = await handle.createWritable();
    writable = stream;
    return {
      async write(chunk) {
        try {
          await stream.write(chunk as Uint8Array<ArrayBuffer>);
        } catch (err) {
          throw toLogError(err, `writing the archive ${name}`);
        }
      },
      async close() {
        try {
          await stream.close();
          return await handle.getFile();
        } catch (err) {
          throw toLogError(err, `finishing the archive ${name}`);
        }
      },
      async abort() {
        await stream.abort().catch(() => undefined);
        await exports.removeEntry(id, { recursive: true }).catch(() => undefined);
        lock.release();
      },
    };
  } catch (err) {
    await writable?.abort().catch(() => undefined);
    await exports.removeEntry(id, { recursive: true }).catch(() => undefined);
    lock.release();
    throw toLogError(err, `creating the archive ${name} in ${EXPORTS_DIR}`);
  }
}

/** Removes earlier exports whose context has gone (their lock is free). */
async function removeAbandoned(exports: FileSystemDirectoryHandle, locks: WebLocks): Promise<void> {
  const names: string[] = [];
  for await (const name of (exports as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  for (const name of names) {
    const lock = await locks.tryAcquire(EXPORT_LOCK_PREFIX + name);
    if (!lock) continue; // its page or worker still lives and may read the File
    try {
      await exports.removeEntry(name, { recursive: true });
    } catch {
      // In use after all, or gone already: try again next time.
    } finally {
      lock.release();
    }
  }
}
