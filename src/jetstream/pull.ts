/**
 * `pull`: a stream (or one subject filter of it) into a local log, exactly
 * once and in stream order, through an ordered consumer that starts after
 * the checkpoint.
 *
 * The checkpoint { localNext, streamSeq } is written after each batch is in
 * the log, in the background (it may lag by several batches), so a crash
 * leaves the log ahead of it by k messages: the first k messages the consumer delivers were applied already.
 * They are skipped, and the last of them is compared with the log's last
 * message, which holds only while the puller is the log's one writer (hence
 * that rule, and `Diverged` when it is broken).
 */
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Log, Message, NewMessage } from '../types.ts';
import { CheckpointWriter, type PullCheckpoint } from './checkpoint.ts';
import { ReplicationError } from './errors.ts';
import { toNewMessage } from './headers.ts';
import { onAbort, startReplication, type Replicator, type SessionContext } from './replication.ts';
import { ensureStream } from './resync/stream.ts';
import type { StatusHub } from './status.ts';
import type { PullOptions, Replication } from './types.ts';
import { checkLog, checkPullOptions } from './validate.ts';

/** Most messages per local publish (one atomic batch in the log). */
const BATCH = 1000;
/**
 * The consumer's idle heartbeat. nats-server before 2.9.16 (Debian 12 ships
 * 2.9.10) drops a pull request that expires just as a message arrives
 * without the 408 that makes the client ask again; the client then notices
 * only when two heartbeats are missed. At the default (half the request's
 * 30 s) that left a pull online with lag and nothing arriving for 30-45 s.
 */
const HEARTBEAT_MS = 2_000;

/**
 * Mirrors `options.stream` (only `options.subject` when given) into `log`:
 * every message from its checkpoint on (the first time, from the stream's
 * first message), then each new one as it arrives, exactly once and in
 * stream order, each batch one atomic publish. A message pushed by `push`
 * gets back its key, time and value; any other gets key null, the stream's
 * timestamp as time and its payload as value (an empty one as null).
 *
 * - The log must be a writer (not readonly), and the puller its only
 *   writer: a pull resumes by counting the log's messages after its
 *   checkpoint. A log that already holds messages the first time, or is
 *   written by anything else meanwhile, fails `Diverged` (`reset` makes a
 *   pull append after what the log holds, from the stream's start).
 * - Offline it waits and catches up when the server is back; `lag` is what
 *   the server last said remained.
 * - Deleting, trimming or compacting the pulled log is fine (offsets stay);
 *   nothing of it goes back to the stream.
 * - Throws `ReplicationError` `InvalidArgument` at once for bad options or
 *   something that is not a byte `Log`.
 */
export function pull(log: Log, options: PullOptions): Replication {
  checkLog(log, 'pull');
  const o = { ...checkPullOptions(options) };
  return startReplication('pull', o.subject ?? '', log, o, new Puller(log, o));
}

/** The ordered consumer's time for a message, in ms with microseconds. */
function streamTimeMs(m: JsMsg): number {
  return Math.round(m.info.timestampNanos / 1_000) / 1_000;
}

function sameMessage(a: NewMessage, b: Message): boolean {
  const bytes = (x: Uint8Array | null | undefined, y: Uint8Array | null) =>
    (x?.length ?? 0) === (y?.length ?? 0) && (x ?? []).every((v, i) => v === y![i]);
  return bytes(a.key, b.key) && bytes(a.value, b.value) && Math.abs((a.time ?? 0) - b.time) < 0.002;
}

class Puller implements Replicator {
  private checkpoint: PullCheckpoint | null = null;
  private writer: CheckpointWriter | null = null;
  private hub: StatusHub | null = null;

  constructor(
    private readonly log: Log,
    private readonly options: PullOptions,
  ) {}

  async prepare({ store, key, hub }: Parameters<Replicator['prepare']>[0]): Promise<void> {
    this.hub = hub;
    const next = await this.log.nextOffset();
    let cp = this.options.reset ? undefined : await store.load<PullCheckpoint>(key);
    if (!cp) {
      if (next > 0 && !this.options.reset) {
        throw new ReplicationError(
          'Diverged',
          `the log already holds messages (next offset ${next}) and this pull has no checkpoint: pull into an empty log (or pass reset: true to append after them)`,
        );
      }
      cp = { localNext: next, streamSeq: 0 };
      await store.save(key, cp);
    }
    if (next < cp.localNext) {
      throw new ReplicationError(
        'Diverged',
        `the log's next offset is ${next}, but ${cp.localNext} messages were pulled into it: it was recreated or restored from an older copy`,
      );
    }
    this.checkpoint = cp;
    hub.update({ position: cp.streamSeq });
  }

