// New messages as they are published, by this tab or any other: the log's
// `tail` wakes on every publish to the log in this origin.
import type { Log, Message } from '../src/index.ts';
import { byId, el } from './dom.ts';
import { formatKey, formatValue } from './format.ts';
import { showError } from './notices.ts';

/** Messages the live panel keeps. */
const FEED_LENGTH = 10;
/** Characters of a value the live panel shows. */
const PREVIEW_LENGTH = 80;

export class LiveFeed {
  private abort: AbortController | null = null;
  private readonly list = byId<HTMLOListElement>('live-feed');

  /** Called with each batch that arrives. */
  onMessages: (messages: Message[]) => void = () => undefined;

  /**
   * Follows `log` from its next offset until `stop()` or the log closes. The
   * next offset is asked at once (before the first await): the log answers in
   * call order, so a publish asked for after `start` is always in the feed.
   */
  async start(log: Log): Promise<void> {
    this.stop();
    const controller = new AbortController();
    this.abort = controller;
    try {
      const from = await log.nextOffset();
      for await (const batch of log.tail(from, { signal: controller.signal })) {
        this.show(batch.messages);
        this.onMessages(batch.messages);
      }
    } catch (err) {
      if (!controller.signal.aborted) showError('Live updates stopped', err);
    }
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
    this.list.replaceChildren();
  }

  private show(messages: Message[]): void {
    for (const m of messages) {
      const key = formatKey(m.key);
      const value = formatValue(m.value, 'text');
      const preview =
        value.note ?? (value.text.length > PREVIEW_LENGTH ? `${value.text.slice(0, PREVIEW_LENGTH)}…` : value.text);
      this.list.prepend(
        el(
          'li',
          {},
          el('span', { className: 'offset' }, `#${m.offset}`),
          ' ',
          key === null ? null : el('span', { className: 'key' }, key),
          ' ',
          preview,
        ),
      );
    }
    while (this.list.children.length > FEED_LENGTH) this.list.lastElementChild!.remove();
  }
}
