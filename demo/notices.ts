// What the explorer tells the person using it: an error banner (every failure
// lands here, never only in the console) and a notice line for what went well.
import { LogError } from '../src/index.ts';
import { byId } from './dom.ts';

const errorBanner = () => byId('error');
const errorText = () => byId('error-text');
const errorAction = () => byId<HTMLButtonElement>('error-action');
const notice = () => byId('notice');

/** `Locked: log x is open for writing elsewhere`, or the error's message. */
export function describe(err: unknown): string {
  if (err instanceof LogError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Shows an error, optionally with one button that offers a way out. */
export function showError(what: string, err?: unknown, action?: { label: string; run: () => void }): void {
  errorText().textContent = err === undefined ? what : `${what}: ${describe(err)}`;
  const button = errorAction();
  button.hidden = !action;
  button.onclick = action
    ? () => {
        clearError();
        action.run();
      }
    : null;
  if (action) button.textContent = action.label;
  errorBanner().hidden = false;
  hideNotice();
}

export function clearError(): void {
  errorBanner().hidden = true;
  errorText().textContent = '';
}

export function showNotice(text: string): void {
  notice().textContent = text;
  notice().hidden = false;
}

function hideNotice(): void {
  notice().hidden = true;
  notice().textContent = '';
}

/**
 * Runs `op`; a failure is shown as "`what`: …" instead of escaping to the
 * console. An error already shown stays (background work calls this too).
 */
export async function guard<T>(what: string, op: () => Promise<T>): Promise<T | undefined> {
  try {
    return await op();
  } catch (err) {
    showError(what, err);
    return undefined;
  }
}

/** What a click or a submit runs: the last error goes, then `op` runs guarded. */
export function act<T>(what: string, op: () => Promise<T>): Promise<T | undefined> {
  clearError();
  return guard(what, op);
}

/** Anything that still escapes is shown too. */
export function catchStrays(): void {
  byId('error-dismiss').addEventListener('click', clearError);
  addEventListener('unhandledrejection', (event) => showError('Unexpected error', event.reason));
  addEventListener('error', (event) => showError('Unexpected error', event.error ?? event.message));
}
