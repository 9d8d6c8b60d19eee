/**
 * How a local message travels in a stream message: the value is the payload
 * (a null value travels as an empty payload, and reads back as null, as the
 * core reads a zero-length value), and the rest rides in headers. A message
 * id `<source>:<offset>` lets the server drop a repeated publish and lets the
 * next publish of a window name its predecessor (`expect.lastMsgID`).
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { Message, NewMessage } from '../types.ts';

/** The local offset, in decimal. */
export const HEADER_OFFSET = 'Opfs-Log-Offset';
/** The message's time in milliseconds since the epoch, as JavaScript prints the number (exact, fractions kept). */
export const HEADER_TIME = 'Opfs-Log-Time';
/** The key in base64; absent for a null key. */
export const HEADER_KEY = 'Opfs-Log-Key';
/** The pushing log's random id, kept with its checkpoint. */
export const HEADER_SOURCE = 'Opfs-Log-Source';

export function messageId(source: string, offset: number): string {
  return `${source}:${offset}`;
}

/** The headers of a pushed message. */
export function toHeaders(source: string, message: Message): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER_OFFSET, String(message.offset));
  h.set(HEADER_TIME, String(message.time));
  h.set(HEADER_SOURCE, source);
  if (message.key) h.set(HEADER_KEY, toBase64(message.key));
  return h;
}

/** The source and offset a stream message carries, or null when it was not pushed by opfs-log. */
export function originOf(h: MsgHdrs | undefined): { source: string; offset: number } | null {
  const source = h?.get(HEADER_SOURCE);
  const offset = Number(h?.get(HEADER_OFFSET));
  if (!source || !h?.has(HEADER_OFFSET) || !Number.isSafeInteger(offset) || offset < 0) return null;
  return { source, offset };
}

/**
 * The local message a stream message becomes when pulled: key, time and
 * value as pushed when it came from a push, else key null, the stream's
 * timestamp, and the payload as value.
 */
export function toNewMessage(h: MsgHdrs | undefined, data: Uint8Array, streamTimeMs: number): NewMessage {
  const value = data.length > 0 ? data : null;
  if (!originOf(h)) return { key: null, value, time: streamTimeMs };
  const time = Number(h!.get(HEADER_TIME));
  const key = h!.get(HEADER_KEY);
  return { key: key ? fromBase64(key) : null, value, time: Number.isFinite(time) && time > 0 ? time : streamTimeMs };
}

const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += CHUNK) text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
