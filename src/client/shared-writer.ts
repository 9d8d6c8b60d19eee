/**
 * Many tabs, one log: the writer side of a `Log` opened for writing (not
 * `exclusive`) in any number of same-origin tabs and workers. One of them
 * owns the files (its engine runs, in its worker); the others forward their
 * calls to it on a BroadcastChannel. Web Locks choose the owner: every writer
 * waits in line for the log's owner lock, and the browser releases a lock
 * when the context holding it ends (closed, crashed, killed), so the next in
 * line takes over with no heartbeat or timeout to get wrong.
 *
 * Exactly once: a forwarded call whose answer was lost with its owner is
 * sent again to the next owner. A forwarded publish carries this writer's
 * producer id and a sequence number, so the engine answers one it already
 * took from its producer table (engine/producers.ts) rather than appending it
 * twice. Other calls sent again simply run again: reads answer afresh, a
 * delete deletes what is still there (its `deletedOffsets` then leave out
 * what the lost attempt deleted), and a snapshot pinned by the lost owner is
 * gone (its reads reject and the export fails; export again).
 *
 * Handing over: a writer that `yields` (a service worker, whose engine runs
 * on the slower asynchronous backend) owns the log only until a writer that
 * does not yield (a tab) asks for it: that one claims the files when it hears
 * a yielding owner, which steps down (yielding-writer.ts, beside the engine:
 * the main thread never yields).
 */
import { LogError } from '../errors.ts';
import type { RawLog } from '../engine/raw.ts';
import type { Producer } from '../engine/producers.ts';
import type { HeldLock, Locks } from '../storage/files.ts';
import {
  answerCall,
  settle,
  type CallAnswer,
  type CallName,
  type CallRequest,
  callsThrough,
  invoke,
  type RunCall,
} from '../protocol/calls.ts';
import { deserializeError, type SerializedLogError, serializeError } from '../protocol/transport.ts';

/** A BroadcastChannel, or its stand-in in Node tests: every other bus of the same name hears a post. */
export interface Bus {
  post(message: unknown): void;
  listen(listener: (message: unknown) => void): void;
  close(): void;
}

/** The engine this writer runs once it owns the log, and how to stop it. */
export interface OwnedEngine {
  raw: RawLog;
  /** After `raw.close()`; resolves once what the engine held is free. */
  end(): void | Promise<void>;
}

/** Every call but `close`, which ends this writer, here. */
type ForwardedCall = Exclude<CallName, 'close'>;

/**
 * What writers say on the log's channel: who owns it, and the engine's
 * calls (calls.ts) addressed to the owner and answered to their sender.
 */
type BusMessage =
  | { kind: 'who-owns' }
  | { kind: 'owner'; owner: string; yields?: boolean }
  | { kind: 'claim'; to: string }
  | (CallRequest & { to: string; from: string })
  | (CallAnswer & { to: string })
  | { kind: 'removed'; error: SerializedLogError };

interface Pending {
  call: ForwardedCall;
  args: unknown[];
  /** The owner it was last sent to, or null while none is known. */
  sentTo: string | null;
  /** Answered without the engine if this writer comes to own the log first (`ready`'s). */
  ownerAnswers?: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** How long a new owner keeps trying to open a log whose previous owner's worker still holds it. */
const TAKEOVER_ATTEMPTS = 12;

function isBusMessage(data: unknown): data is BusMessage {
  return typeof data === 'object' && data !== null && typeof (data as { kind?: unknown }).kind === 'string';
}

export class SharedWriter {
  /**
   * The engine's calls of this writer: run on its engine while it owns the
   * log, else forwarded to the owner; `close` closes this writer.
   */
  readonly raw: RawLog = callsThrough((call, args) => (call === 'close' ? this.close() : this.route(call, args)));
  private readonly me = crypto.randomUUID();
  private seq = 0;
  private nextId = 1;
  protected owner: string | null = null;
  protected engine: OwnedEngine | null = null;
  protected ownerLock: HeldLock | null = null;
  private readonly pending = new Map<number, Pending>();
  /** This writer's calls forwarded and not answered yet: close waits for them. */
  private readonly forwarded = new Set<Promise<unknown>>();
  /** Calls this owner is serving for others: close waits for them to answer. */
  protected readonly serving = new Set<Promise<unknown>>();
  /** Set while this owner steps down for a claimant: it runs and serves nothing new. */
  protected handing: Promise<void> | null = null;
  protected readonly stop = new AbortController();
  /** The wait in line and the takeover that may follow: close waits for it, so no engine it opens is left open. */
  protected contending: Promise<void>;
  protected closed = false;
  /** Set once the log's files were removed under its owner (engine.ts, `StorageRemoved`): every call rejects with it. */
  protected removed: LogError | null = null;

