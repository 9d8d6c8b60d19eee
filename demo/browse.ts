// The message browser: a page of messages from any offset, oldest or newest
// first; find by key; jump to a time; select and delete.
import type { Log, Message } from '../src/index.ts';
import { byId, el, field, onSubmit } from './dom.ts';
import { formatKey, formatValue, isoTime, localTime, type ValueView } from './format.ts';
import { act, clearError, guard, showNotice } from './notices.ts';
import { readKeyPage, readPage, type Order } from './pages.ts';

const encoder = new TextEncoder();

interface View {
  order: Order;
  size: number;
  values: ValueView;
  /** Where the page starts (see pages.ts); null: at the oldest or newest end. */
  from: number | null;
  /** Starts of the pages before this one, for "Previous page". */
  back: (number | null)[];
  /** Only messages with this key (find by key). */
  key: Uint8Array | null;
  /** A message to mark (the one a time jump found). */
  highlight: number | null;
}

export class Browser {
  private log: Log | null = null;
  private view: View = Browser.initialView();
  private following: number | null = null;
  /** Renders one at a time; requests made while one waits share it. */
  private rendering: Promise<void> = Promise.resolve();
  private waiting: Promise<void> | null = null;

  private readonly browseForm = byId<HTMLFormElement>('browse-form');
  private readonly keyForm = byId<HTMLFormElement>('key-form');
  private readonly timeForm = byId<HTMLFormElement>('time-form');
  private readonly status = byId('browse-status');
  private readonly rows = byId<HTMLTableSectionElement>('message-rows');
  private readonly prev = byId<HTMLButtonElement>('prev-page');
  private readonly next = byId<HTMLButtonElement>('next-page');
  private readonly remove = byId<HTMLButtonElement>('delete-selected');
  private readonly showAll = byId<HTMLButtonElement>('show-all');

  /** Called after messages were deleted (to refresh the stat). */
  onChange: () => void = () => undefined;

  private static initialView(): View {
    return { order: 'newest', size: 20, values: 'text', from: null, back: [], key: null, highlight: null };
  }

  constructor() {
    onSubmit(this.browseForm, () => this.browse());
    field<HTMLSelectElement>(this.browseForm, 'values').addEventListener('change', () => {
      this.view.values = this.valuesChoice();
      void this.render();
    });
    onSubmit(this.keyForm, () => this.findByKey());
    onSubmit(this.timeForm, () => this.jumpToTime());
    this.prev.addEventListener('click', () => this.turn(-1));
    this.next.addEventListener('click', () => this.turn(1));
    this.remove.addEventListener('click', () => void this.deleteSelected());
    this.showAll.addEventListener('click', () => {
      this.view = { ...this.view, key: null, from: null, back: [], highlight: null };
      void this.render();
    });
    this.rows.addEventListener('change', () => this.updateDeleteButton());
  }

  attach(log: Log, readonly: boolean): Promise<void> {
    this.log = log;
    this.remove.hidden = readonly;
    this.view = { ...Browser.initialView(), values: this.valuesChoice() };
    this.fillBrowseForm();
    return this.render();
  }

  detach(): void {
    this.log = null;
    this.rows.replaceChildren();
  }

  /** New messages were published: redraw if the page shows the live end of the log. */
  refreshIfLive(): Promise<void> {
    const live = this.view.key === null && this.view.from === null;
    return live ? this.render() : Promise.resolve();
  }

  private valuesChoice(): ValueView {
    return field<HTMLSelectElement>(this.browseForm, 'values').value as ValueView;
  }

  private fillBrowseForm(): void {
    field(this.browseForm, 'from').value = this.view.from === null ? '' : String(this.view.from);
    field<HTMLSelectElement>(this.browseForm, 'order').value = this.view.order;
    field(this.browseForm, 'size').value = String(this.view.size);
  }

  private browse(): void {
    clearError();
    const from = field(this.browseForm, 'from').value.trim();
    const size = Number(field(this.browseForm, 'size').value);
    this.view = {
      ...this.view,
      order: field<HTMLSelectElement>(this.browseForm, 'order').value as Order,
      size: Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : 20,
      values: this.valuesChoice(),
      from: from === '' ? null : Number(from),
      back: [],
      key: null,
      highlight: null,
    };
    void this.render();
  }

  private findByKey(): void {
    clearError();
    const key = field(this.keyForm, 'key').value;
    this.view = { ...this.view, key: encoder.encode(key), from: null, back: [], highlight: null };
    void this.render();
  }

  private async jumpToTime(): Promise<void> {
    const log = this.log;
    const input = field(this.timeForm, 'time').value;
    if (!log || input === '') return;
    const start = new Date(input);
    await act(`No message at or after ${localTime(start.getTime())}`, async () => {
      const { offset } = await log.offsetByTime(start);
      this.view = { ...this.view, order: 'oldest', from: offset, back: [], key: null, highlight: offset };
      this.fillBrowseForm();
      await this.render();
    });
  }

