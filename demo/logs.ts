// The logs of this origin: every OPFS directory that holds segment files
// (`%020d.log`), found by walking the origin private file system. Options are
// not stored with a log, so the explorer remembers the ones each log was
// created (or imported) with, in localStorage, to open it with the same again.
import type { Options } from '../src/index.ts';

export interface LogEntry {
  dir: string;
  segments: number;
  bytes: number;
}

const SEGMENT_NAME = /^\d{20}\.log$/;
/** Library and tool directories that are not logs, and how deep to look. */
const SKIPPED = new Set(['.opfs-log-exports']);
const MAX_DEPTH = 8;

type DirectoryWithEntries = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };

async function walk(dir: FileSystemDirectoryHandle, path: string, depth: number, found: LogEntry[]): Promise<void> {
  let segments = 0;
  let bytes = 0;
  const subdirs: [string, FileSystemDirectoryHandle][] = [];
  for await (const [name, handle] of (dir as DirectoryWithEntries).entries()) {
    if (handle.kind === 'directory') {
      if (!SKIPPED.has(name)) subdirs.push([name, handle as FileSystemDirectoryHandle]);
    } else if (SEGMENT_NAME.test(name)) {
      segments++;
      bytes += (await (handle as FileSystemFileHandle).getFile()).size;
    }
  }
  if (segments > 0) found.push({ dir: path, segments, bytes });
  if (depth >= MAX_DEPTH) return;
  for (const [name, handle] of subdirs) await walk(handle, path ? `${path}/${name}` : name, depth + 1, found);
}

/** Every log in this origin's OPFS, sorted by dir. */
export async function listLogs(): Promise<LogEntry[]> {
  const found: LogEntry[] = [];
  await walk(await navigator.storage.getDirectory(), '', 0, found);
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** The options a log is opened with in the explorer (not `readonly` or `createDirs`). */
export type LogOptions = Pick<Options, 'keyIndex' | 'timeIndex' | 'rollover'>;

const OPTIONS_KEY = 'opfs-log-explorer:options:';
const DEFAULT_OPTIONS: LogOptions = { keyIndex: true, timeIndex: true };

export function rememberOptions(dir: string, options: LogOptions): void {
  localStorage.setItem(OPTIONS_KEY + dir, JSON.stringify(options));
}

/** What the log was created or imported with here; both indexes on for a log from elsewhere. */
export function recallOptions(dir: string): LogOptions {
  try {
    const saved = JSON.parse(localStorage.getItem(OPTIONS_KEY + dir) ?? 'null') as LogOptions | null;
    return saved ?? DEFAULT_OPTIONS;
  } catch {
    return DEFAULT_OPTIONS;
  }
}