  constructor(
    private readonly path: string,
    private readonly bus: Bus,
    private readonly locks: Locks,
    private readonly ownerLockName: string,
    /** Opens the engine once this writer owns the log. */
    private readonly startEngine: () => Promise<OwnedEngine>,
    /** Said when this writer becomes the owner or stops being one (the demo shows it). */
    protected readonly onOwnership: (owner: boolean) => void = () => undefined,
  ) {
    bus.listen((m) => {
      if (isBusMessage(m)) this.receive(m);
    });
    this.post({ kind: 'who-owns' });
    this.contending = this.contend();
  }

  /** Whether this writer gives the log up to a writer that does not yield, once one asks (see above). */
  protected readonly yields: boolean = false;

  /** Whether this writer owns the log now. */
  get owns(): boolean {
    return this.engine !== null && this.handing === null;
  }

  /** Whether this writer's engine takes calls: it owns the log and is neither closing nor stepping down. */
  protected get serves(): boolean {
    return this.owns && !this.closed;
  }

  private post(message: BusMessage): void {
    this.bus.post(message);
  }

  private receive(m: BusMessage): void {
    if (m.kind === 'who-owns') {
      // A closing owner no longer names itself: calls sent to it would wait for the next owner anyway.
      if (this.serves) this.announce();
    } else if (m.kind === 'owner') {
      if (m.owner !== this.owner && !this.engine) {
        this.owner = m.owner;
        this.sendPending();
      }
      if (m.yields && !this.yields && !this.engine && !this.closed) this.post({ kind: 'claim', to: m.owner });
    } else if (m.kind === 'claim') {
      if (m.to === this.me && this.serves) this.claimed();
    } else if (m.kind === 'call') {
      // A closing owner takes no new call: one served while its engine closes would be answered
      // Closed, where left unanswered the caller sends it again to the next owner.
      // A writer closes only itself: a close is never forwarded, nor served.
      if (m.to === this.me && this.serves && m.call !== 'close') this.serve(m);
    } else if (m.kind === 'removed') {
      this.storageRemoved(deserializeError(m.error) ?? new LogError('StorageRemoved', 'removed'));
    } else if (m.kind === 'answer' && m.to === this.me) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      settle(m, p);
    }
  }

