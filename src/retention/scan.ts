/**
 * Reading a log from its oldest message on, as klevdb's Find* functions do:
 * by `consume`, in batches, up to the next offset the scan began at (what
 * is published meanwhile is not looked at).
 */
import { type Rule, Trim } from '../engine/retention-rules.ts';
import { OffsetOldest, type Log, type Message } from '../types.ts';

/** Messages per `consume` of a scan: few trips to the worker, little memory held. */
export const SCAN_BATCH = 256;

/** Calls `visit` on each message from the oldest on, in offset order, until it returns false. */
export async function scan(
  log: Pick<Log, 'consume' | 'nextOffset'>,
  visit: (message: Message) => boolean | void,
): Promise<void> {
  const end = await log.nextOffset();
  let at = OffsetOldest;
  for (;;) {
    const batch = await log.consume(at, SCAN_BATCH);
    for (const message of batch.messages) {
      if (message.offset >= end || visit(message) === false) return;
    }
    // consume returns nothing only when caught up.
    if (batch.messages.length === 0 || batch.nextOffset >= end) return;
    at = batch.nextOffset;
  }
}

/** The offsets `rule` (engine/retention-rules.ts) removes of the log, scanning from the oldest message on. */
export async function find(log: Log, rule: Rule): Promise<Set<number>> {
  const trim = new Trim(rule);
  await scan(log, (m) => trim.take({ offset: m.offset, size: log.size(m), time: m.time }));
  return new Set(trim.offsets);
}
