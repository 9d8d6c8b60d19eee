// The page MiniBrowser opens for the demo's smoke run: it loads the todo list
// (todo.html: a projection over a log, shown with opfs-log/react) in a
// same-origin frame and drives it as a person would, since Playwright cannot
// drive MiniBrowser. Its one step, whatever demo.spec.ts names it: load the
// list, add a todo through the form, see it listed, reload, see it again.
import { runPlan, type StepResult } from './page-steps.ts';

const WAIT_MS = 30_000;
const TITLE = 'Buy milk in WebKit';

/** Resolves once `found` returns something, looking every 50 ms; fails after WAIT_MS saying what it waited for. */
async function waitFor<T>(what: string, doc: () => Document, found: (d: Document) => T | null): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const d = doc();
    const value = found(d);
    if (value !== null) return value;
    const alert = d.querySelector('[role=alert]')?.textContent;
    if (alert || Date.now() > deadline) throw new Error(`waiting for ${what}: ${alert ?? 'timed out'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function loaded(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
}

const live = (d: Document) => (d.querySelector('#status')?.textContent === 'live' ? true : null);
const listed = (d: Document) =>
  [...d.querySelectorAll('[aria-label=Todos] li')].some((li) => li.textContent?.includes(TITLE)) ? true : null;

async function todoSmoke(): Promise<StepResult> {
  const frame = document.body.appendChild(document.createElement('iframe'));
  const doc = () => frame.contentDocument ?? document.implementation.createHTMLDocument();
  let load = loaded(frame);
  frame.src = '/todo.html';
  await load;
  await waitFor('the list, live', doc, live);
  const form = await waitFor('the form', doc, (d) => d.querySelector('form'));
  (form.querySelector('input[name=title]') as HTMLInputElement).value = TITLE;
  form.requestSubmit();
  await waitFor('the new todo in the list', doc, listed);
  load = loaded(frame);
  frame.contentWindow?.location.reload();
  await load;
  await waitFor('the list, live after the reload', doc, live);
  await waitFor('the todo in the list after the reload', doc, listed);
  return { ok: true };
}

void runPlan(async () => todoSmoke);
