/**
 * `push`: a local log into one stream subject, exactly once and in order.
 *
 * Every session starts with a resync (resync/stream.ts and `resync` below):
 * the stream's last sequence L, and the last message on our subject, which
 * must be ours (our source id in its headers) and names the local offset N
 * it carries; pushing continues at the first local offset after N. Then a
 * window of publishes in flight, the i-th after the resync expecting the
 * stream's last sequence to be L + i and, for i = 0, the subject's last
 * sequence to be the one resync read, for i > 0 the stream's last message id
 * to be message i-1's. So message i can only be stored right after message
 * i-1: what the stream accepts of a window is always a prefix of it, whatever
 * failed (a disconnect, a leader election, another device publishing to
 * another subject of the stream), and the next resync continues after that
 * prefix. No gap, no repeat; under contention only slower.
 */
import type { Log, Message } from '../types.ts';
import type { PubAck } from '@nats-io/jetstream';
import type { PushCheckpoint } from './checkpoint.ts';
import { DEFAULT_TIMEOUT_MS, type Link } from './connect.ts';
import { invalid, isExpectationFailure, ReplicationError, toReplicationError } from './errors.ts';
import { HEADER_KEY, messageId, originOf, toHeaders } from './headers.ts';
import { onAbort, Resync, startReplication, type Replicator, type SessionContext } from './replication.ts';
import { checkCaptures, ensureStream, lastOnSubject } from './resync/stream.ts';
import type { StatusHub } from './status.ts';
import type { PushOptions, Replication, ReplicationStatus } from './types.ts';
import { checkLog, checkPushOptions, OffsetNewest, OffsetOldest } from './validate.ts';

/** Publishes in flight: a window of them, not one at a time, is what lets a push keep up (BENCHMARKS.md). */
const WINDOW = 256;
const READ_BATCH = 256;
/** How often a long push writes its checkpoint (it also does whenever it catches up). */
const CHECKPOINT_EVERY_MS = 1_000;
/** Bytes of a message's framing and our headers besides their values (a safe overestimate). */
const HEADER_OVERHEAD = 256;
const EMPTY = new Uint8Array(0);

/**
 * Replicates `log` into `options.subject` of `options.stream`: every message
 * from the checkpoint on (the first time: from `options.from`), then each
 * new one as it is published, exactly once and in offset order, with its
 * key, time and offset in headers (`Opfs-Log-Key` in base64, absent for a
 * null key; `Opfs-Log-Time` in ms; `Opfs-Log-Offset`; `Opfs-Log-Source`,
 * this log's random id) and its value as the payload (a null value as an
 * empty one). The message id is `<source>:<offset>`.
 *
 * - Local publishing is never slowed or failed by it; it reads the log as
 *   any reader does. Offline it waits and catches up when the server is back.
 * - Deletes, trims and compaction of the local log are not replicated: what
 *   was pushed stays in the stream. A message deleted before it was pushed
 *   is skipped; the position moves past it.
 * - Resuming (a reload, a crash, a reconnect) checks the stream, not only
 *   the checkpoint: it continues after the last message of this log there.
 *   The subject must have no other writer (else `Diverged`). A stream that
 *   lost this log's last messages (restored from an older backup) gets them
 *   again; one whose subject holds none of them although they were pushed
 *   (purged, recreated) fails `Diverged` unless `reset` (messages removed by
 *   the stream's own limits, `max_age` or `max_msgs`, are not a divergence).
 * - The log may be a readonly one, or a writer in any tab; with Web Locks
 *   one tab per (log, stream, subject, `name`) pushes and the others stand by.
 * - Throws `ReplicationError` `InvalidArgument` at once for bad options or
 *   something that is not a byte `Log`.
 */
export function push(log: Log, options: PushOptions): Replication {
  checkLog(log, 'push');
  const o = { ...checkPushOptions(options) };
  return startReplication('push', o.subject, log, o, new Pusher(log, o));
}

interface Basis {
  /** The stream's last sequence at the resync. */
  last: number;
  /** The last sequence on our subject then (0: none). */
  lastOnSubject: number;
  /** The first local offset to push. */
  position: number;
  /** The stream sequence of our last message there (0: none). */
  streamSeq: number;
}

