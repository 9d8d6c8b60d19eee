// How the explorer shows bytes, times and sizes.

export type ValueView = 'text' | 'json' | 'hex';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const looseUtf8 = new TextDecoder('utf-8');
/** Hex shows at most this many bytes of a value. */
const HEX_LIMIT = 1024;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} ${n === 1 ? 'byte' : 'bytes'}` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The time in the reader's locale, e.g. "11 Jun 2024, 17:30:12". */
export function localTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The time in ISO 8601 (UTC), e.g. "2024-06-11T15:30:12.345Z". */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A time as an `<input type="datetime-local">` value (local, to the second). */
export function toDatetimeLocal(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "48 65 6c 6c 6f", 16 bytes a line, cut after `limit` bytes. */
export function hex(bytes: Uint8Array, limit = HEX_LIMIT): string {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, limit);
  for (let at = 0; at < shown; at += 16) {
    lines.push([...bytes.subarray(at, Math.min(shown, at + 16))].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  if (bytes.length > shown) lines.push(`… ${bytes.length - shown} more bytes`);
  return lines.join('\n');
}

/** The bytes as UTF-8 text, or null if they are not valid UTF-8. */
export function utf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A key as text, or as hex when it is binary; null for no key. */
export function formatKey(key: Uint8Array | null): string | null {
  if (key === null) return null;
  return utf8(key) ?? `0x${hex(key, 64).replace(/[\s…]|more bytes/g, '')}`;
}

/** A value shown the chosen way; `note` says when the chosen way did not apply. */
export function formatValue(value: Uint8Array | null, view: ValueView): { text: string; note?: string } {
  if (value === null) return { text: '', note: 'no value (tombstone)' };
  if (view === 'hex') return { text: hex(value) };
  const text = utf8(value);
  if (text === null) return { text: hex(value), note: 'binary: shown as hex' };
  if (view === 'json') {
    try {
      return { text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      return { text: looseUtf8.decode(value), note: 'not JSON: shown as text' };
    }
  }
  return { text };
}
