// Reading a log a page at a time, oldest or newest first, from any offset.
// The log reads forward only (consume), so a newest-first page reads a window
// below its top offset and widens it until the page is full (deleted offsets
// leave holes) or the log's start is reached.
import { OffsetOldest } from '../src/index.ts';
import type { Log, Message } from '../src/index.ts';

export type Order = 'oldest' | 'newest';

export interface Page {
  /** In display order. */
  messages: Message[];
  /** Where the following page starts (further in the chosen order), or null if this is the last. */
  following: number | null;
}

/** Messages from `start` (an offset or OffsetOldest) on, at most `max`; stops once past `until`. */
async function readForward(
  log: Log,
  start: number,
  max: number,
  until = Infinity,
): Promise<{ messages: Message[]; next: number }> {
  const messages: Message[] = [];
  let at = start;
  for (;;) {
    const batch = await log.consume(at, max - messages.length);
    for (const m of batch.messages) {
      if (m.offset > until) return { messages, next: m.offset };
      messages.push(m);
    }
    const caughtUp = batch.messages.length === 0 && batch.nextOffset <= at;
    at = batch.nextOffset;
    if (messages.length >= max || caughtUp || at > until) return { messages, next: at };
  }
}

/** A page in offset order from `from` (null: the oldest message). */
async function oldestFirst(log: Log, from: number | null, size: number): Promise<Page> {
  const { messages, next } = await readForward(log, from ?? OffsetOldest, size);
  const more = messages.length === size && next < (await log.nextOffset());
  return { messages, following: more ? next : null };
}

/** A page in reverse offset order from `top` down (null: the newest message). */
async function newestFirst(log: Log, top: number | null, size: number): Promise<Page> {
  let high = top ?? (await log.nextOffset()) - 1;
  let found: Message[] = [];
  let window = size;
  while (high >= 0 && found.length < size) {
    const low = Math.max(0, high - window + 1);
    const { messages } = await readForward(log, low, high - low + 1, high);
    found = [...messages, ...found];
    high = low - 1;
    window *= 2;
  }
  const page = found.slice(-size).reverse();
  const lowest = page.at(-1)?.offset;
  const oldest = (await log.consume(OffsetOldest, 1)).messages[0]?.offset;
  const more = lowest !== undefined && oldest !== undefined && lowest > oldest;
  return { messages: page, following: more ? lowest - 1 : null };
}

export function readPage(log: Log, order: Order, from: number | null, size: number): Promise<Page> {
  return order === 'oldest' ? oldestFirst(log, from, size) : newestFirst(log, from, size);
}

/** A page of the messages with exactly `key`, in offset order from `from` (null: the oldest). */
export async function readKeyPage(log: Log, key: Uint8Array, from: number | null, size: number): Promise<Page> {
  const batch = await log.consumeByKey(key, from ?? OffsetOldest, size);
  const more = batch.messages.length === size && batch.nextOffset < (await log.nextOffset());
  return { messages: batch.messages, following: more ? batch.nextOffset : null };
}