interface InFlight {
  ack: Promise<PubAck>;
  offset: number;
  seq: number;
}

function newSourceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

class Pusher implements Replicator {
  private checkpoint: PushCheckpoint = { source: '', position: -1, streamSeq: 0 };
  private localNext = 0;
  private lastSave = 0;
  private saving: Promise<void> = Promise.resolve();
  private hub: StatusHub | null = null;

  constructor(
    private readonly log: Log,
    private readonly options: PushOptions,
  ) {}

  async prepare({ store, key, hub, signal }: Parameters<Replicator['prepare']>[0]): Promise<void> {
    this.hub = hub;
    const stored = await store.load<PushCheckpoint>(key);
    // The source id is durable before anything carries it, or a restart would take its own messages for another writer's.
    this.checkpoint =
      stored && !this.options.reset ? stored : { source: stored?.source ?? newSourceId(), position: -1, streamSeq: 0 };
    if (!stored || this.options.reset) await store.save(key, this.checkpoint);
    this.localNext = await this.log.nextOffset();
    this.show();
    void this.watchLocal(signal);
  }

  /** `caughtUp()`: every message published before the call is in the stream (newer ones may not be yet). */
  async caughtUpWhen(): Promise<(s: ReplicationStatus) => boolean> {
    const next = await this.log.nextOffset();
    return (s) => s.position >= next;
  }

