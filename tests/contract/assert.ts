/**
 * Tiny assertions for the contract suite. They throw a plain `Error` with a
 * message that says what was expected and what came, so the suite runs the
 * same under vitest in Node and inside a Chromium page (no test framework).
 */
import { LogError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

export function fail(message: string): never {
  throw new AssertionError(message);
}

export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Strict equality (`Object.is`, except that 0 and -0 are equal). */
export function equal<T>(actual: T, expected: T, what: string): void {
  if (!(actual === expected || Object.is(actual, expected))) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** |actual - expected| <= epsilon. */
export function near(actual: number, expected: number, epsilon: number, what: string): void {
  if (typeof actual !== 'number' || !(Math.abs(actual - expected) <= epsilon)) {
    fail(`${what}: expected ${expected} ± ${epsilon}, got ${show(actual)}`);
  }
}

/** Structural equality for primitives, typed arrays, arrays, Sets, Maps, Dates and plain objects. */
export function deepEqual(actual: unknown, expected: unknown, what: string): void {
  const diff = difference(actual, expected, '');
  if (diff !== null) fail(`${what}: ${diff}`);
}

function difference(actual: unknown, expected: unknown, path: string): string | null {
  const at = path === '' ? '' : ` at ${path}`;
  if (actual === expected || Object.is(actual, expected)) return null;
  if (ArrayBuffer.isView(expected)) {
    if (!ArrayBuffer.isView(actual) || tag(actual) !== tag(expected)) {
      return `expected ${show(expected)}${at}, got ${show(actual)}`;
    }
    const a = new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength);
    const e = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
    if (a.length !== e.length) return `expected ${e.length} bytes${at}, got ${a.length} bytes`;
    for (let i = 0; i < e.length; i++) {
      if (a[i] !== e[i]) return `bytes differ${at}[${i}]: expected ${e[i]}, got ${a[i]}`;
    }
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `expected an array${at}, got ${show(actual)}`;
    if (actual.length !== expected.length) {
      return `expected length ${expected.length}${at}, got ${actual.length}: ${show(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const d = difference(actual[i], expected[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (expected instanceof Set) {
    if (!(actual instanceof Set)) return `expected a Set${at}, got ${show(actual)}`;
    if (actual.size !== expected.size || [...expected].some((v) => !actual.has(v))) {
      return `expected ${show(expected)}${at}, got ${show(actual)}`;
    }
    return null;
  }
  if (expected instanceof Map) {
    if (!(actual instanceof Map)) return `expected a Map${at}, got ${show(actual)}`;
    if (actual.size !== expected.size) return `expected ${show(expected)}${at}, got ${show(actual)}`;
    for (const [k, v] of expected) {
      if (!actual.has(k)) return `missing key ${show(k)}${at}`;
      const d = difference(actual.get(k), v, `${path}.get(${show(k)})`);
      if (d !== null) return d;
    }
    return null;
  }
  if (expected instanceof Date) {
    if (!(actual instanceof Date) || actual.getTime() !== expected.getTime()) {
      return `expected ${show(expected)}${at}, got ${show(actual)}`;
    }
    return null;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `expected an object${at}, got ${show(actual)}`;
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join(',') !== ak.join(',')) return `expected keys [${ek}]${at}, got [${ak}]`;
    for (const k of ek) {
      const d = difference(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d !== null) return d;
    }
    return null;
  }
  return `expected ${show(expected)}${at}, got ${show(actual)}`;
}

function tag(value: unknown): string {
  return Object.prototype.toString.call(value);
}

/** A short, readable rendering of a value for failure messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) {
    return String(value);
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const head = Array.from(bytes.subarray(0, 16)).join(',');
    return `${tag(value).slice(8, -1)}(${bytes.length})[${head}${bytes.length > 16 ? ',…' : ''}]`;
  }
  if (value instanceof Set) return `Set{${[...value].slice(0, 20).map(show).join(',')}${value.size > 20 ? ',…' : ''}}`;
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${code === undefined ? '' : `[${String(code)}]`}: ${value.message}`;
  }
  if (Array.isArray(value)) return `[${value.slice(0, 10).map(show).join(', ')}${value.length > 10 ? ', …' : ''}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).slice(0, 8);
    return `{${entries.map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`;
  }
  return String(value);
}

const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Resolves or rejects as `promise` does, but rejects with an AssertionError if
 * it takes longer than `ms` (the contract says some answers come "at once").
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    const result = await Promise.race([promise, timeout]);
    if (result === TIMED_OUT) fail(`${what}: no answer within ${ms} ms`);
    return result as T;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `action` and checks that the promise it returns rejects with a
 * `LogError` of the given `code`. A synchronous throw is a failure too: the
 * contract says these methods reject. Resolves to the error for more checks.
 */
export async function rejectsWith(
  action: () => Promise<unknown>,
  code: ErrorCode,
  what: string,
  timeoutMs = 5000,
): Promise<LogError> {
  let promise: Promise<unknown>;
  try {
    promise = action();
  } catch (err) {
    fail(`${what}: expected a promise rejecting ${code}, but it threw synchronously: ${show(err)}`);
  }
  if (!(promise instanceof Promise) && typeof (promise as { then?: unknown } | null)?.then !== 'function') {
    fail(`${what}: expected a promise rejecting ${code}, got ${show(promise)}`);
  }
  let value: unknown;
  try {
    value = await withTimeout(promise, timeoutMs, what);
  } catch (err) {
    if (err instanceof AssertionError) throw err;
    if (!(err instanceof LogError)) {
      fail(`${what}: expected a LogError ${code}, got ${show(err)}`);
    }
    if (err.code !== code) fail(`${what}: expected LogError ${code}, got ${show(err)}`);
    return err;
  }
  return fail(`${what}: expected a rejection with ${code}, but it resolved to ${show(value)}`);
}
