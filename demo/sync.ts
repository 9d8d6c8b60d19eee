// Sync: replicates the open log to a NATS JetStream stream (push) or from one
// (pull) over WebSocket, with opfs-log/jetstream, and shows its live status:
// state, lag, position and the last error. The NATS client is loaded only
// when a sync starts, so the explorer does not pay for it otherwise.
import type { Log } from '../src/index.ts';
import type { Replication, ReplicationStatus } from '../src/jetstream.ts';
import { byId, field, onSubmit } from './dom.ts';
import { showError, showNotice } from './notices.ts';

type Direction = 'push' | 'pull';

export class SyncPanel {
  private log: Log | null = null;
  private replication: Replication | null = null;
  private unsubscribe: () => void = () => undefined;
  private readonly form = byId<HTMLFormElement>('sync-form');
  private readonly stopButton = byId<HTMLButtonElement>('sync-stop');

  constructor() {
    onSubmit(this.form, () => this.start());
    this.stopButton.addEventListener('click', () => void this.stop());
  }

  /** The log the panel syncs; a readonly one can only push (a pull writes into its log). */
  attach(log: Log, readonly: boolean): void {
    this.log = log;
    const pull = this.form.querySelector<HTMLOptionElement>('option[value="pull"]');
    if (pull) pull.disabled = readonly;
    if (readonly) field<HTMLSelectElement>(this.form, 'direction').value = 'push';
    this.show(null);
  }

  /** Stops the sync of the log that is closing; resolves once it is stopped (before the log closes). */
  async detach(): Promise<void> {
    await this.stop();
    this.log = null;
  }

  private async start(): Promise<void> {
    const log = this.log;
    if (!log || this.replication) return;
    const servers = field(this.form, 'server').value.trim();
    const stream = field(this.form, 'stream').value.trim();
    const subject = field(this.form, 'subject').value.trim();
    const direction = field<HTMLSelectElement>(this.form, 'direction').value as Direction;
    const createStream = field(this.form, 'createStream').checked;
    try {
      const js = await import('../src/jetstream.ts');
      const options = { servers, stream, subject, createStream };
      // Options are checked at once: a bad URL or name throws here, before anything runs.
      const replication = direction === 'push' ? js.push(log, options) : js.pull(log, options);
      this.replication = replication;
      this.unsubscribe = replication.subscribe((s) => this.show(s));
      this.setRunning(true);
      showNotice(`Sync started: ${direction} ${direction === 'push' ? 'to' : 'from'} ${stream} (${subject}).`);
    } catch (err) {
      showError('Could not start the sync', err);
    }
  }

  private async stop(): Promise<void> {
    const replication = this.replication;
    if (!replication) return;
    await replication.stop();
    // The final status was shown by the subscription; keep it on screen.
    this.unsubscribe();
    this.replication = null;
    this.setRunning(false);
  }

  private setRunning(running: boolean): void {
    for (const name of ['server', 'stream', 'subject', 'direction', 'createStream']) {
      (this.form.elements.namedItem(name) as HTMLInputElement).disabled = running;
    }
    byId<HTMLButtonElement>('sync-start').disabled = running;
    this.stopButton.disabled = !running;
  }

  /** A replication that failed (final) frees the form for another try. */
  private show(s: ReplicationStatus | null): void {
    byId('sync-state').textContent = s?.state ?? 'not syncing';
    byId('sync-state').className = `badge sync-${s?.state ?? 'idle'}`;
    byId('sync-lag').textContent = s ? String(s.lag) : '–';
    byId('sync-position').textContent = s ? String(s.position) : '–';
    const error = byId('sync-error');
    error.textContent = s?.lastError ? `${s.lastError.code}: ${s.lastError.message}` : '';
    error.hidden = !s?.lastError;
    if (s?.state === 'failed' && this.replication) {
      this.unsubscribe();
      this.replication = null;
      this.setRunning(false);
    }
  }
}
