// A placeholder demo: opens the log `demo/events`, publishes what you type and
// lists every message. The log explorer replaces it.
import { open, OffsetOldest, LogError } from '../src/index.ts';
import type { Log, Message } from '../src/index.ts';

const form = document.querySelector<HTMLFormElement>('#publish')!;
const input = document.querySelector<HTMLInputElement>('#value')!;
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const list = document.querySelector<HTMLOListElement>('#messages')!;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function show(text: string, isError = false): void {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function describe(err: unknown): string {
  return err instanceof LogError ? `${err.code}: ${err.message}` : String(err);
}

function render(m: Message): HTMLLIElement {
  const li = document.createElement('li');
  const value = m.value === null ? '(tombstone)' : decoder.decode(m.value);
  li.textContent = `#${m.offset}  ${new Date(m.time).toLocaleTimeString()}  ${value}`;
  return li;
}

async function refresh(log: Log): Promise<void> {
  const items: HTMLLIElement[] = [];
  let offset = OffsetOldest;
  for (;;) {
    const batch = await log.consume(offset, 500);
    items.push(...batch.messages.map(render));
    if (batch.nextOffset === offset) break; // caught up
    offset = batch.nextOffset;
  }
  list.replaceChildren(...items);
  show(`${items.length} message(s).`);
}

async function main(): Promise<void> {
  let log: Log;
  try {
    log = await open('demo/events', { createDirs: true });
  } catch (err) {
    show(`Could not open the log: ${describe(err)}`, true);
    return;
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = encoder.encode(input.value);
    input.value = '';
    log
      .publish([{ value }])
      .then(() => log.sync())
      .then(() => refresh(log))
      .catch((err: unknown) => show(`Publish failed: ${describe(err)}`, true));
  });
  addEventListener('pagehide', () => void log.close());
  await refresh(log);
}

void main();