  /** Rejects every call still waiting for an answer. */
  private rejectPending(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends every pending call that the current owner has not had yet (a new owner gets them again). */
  private sendPending(): void {
    const to = this.owner;
    if (to === null) return;
    for (const [id, p] of this.pending) {
      if (p.sentTo === to) continue;
      p.sentTo = to;
      this.post({ kind: 'call', to, from: this.me, id, call: p.call, args: p.args });
    }
  }

  /** Waits in line for the owner lock; once it is ours, opens the engine and serves. */
  protected async contend(): Promise<void> {
    let lock: HeldLock;
    try {
      lock = await this.locks.acquire(this.ownerLockName, this.stop.signal);
    } catch {
      return; // closed before our turn came
    }
    if ((this.closed && this.pending.size === 0) || this.removed) {
      await lock.release(); // close waits for this: the next in line must find it free
      return;
    }
    this.ownerLock = lock;
    try {
      this.engine = await this.takeOver();
    } catch (err) {
      // This context cannot run the engine (e.g. Unsupported, Corrupted): its own calls say why,
      // and the next writer in line tries.
      this.ownerLock = null;
      await lock.release();
      this.rejectPending(err);
      return;
    }
    this.owner = this.me;
    this.onOwnership(true);
    this.announce();
    // Our own calls went to the owner before us, whose answers are lost: run them here.
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.ownerAnswers) p.resolve(undefined);
      else this.runHere(p.call, p.args).then(p.resolve, p.reject);
    }
  }

  protected announce(): void {
    this.post({ kind: 'owner', owner: this.me, yields: this.yields });
  }

  /** A writer that does not yield asks this owner for the log: see YieldingWriter. */
  protected claimed(): void {}

  /** Opens the engine; the previous owner's worker may hold the files a moment longer after its tab ended. */
  private async takeOver(): Promise<OwnedEngine> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startEngine();
      } catch (err) {
        const locked = err instanceof LogError && err.code === 'Locked';
        if (!locked || attempt >= TAKEOVER_ATTEMPTS || this.closed) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** Math.min(attempt, 7)));
      }
    }
  }

  private runHere(call: ForwardedCall, args: unknown[]): Promise<unknown> {
    if (this.removed) return Promise.reject(this.removed);
    return invoke(this.engine!.raw, call, args).catch((err: unknown) => {
      if (err instanceof LogError && err.code === 'StorageRemoved') this.storageRemoved(err);
      throw err;
    });
  }

  /**
   * The log's files are gone. Every writer of it hears so and rejects its
   * calls from then on; the owner ends its engine and leaves the owner lock,
   * so that a log opened there later is a new one, never this one recreated
   * by a takeover.
   */
  private storageRemoved(err: LogError): void {
    if (this.removed) return;
    this.removed = err;
    this.stop.abort(); // out of the line for the owner lock
    this.rejectPending(err);
    const engine = this.engine;
    if (!engine) return;
    this.post({ kind: 'removed', error: serializeError(err) });
    this.engine = null;
    void engine.end();
    this.onOwnership(false);
    void this.ownerLock?.release();
    this.ownerLock = null;
  }

  private serve(request: CallRequest & { from: string }): void {
    const run: RunCall = (call, args) => this.runHere(call as ForwardedCall, args);
    const answered = answerCall(run, request, 'the tab that owns the log').then((answer) =>
      this.post({ ...answer, to: request.from }),
    );
    this.serving.add(answered);
    void answered.finally(() => this.serving.delete(answered));
  }

  /**
   * Runs `call` on the engine if this writer owns the log, else forwards it
   * to the owner. A forwarded publish names its producer: sent again to a
   * next owner (or run here once this writer owns the log) after its answer
   * was lost, it is recognized if it was taken already. `ownerAnswers`:
   * owning the log is the answer, and the engine is not asked (`ready`).
   */
  private route(call: ForwardedCall, args: unknown[], ownerAnswers = false): Promise<unknown> {
    if (this.closed) return Promise.reject(new LogError('Closed', `log ${this.path} is closed`));
    if (this.removed) return Promise.reject(this.removed);
    if (this.owns) return ownerAnswers ? Promise.resolve(undefined) : this.runHere(call, args);
    const producer: Producer | undefined = call === 'publish' ? { id: this.me, seq: this.seq++ } : undefined;
    const sent = producer ? [args[0], producer] : args;
    const answer = new Promise<unknown>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { call, args: sent, sentTo: null, ownerAnswers, resolve, reject });
      this.sendPending();
    });
    this.forwarded.add(answer);
    void answer.catch(() => undefined).finally(() => this.forwarded.delete(answer));
    return answer;
  }

  /**
   * Resolves once this writer can answer: it owns the log (its engine
   * opened), or the owner answered it. Rejects as opening the log did (e.g.
   * `NotFound` for a missing dir without `createDirs`).
   */
  async ready(): Promise<void> {
    // An engine opened here is answer enough (a round trip to it would add ~2 ms to a cold open).
    await this.route('nextOffset', [], true);
  }

  /**
   * Closes this writer. Its calls in flight are answered first (by the owner,
   * or by the next one: this writer stays in line until they are, so that no
   * outcome is left unknown). An owner then answers the calls it is serving,
   * closes its engine, and only then lets the next writer in line take over.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.forwarded);
    this.stop.abort();
    await this.handing;
    // The owner lock may have come just before: let the engine that brought finish opening, to close it.
    await this.contending;
    const engine = this.engine;
    try {
      if (engine) {
        await Promise.allSettled(this.serving);
        try {
          await engine.raw.close();
        } finally {
          const ended = engine.end();
          this.engine = null;
          this.onOwnership(false);
          await ended;
        }
      }
    } finally {
      // close() resolves once the next writer in line can have the lock.
      const freed = this.ownerLock?.release();
      this.ownerLock = null;
      this.bus.close();
      await freed;
    }
  }
}