  private turn(direction: 1 | -1): void {
    clearError();
    if (direction === 1) {
      if (this.following === null) return;
      this.view = { ...this.view, back: [...this.view.back, this.view.from], from: this.following, highlight: null };
    } else {
      if (this.view.back.length === 0) return;
      this.view = { ...this.view, from: this.view.back.at(-1)!, back: this.view.back.slice(0, -1), highlight: null };
    }
    void this.render();
  }

  render(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.rendering.then(async () => {
      this.waiting = null; // from here on a new request needs a new render
      await guard('Could not read the log', () => this.draw());
    });
    this.waiting = next;
    this.rendering = next;
    return next;
  }

  private async draw(): Promise<void> {
    const log = this.log;
    if (!log) return;
    const v = this.view;
    const page = v.key ? await readKeyPage(log, v.key, v.from, v.size) : await readPage(log, v.order, v.from, v.size);
    if (this.log !== log) return; // closed or switched meanwhile
    this.following = page.following;
    // A redraw (a publish here or in another tab) keeps what the person has ticked.
    const ticked = new Set(this.selected());
    this.rows.replaceChildren(...page.messages.map((m) => this.row(m, ticked.has(m.offset))));
    if (page.messages.length === 0) {
      this.rows.append(el('tr', { className: 'empty' }, el('td', { colspan: '5' }, 'No messages here.')));
    }
    this.prev.disabled = v.back.length === 0;
    this.next.disabled = page.following === null;
    this.showAll.hidden = v.key === null;
    this.status.textContent = await this.describePage(log, page.messages);
    this.updateDeleteButton();
  }

  private async describePage(log: Log, messages: Message[]): Promise<string> {
    const v = this.view;
    const count = `${messages.length} message${messages.length === 1 ? '' : 's'}`;
    if (v.key) {
      const text = formatKey(v.key) ?? '';
      if (messages.length === 0 && v.from === null) return `No message has the key “${text}”.`;
      const latest = await log.offsetByKey(v.key);
      return `${count} with the key “${text}”, oldest first; the latest is #${latest}.`;
    }
    const first = messages[0]?.offset;
    const last = messages.at(-1)?.offset;
    if (first === undefined || last === undefined) return 'No messages here.';
    const order = v.order === 'oldest' ? 'oldest first' : 'newest first';
    return `${count}, ${order}: #${first} to #${last}.`;
  }

  private row(m: Message, ticked: boolean): HTMLTableRowElement {
    const value = formatValue(m.value, this.view.values);
    const key = formatKey(m.key);
    return el(
      'tr',
      { 'data-offset': String(m.offset), className: m.offset === this.view.highlight ? 'highlight' : false },
      el(
        'td',
        {},
        el('input', {
          type: 'checkbox',
          'aria-label': `Select message ${m.offset}`,
          value: String(m.offset),
          checked: ticked,
        }),
      ),
      el('td', { className: 'offset' }, String(m.offset)),
      el(
        'td',
        { className: 'time' },
        el('span', {}, localTime(m.time)),
        el('br'),
        el('span', { className: 'iso' }, isoTime(m.time)),
      ),
      el('td', { className: 'key' }, key === null ? el('span', { className: 'none' }, 'no key') : key),
      el(
        'td',
        { className: 'value' },
        el('pre', {}, value.text),
        value.note ? el('span', { className: 'note' }, value.note) : null,
      ),
    );
  }

  private selected(): number[] {
    return [...this.rows.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((c) =>
      Number(c.value),
    );
  }

  private updateDeleteButton(): void {
    const n = this.selected().length;
    this.remove.disabled = n === 0;
    this.remove.textContent = n === 0 ? 'Delete selected' : `Delete ${n} selected`;
  }

  /** Deletes the selected messages; `delete` may take only part per call (one segment), so it repeats. */
  private async deleteSelected(): Promise<void> {
    const log = this.log;
    const wanted = this.selected();
    if (!log || wanted.length === 0) return;
    await act('Could not delete', async () => {
      const remaining = new Set(wanted);
      let size = 0;
      for (;;) {
        const { deletedOffsets, deletedSize } = await log.delete(remaining);
        if (deletedOffsets.size === 0) break;
        size += deletedSize;
        for (const o of deletedOffsets) remaining.delete(o);
      }
      const gone = wanted.length - remaining.size;
      showNotice(`Deleted ${gone} message${gone === 1 ? '' : 's'} (${size} bytes).`);
      await this.render();
      this.onChange();
    });
  }
}