  async session(ctx: SessionContext): Promise<void> {
    const filter = this.options.subject;
    await ensureStream(ctx.link.jsm, this.options, filter ? [filter] : []);
    const cp = this.checkpoint!;
    const next = await this.log.nextOffset();
    if (next < cp.localNext)
      throw new ReplicationError('Diverged', `the log's next offset went back from ${cp.localNext} to ${next}`);
    const consumer = await ctx.link.js.consumers.get(this.options.stream, {
      ...(filter ? { filter_subjects: filter } : {}),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: cp.streamSeq + 1,
    });
    const pending = (await consumer.info()).num_pending;
    const skip = next - cp.localNext;
    this.hub?.update({ lag: Math.max(0, pending - skip) });
    if (!ctx.online()) return;
    const messages = await consumer.consume({ max_messages: BATCH * 2, idle_heartbeat: HEARTBEAT_MS });
    const forget = onAbort(ctx.signal, () => void messages.stop());
    try {
      await this.apply(ctx, messages, skip);
    } finally {
      forget();
      messages.stop();
    }
  }

  /**
   * Delivered messages into the log, a batch at a time: full, or whatever
   * arrived once nothing more is at hand (received and not yet processed).
   * Not when the server's pending count reaches 0: it says more is coming,
   * not when, and a batch held for it waits on a stalled request (see
   * HEARTBEAT_MS) or a count that is off.
   */
  private async apply(ctx: SessionContext, messages: ConsumerMessages, skip: number): Promise<void> {
    let batch: JsMsg[] = [];
    // One local publish in flight while the next batch arrives: reading and writing overlap (a pull whose every
    // batch waited for its publish and checkpoint read far slower than the ordered consumer: BENCHMARKS.md).
    let applying: Promise<void> = Promise.resolve();
    try {
      for await (const m of messages) {
        if (ctx.signal.aborted) return;
        if (skip > 0) {
          skip--;
          if (skip === 0) await this.verifyApplied(ctx, m);
          continue;
        }
        batch.push(m);
        if (batch.length >= BATCH || messages.getReceived() === messages.getProcessed()) {
          await applying; // in order: a batch is published only after the previous one is in the log
          // A failure ends the consumer at once, and the `finally` below throws it: no waiting for a next message.
          applying = this.publish(ctx, batch).catch((err: unknown) => {
            messages.stop();
            throw err;
          });
          applying.catch(() => undefined); // awaited above or below
          batch = [];
        }
      }
    } finally {
      await applying;
      await this.writer?.flush();
    }
    if (!ctx.signal.aborted)
      throw new ReplicationError(
        'Unreachable',
        'the consumer ended (the stream was deleted, or the connection closed)',
      );
  }

  /** After a crash between a local publish and its checkpoint: the log's last message must be the last one skipped. */
  private async verifyApplied(ctx: SessionContext, m: JsMsg): Promise<void> {
    const next = await this.log.nextOffset();
    const local = await this.log.get(next - 1).catch(() => null); // deleted since: nothing to compare
    if (local && !sameMessage(toNewMessage(m.headers, m.data, streamTimeMs(m)), local)) {
      throw new ReplicationError(
        'Diverged',
        `the log's last message (offset ${next - 1}) is not stream message ${m.seq}: the log was written by something else than this pull`,
      );
    }
    await this.commit(ctx, { localNext: next, streamSeq: m.seq }, m.info.pending);
  }

  private async publish(ctx: SessionContext, batch: JsMsg[]): Promise<void> {
    const cp = this.checkpoint!;
    const last = batch.at(-1);
    if (!last) return; // nothing delivered, nothing to publish
    const next = await this.log.publish(batch.map((m) => toNewMessage(m.headers, m.data, streamTimeMs(m))));
    if (next !== cp.localNext + batch.length) {
      await this.commit(ctx, { localNext: next, streamSeq: last.seq }, last.info.pending);
      await this.writer?.flush();
      throw new ReplicationError(
        'Diverged',
        `the log was written by something else than this pull (next offset ${next}, expected ${cp.localNext + batch.length}); a pulled log takes one writer, its pull`,
      );
    }
    void this.commit(ctx, { localNext: next, streamSeq: last.seq }, last.info.pending);
  }

  /**
   * The checkpoint, written in the background (one strict IndexedDB write at
   * a time, the latest value only): it may lag the log by any number of
   * batches, which a resume skips by counting (see the top of this file), but
   * never lead it, since it is asked for only after the batch is in the log.
   */
  private commit(ctx: SessionContext, cp: PullCheckpoint, pending: number): Promise<void> {
    this.checkpoint = cp;
    this.writer ??= new CheckpointWriter(ctx.store, ctx.key);
    this.hub?.update({ position: cp.streamSeq, lag: pending });
    return this.writer.write(cp);
  }
}
