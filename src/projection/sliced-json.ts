/**
 * A projection's state as JSON bytes with their CRC-32C, written a slice at a
 * time: a snapshot of a large state (10 MB of JSON takes ~200 ms to encode
 * here) must not hold the page, so the encoder gives the event loop a turn
 * whenever a slice has run its time. The state is never changed meanwhile:
 * a projection only saves states it has shown, and those are never changed
 * (projection.ts).
 *
 * It accepts exactly what JSON keeps: plain objects (and null-prototype
 * ones), arrays, strings, booleans, null and finite numbers. Anything that
 * would come back as something else is refused with `InvalidArgument`
 * naming where it is: NaN and ±Infinity (JSON writes null), a Map, a Set, a
 * Date or any other class instance (JSON writes `{}` or a string), a
 * BigInt, a function or symbol, `undefined` in an array, and a cycle. An
 * object property whose value is `undefined` is left out, as JSON does: it
 * reads back as absent, which reads as `undefined` too.
 */
import { crc32c } from '../codec/crc32.ts';
import { invalidArgument } from '../errors.ts';

/** Encoded bytes and their CRC-32C. */
export interface Checksummed {
  bytes: Uint8Array;
  crc: number;
}

/** How long a slice may run before the encoder yields: well under a 50 ms long task. */
const SLICE_MS = 8;
/** Characters gathered before they are turned into bytes (and checksummed). */
const FLUSH_CHARS = 1 << 16;
/** Values visited between two looks at the clock. */
const STEPS_PER_LOOK = 512;

const encoder = new TextEncoder();

/**
 * Ends the current task: the page renders and handles input before the next
 * slice. `scheduler.yield` where there is one (Chromium); else a message to
 * ourselves, since nested `setTimeout(0)`s wait 4 ms each (a 10 MB save took
 * 2.8 s in Firefox that way).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Runs `step` until it returns true, yielding whenever a slice has run its time. */
async function sliced(step: () => boolean): Promise<void> {
  let deadline = performance.now() + SLICE_MS;
  for (let n = 1; !step(); n++) {
    if (n % STEPS_PER_LOOK === 0 && performance.now() > deadline) {
      await nextTask();
      deadline = performance.now() + SLICE_MS;
    }
  }
}

/** Bytes gathered in pieces, checksummed as they come. */
class Output {
  private parts: string[] = [];
  private chars = 0;
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private crc = 0;

  text(s: string): void {
    this.parts.push(s);
    this.chars += s.length;
    if (this.chars >= FLUSH_CHARS) this.flush();
  }

  bytes(b: Uint8Array): void {
    this.crc = crc32c(b, 0, b.length, this.crc);
    this.chunks.push(b);
    this.size += b.length;
  }

  private flush(): void {
    if (this.chars === 0) return;
    this.bytes(encoder.encode(this.parts.join('')));
    this.parts = [];
    this.chars = 0;
  }

  done(): Checksummed {
    this.flush();
    const bytes = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return { bytes, crc: this.crc };
  }
}

/** A container being written: its entries, and how many are done. */
interface Frame {
  value: object;
  /** The keys of an object; null for an array. */
  keys: string[] | null;
  next: number;
  /** Whether an entry was written yet (an object's undefined properties are not). */
  written: boolean;
  /** Where it is in the state, for error messages. */
  path: string;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return typeof value;
  return `a ${value.constructor?.name ?? 'class instance'}`;
}

function refuse(value: unknown, path: string): never {
  throw invalidArgument(
    `the state holds ${describe(value)} at ${path || 'its top'}, which JSON cannot keep: give the projection a snapshot codec`,
  );
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The JSON text of a value that is not an object or array; refuses what JSON cannot keep. */
function scalar(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isFinite(v) ? String(v) : refuse(v, path);
    default:
      return refuse(v, path);
  }
}

/** `value` as JSON bytes with their CRC-32C, in slices; see the module comment. */
export async function encodeJson(value: unknown): Promise<Checksummed> {
  const out = new Output();
  const stack: Frame[] = [];
  const open = new Set<object>();

  const write = (v: unknown, path: string): void => {
    if (v !== null && typeof v === 'object') openContainer(v, path);
    else out.text(scalar(v, path));
  };

  const openContainer = (v: object, path: string): void => {
    if (open.has(v)) throw invalidArgument(`the state has a cycle at ${path || 'its top'}, which JSON cannot keep`);
    const array = Array.isArray(v);
    if (!array && !isPlain(v)) refuse(v, path);
    open.add(v);
    out.text(array ? '[' : '{');
    stack.push({ value: v, keys: array ? null : Object.keys(v), next: 0, written: false, path });
  };

  const step = (): boolean => {
    const frame = stack.at(-1);
    if (!frame) return true;
    const { value, keys } = frame;
    if (keys === null) {
      const items = value as unknown[];
      if (frame.next === items.length) return close(frame, ']');
      const i = frame.next++;
      if (i > 0) out.text(',');
      const item = items[i];
      write(item === undefined ? refuse(item, `${frame.path}[${i}]`) : item, `${frame.path}[${i}]`);
      return false;
    }
    // Properties that are undefined are left out, as JSON leaves them.
    while (frame.next < keys.length && (value as Record<string, unknown>)[keys[frame.next]!] === undefined)
      frame.next++;
    if (frame.next === keys.length) return close(frame, '}');
    const key = keys[frame.next++]!;
    out.text(frame.written ? `,${JSON.stringify(key)}:` : `${JSON.stringify(key)}:`);
    frame.written = true;
    write((value as Record<string, unknown>)[key], `${frame.path}.${key}`);
    return false;
  };

  const close = (frame: Frame, bracket: string): boolean => {
    out.text(bracket);
    open.delete(frame.value);
    stack.pop();
    return stack.length === 0;
  };

  write(value, '');
  if (stack.length > 0) await sliced(step);
  return out.done();
}

/** The CRC-32C of bytes a codec made, a slice at a time. */
export async function checksum(bytes: Uint8Array): Promise<Checksummed> {
  const PIECE = 1 << 20;
  let crc = 0;
  for (let at = 0; at < bytes.length; at += PIECE) {
    if (at > 0) await nextTask();
    crc = crc32c(bytes, at, Math.min(at + PIECE, bytes.length), crc);
  }
  return { bytes, crc };
}

/** The state a JSON snapshot holds. */
export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}
