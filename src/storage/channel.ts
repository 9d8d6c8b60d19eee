/**
 * Notices between the pages, tabs and workers of one origin that a log has
 * changed, so a reader waiting for new messages wakes at once instead of
 * polling. In browsers (and Node, for tests) this is a `BroadcastChannel`
 * named after the log: every other channel object of that name gets each
 * notice, in this realm or another; the poster itself does not.
 */
import { CHANNEL_PREFIX } from '../namespace.ts';

/** A log's next offset after a publish. */
export interface LogNotice {
  next: number;
}

/** The notice channel of one log. */
export interface LogChannel {
  /** Sends `notice` to every other channel of this log (not to this one). */
  post(notice: LogNotice): void;
  /** Sets the one listener for notices from the others. */
  listen(listener: (notice: LogNotice) => void): void;
  close(): void;
}

/** Opens the notice channel of the log at `path` (a normalized dir). */
export type OpenChannel = (path: string) => LogChannel;

const SILENT: LogChannel = { post() {}, listen() {}, close() {} };

function isNotice(data: unknown): data is LogNotice {
  return typeof data === 'object' && data !== null && typeof (data as LogNotice).next === 'number';
}

/**
 * Channels over `BroadcastChannel`, named `prefix + path`. Tests give each
 * memory file system a prefix of its own, so two of them never hear each
 * other. Where there is no BroadcastChannel, notices go nowhere: waiting
 * readers then wake only on their own log's publishes.
 */
export function broadcastChannels(prefix = CHANNEL_PREFIX): OpenChannel {
  return (path) => {
    if (typeof BroadcastChannel === 'undefined') return SILENT;
    const channel = new BroadcastChannel(prefix + path);
    // Node keeps its event loop alive while a channel is open; a log must not.
    (channel as { unref?: () => void }).unref?.();
    return {
      post: (notice) => channel.postMessage({ next: notice.next }),
      listen: (listener) => {
        channel.onmessage = (event: MessageEvent) => {
          if (isNotice(event.data)) listener(event.data);
        };
      },
      close: () => channel.close(),
    };
  };
}
