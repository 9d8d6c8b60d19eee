// Publishing: a value typed as text or JSON (checked before it is sent), with
// an optional key.
import type { Log } from '../src/index.ts';
import { byId, field, onSubmit } from './dom.ts';
import { act, showError, showNotice } from './notices.ts';

const encoder = new TextEncoder();

export class Publisher {
  private log: Log | null = null;
  private readonly form = byId<HTMLFormElement>('publish-form');

  /** Called with the next offset after each publish. */
  onPublished: (next: number) => void = () => undefined;

  constructor() {
    onSubmit(this.form, () => this.publish());
  }

  attach(log: Log, readonly: boolean): void {
    this.log = log;
    this.form.hidden = readonly;
  }

  detach(): void {
    this.log = null;
  }

  private async publish(): Promise<void> {
    const log = this.log;
    if (!log) return;
    const keyInput = field(this.form, 'key');
    const valueInput = field<HTMLTextAreaElement>(this.form, 'value');
    const asJson = (this.form.elements.namedItem('format') as RadioNodeList).value === 'json';
    const text = valueInput.value;
    if (asJson) {
      try {
        JSON.parse(text);
      } catch (err) {
        showError('The value is not valid JSON', (err as Error).message);
        return;
      }
    }
    const key = keyInput.value === '' ? null : encoder.encode(keyInput.value);
    await act('Could not publish', async () => {
      const next = await log.publish([{ key, value: encoder.encode(text) }]);
      showNotice(`Published message #${next - 1}.`);
      // Only the value is cleared, and focus stays put: the person may be typing the next message already.
      if (valueInput.value === text) valueInput.value = '';
      this.onPublished(next);
    });
  }
}