  /** Keeps `lag` true while the push waits or is offline: wakes on each local publish. */
  private async watchLocal(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.log.consumeBlocking(this.localNext, 1, { signal });
        this.localNext = Math.max(this.localNext, await this.log.nextOffset());
        this.show();
      } catch {
        return; // stopped, or the log closed (the session reports that)
      }
    }
  }

  private show(): void {
    const position = Math.max(0, this.checkpoint.position);
    this.hub?.update({ position, lag: Math.max(0, this.localNext - position) });
  }

  private advance(position: number, streamSeq: number): void {
    this.checkpoint = { ...this.checkpoint, position, streamSeq };
    this.localNext = Math.max(this.localNext, position);
  }

  /** Writes the checkpoint (at most every second unless `force`); a failed write only costs a longer resync. */
  private save(ctx: SessionContext, force: boolean): Promise<void> {
    if (!force && Date.now() - this.lastSave < CHECKPOINT_EVERY_MS) return this.saving;
    this.lastSave = Date.now();
    const value = { ...this.checkpoint };
    this.saving = this.saving.then(() => ctx.store.save(ctx.key, value)).catch(() => undefined);
    return this.saving;
  }

  async session(ctx: SessionContext): Promise<void> {
    const subject = this.options.subject;
    const info = await ensureStream(ctx.link.jsm, this.options, [subject]);
    checkCaptures(info, subject);
    const basis = await this.resync(ctx.link, info.state.last_seq, info.state.first_seq);
    this.advance(basis.position, basis.streamSeq);
    await this.save(ctx, true);
    this.show();
    if (ctx.online()) await this.stream(ctx, basis);
  }

  /** Where to continue, from the stream (the truth) and the checkpoint (to tell an emptied subject from a first push). */
  private async resync(link: Link, last: number, first: number): Promise<Basis> {
    const { stream, subject } = this.options;
    const { source } = this.checkpoint;
    const found = await lastOnSubject(link.jsm, stream, subject);
    const next = await this.log.nextOffset();
    if (found) {
      const origin = originOf(found.header);
      if (!origin || origin.source !== source) {
        const whose = origin
          ? `pushed by another log (source ${origin.source}, this one is ${source})`
          : 'not pushed by opfs-log';
        throw new ReplicationError(
          'Diverged',
          `another writer: the last message on ${subject} (stream sequence ${found.seq}) was ${whose}; a push subject takes one log only`,
        );
      }
      if (origin.offset >= next) {
        throw new ReplicationError(
          'Diverged',
          `${subject} holds offset ${origin.offset} of this log, whose next offset is ${next}: the log was recreated or restored from an older copy`,
        );
      }
      return { last, lastOnSubject: found.seq, position: origin.offset + 1, streamSeq: found.seq };
    }
    const cp = this.checkpoint;
    if (cp.streamSeq > 0) {
      if (cp.streamSeq > last || first <= cp.streamSeq) {
        throw new ReplicationError(
          'Diverged',
          `${subject} holds nothing of this log, which pushed it up to stream sequence ${cp.streamSeq}: ` +
            'the stream was purged or recreated, or those messages deleted (reset: true pushes again from `from`)',
        );
      }
      return { last, lastOnSubject: 0, position: cp.position, streamSeq: cp.streamSeq }; // aged out by the stream's limits
    }
    return { last, lastOnSubject: 0, position: cp.position >= 0 ? cp.position : this.startOffset(next), streamSeq: 0 };
  }

  private startOffset(next: number): number {
    const from = this.options.from ?? OffsetOldest;
    if (from === OffsetOldest) return 0; // consume starts at the oldest message still there
    if (from === OffsetNewest) return next;
    if (from > next) throw invalid(`from ${from} is past the log's next offset ${next}`);
    return from;
  }

  /** The window: publishes in flight, each tied to its predecessor; returns when the session's signal aborts. */
  private async stream(ctx: SessionContext, basis: Basis): Promise<void> {
    const { link, signal } = ctx;
    const aborted = new Promise<never>((_, reject) => onAbort(signal, () => reject(signal.reason)));
    aborted.catch(() => undefined);
    const inflight: InFlight[] = [];
    const settle = async (entry: InFlight) => {
      const ack = await Promise.race([entry.ack, aborted]).catch((err: unknown) => {
        if (signal.aborted) throw err;
        if (isExpectationFailure(err)) throw new Resync(`offset ${entry.offset}: ${(err as Error).message}`);
        throw toReplicationError(err, `publishing offset ${entry.offset}`);
      });
      if (ack.duplicate || ack.seq !== entry.seq) {
        throw new Resync(
          `offset ${entry.offset} was stored at ${ack.seq}${ack.duplicate ? ' (a duplicate)' : ''}, not ${entry.seq}`,
        );
      }
      this.advance(entry.offset + 1, ack.seq);
    };
    let i = 0;
    let previousId = '';
    let read = basis.position;
    try {
      for (;;) {
        let batch = await this.log.consume(read, READ_BATCH);
        if (batch.messages.length === 0) {
          while (inflight.length > 0) await settle(inflight.shift()!);
          this.advance(batch.nextOffset, this.checkpoint.streamSeq);
          this.show();
          await this.save(ctx, true);
          batch = await this.log.consumeBlocking(read, READ_BATCH, { signal });
        }
        this.localNext = Math.max(this.localNext, batch.nextOffset);
        for (const m of batch.messages) {
          this.checkSize(m, link);
          const id = messageId(this.checkpoint.source, m.offset);
          const expect =
            i === 0
              ? { lastSequence: basis.last, lastSubjectSequence: basis.lastOnSubject }
              : { lastSequence: basis.last + i, lastMsgID: previousId };
          const ack = link.js.publish(this.options.subject, m.value ?? EMPTY, {
            msgID: id,
            headers: toHeaders(this.checkpoint.source, m),
            expect,
            timeout: this.options.timeout ?? DEFAULT_TIMEOUT_MS,
          });
          ack.catch(() => undefined); // settled in order below, or dropped with the session
          inflight.push({ ack, offset: m.offset, seq: basis.last + i + 1 });
          i++;
          previousId = id;
          if (inflight.length >= WINDOW) await settle(inflight.shift()!);
        }
        read = batch.nextOffset;
        this.show();
        void this.save(ctx, false);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }

  private checkSize(m: Message, link: Link): void {
    const bytes =
      (m.value?.length ?? 0) + (m.key ? Math.ceil(m.key.length / 3) * 4 + HEADER_KEY.length : 0) + HEADER_OVERHEAD;
    if (bytes > link.maxPayload()) {
      throw new ReplicationError(
        'TooLarge',
        `offset ${m.offset} is about ${bytes} bytes with its headers, over the server's max_payload of ${link.maxPayload()}`,
      );
    }
  }
}
