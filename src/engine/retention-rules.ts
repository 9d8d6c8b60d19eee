/**
 * Retention's rules, each written once: which of a log's oldest messages a
 * trim removes, by count, size, age or offset (klevdb's FindByCount,
 * FindBySize, FindByAge, FindByOffset), and how offsets spread over segments
 * are deleted (klevdb's DeleteMulti). Pure functions over what a message is
 * to them (`{ offset, size, time }`), so that the `retention` option inside
 * the engine (engine/retention.ts) and the trim functions over a public `Log`
 * (src/retention/) make the same choices. It sits in the engine's layer, the
 * lower of the two, so that both can import it.
 *
 * Every rule removes a prefix of the log: from the oldest message on, up to
 * the first message the rule keeps. A message behind that one stays even if
 * the rule, looking at it alone, would take it (klevdb: "from the start").
 */

/** What a rule looks at of a stored message. */
export interface RetainedMessage {
  readonly offset: number;
  /** Bytes it takes of `stat().size`: its record and its index entry (`Log.size`). */
  readonly size: number;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/** What a trim has taken before the message a rule looks at. */
export interface Taken {
  /** Messages taken. */
  readonly count: number;
  /** Their `size`s, summed. */
  readonly size: number;
}

/** Whether `message` goes, given what went before it; the first message a rule keeps ends the trim. */
export type Rule<M = RetainedMessage> = (message: M, taken: Taken) => boolean;

/** The oldest messages over `max` of the `stored` ones: at most `max` remain. */
export function byCount(stored: number, max: number): Rule<unknown> {
  return (_message, taken) => stored - taken.count > max;
}

/**
 * The oldest messages whose going brings `total` bytes below `maxBytes`:
 * a log below the bound loses nothing, one exactly at it loses its oldest
 * message, and a bound of 0 takes every message (klevdb's rule).
 */
export function bySize(total: number, maxBytes: number): Rule<unknown> {
  return (_message, taken) => total - taken.size >= maxBytes;
}

/** The messages at or before `before` (ms), up to the first after it. */
export function byAge(before: number): Rule<Pick<RetainedMessage, 'time'>> {
  return (message) => message.time <= before;
}

/** The messages before offset `before`. */
export function byOffset(before: number): Rule<Pick<RetainedMessage, 'offset'>> {
  return (message) => message.offset < before;
}

/** What a trim needs of every message it looks at, whatever its rule. */
export type Sized = Pick<RetainedMessage, 'offset' | 'size'>;

/** A trim in progress: offered the messages oldest first, it takes each its rule lets go, up to the first it keeps. */
export class Trim<M extends Sized> {
  /** The offsets taken, oldest first. */
  readonly offsets: number[] = [];
  private size = 0;

  constructor(private readonly rule: Rule<M>) {}

  /** Whether `message` goes; once false, the trim is over: offer no more. */
  take(message: M): boolean {
    if (!this.rule(message, { count: this.offsets.length, size: this.size })) return false;
    this.offsets.push(message.offset);
    this.size += message.size;
    return true;
  }
}

/** The offsets `rule` removes of `messages` (oldest first), looking no further than the first it keeps. */
export function removed<M extends Sized>(messages: Iterable<M>, rule: Rule<M>): number[] {
  const trim = new Trim(rule);
  for (const message of messages) if (!trim.take(message)) break;
  return trim.offsets;
}

/** `removed` over messages that arrive one by one (read from storage as the rule asks for them). */
export async function removedOf<M extends Sized>(messages: AsyncIterable<M>, rule: Rule<M>): Promise<number[]> {
  const trim = new Trim(rule);
  for await (const message of messages) if (!trim.take(message)) break;
  return trim.offsets;
}

/** Whether `rule` removes anything of `messages`: whether it takes the oldest. */
export function removesAny<M extends Sized>(messages: Iterable<M>, rule: Rule<M>): boolean {
  for (const message of messages) return rule(message, { count: 0, size: 0 });
  return false;
}

/** What one delete call removed. */
export interface Deleted {
  readonly deletedOffsets: Iterable<number>;
  readonly deletedSize: number;
}

/**
 * klevdb's DeleteMulti: a delete removes what one segment holds of the
 * offsets asked for, so deleting offsets spread over many segments takes a
 * call per segment. Calls `deleteSome` with the offsets not yet deleted until
 * none is left or a call deletes nothing (the rest no longer exist); resolves
 * to everything deleted. A call that rejects rejects this; what earlier calls
 * deleted stays deleted.
 */
export async function deleteInRounds(
  offsets: Iterable<number>,
  deleteSome: (remaining: ReadonlySet<number>) => Promise<Deleted>,
): Promise<{ deletedOffsets: Set<number>; deletedSize: number }> {
  const remaining = new Set(offsets);
  const deletedOffsets = new Set<number>();
  let deletedSize = 0;
  while (remaining.size > 0) {
    const result = await deleteSome(remaining);
    let count = 0;
    for (const offset of result.deletedOffsets) {
      deletedOffsets.add(offset);
      remaining.delete(offset);
      count++;
    }
    if (count === 0) break;
    deletedSize += result.deletedSize;
  }
  return { deletedOffsets, deletedSize };
}
