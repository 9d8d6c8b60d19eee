/**
 * The options and directory of a log, checked and with every default filled
 * in. The engine checks them again where they arrive (in a worker, from the
 * client), so they live here, below both.
 */
import { invalidArgument } from '../errors.ts';
import { DEFAULT_MAX_OPEN_FILES, type Options, type RetentionPolicy, type StorageBackend } from '../types.ts';

export const DEFAULT_ROLLOVER = 1024 * 1024;

/** Options with every default filled in. */
export type ResolvedOptions = Required<Options>;

/** The most directories a log's path may name: each is a lookup on every open, and OPFS has no bound of its own. */
export const MAX_DIR_DEPTH = 32;
/** The longest a log's path may be, in UTF-16 code units once its leading and trailing `/` are gone. */
export const MAX_DIR_LENGTH = 1024;

/**
 * `"/a/b/"` → `"a/b"`; rejects `..`, `.`, empty segments, NUL, non-strings,
 * and paths past `MAX_DIR_DEPTH` directories or `MAX_DIR_LENGTH` characters
 * (checked before any storage is touched, so a huge path costs nothing).
 */
export function normalizeDir(dir: unknown): string {
  if (typeof dir !== 'string') throw invalidArgument(`dir must be a string, got ${typeof dir}`);
  const trimmed = dir.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') throw invalidArgument('dir must name a directory, got an empty path');
  if (trimmed.length > MAX_DIR_LENGTH) {
    throw invalidArgument(`dir is ${trimmed.length} characters long; at most ${MAX_DIR_LENGTH} are allowed`);
  }
  if (trimmed.includes('\0')) throw invalidArgument('dir must not contain NUL');
  const parts = trimmed.split('/');
  if (parts.length > MAX_DIR_DEPTH) {
    throw invalidArgument(`dir names ${parts.length} directories; at most ${MAX_DIR_DEPTH} are allowed`);
  }
  for (const part of parts) {
    if (part === '') throw invalidArgument(`dir "${dir}" has an empty segment`);
    if (part === '..' || part === '.') throw invalidArgument(`dir "${dir}" must not contain "${part}"`);
  }
  return trimmed;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalidArgument('options must be an object');
  const o = options as Record<string, unknown>;
  const flag = (name: string): boolean => {
    const v = o[name];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw invalidArgument(`option ${name} must be a boolean, got ${typeof v}`);
    return v;
  };
  let rollover = DEFAULT_ROLLOVER;
  if (o.rollover !== undefined) {
    const r = o.rollover;
    if (typeof r !== 'number' || !Number.isSafeInteger(r) || r <= 0) {
      throw invalidArgument(`option rollover must be a positive integer number of bytes, got ${String(r)}`);
    }
    rollover = r;
  }
  return {
    createDirs: flag('createDirs'),
    readonly: flag('readonly'),
    keyIndex: flag('keyIndex'),
    timeIndex: flag('timeIndex'),
    autoSync: flag('autoSync'),
    check: flag('check'),
    exclusive: flag('exclusive'),
    rollover,
    retention: checkRetention(o.retention),
    backend: checkBackend(o.backend),
    maxOpenFiles: checkMaxOpenFiles(o.maxOpenFiles),
  };
}

/** The `maxOpenFiles` option: absent (`DEFAULT_MAX_OPEN_FILES`) or an integer ≥ 2 (the head and one sealed segment). */
function checkMaxOpenFiles(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_OPEN_FILES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 2) {
    throw invalidArgument(`option maxOpenFiles must be an integer of at least 2, got ${String(value)}`);
  }
  return value;
}

const BACKENDS: readonly StorageBackend[] = ['auto', 'sync', 'async'];

/** The `backend` option: absent (`auto`) or one of `BACKENDS`. */
function checkBackend(backend: unknown): StorageBackend {
  if (backend === undefined) return 'auto';
  if (!(BACKENDS as readonly unknown[]).includes(backend)) {
    throw invalidArgument(`option backend must be one of ${BACKENDS.join(', ')}, got ${String(backend)}`);
  }
  return backend as StorageBackend;
}

const RETENTION_LIMITS = ['maxCount', 'maxBytes', 'maxAgeMs'] as const;

/** The `retention` option: absent, or plain data with positive limits (integers for count and bytes). */
export function checkRetention(policy: unknown): RetentionPolicy {
  if (policy === undefined || policy === null) return {};
  if (typeof policy !== 'object' || Array.isArray(policy)) throw invalidArgument('option retention must be an object');
  const p = policy as Record<string, unknown>;
  for (const name of Object.keys(p)) {
    if (!(RETENTION_LIMITS as readonly string[]).includes(name)) {
      throw invalidArgument(`option retention has an unknown limit ${name}; known: ${RETENTION_LIMITS.join(', ')}`);
    }
  }
  const out: RetentionPolicy = {};
  for (const name of RETENTION_LIMITS) {
    const v = p[name];
    if (v === undefined) continue;
    const integer = name !== 'maxAgeMs';
    if (typeof v !== 'number' || !(integer ? Number.isSafeInteger(v) : Number.isFinite(v)) || v <= 0) {
      throw invalidArgument(
        `option retention.${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`,
      );
    }
    out[name] = v;
  }
  return out;
}
