// The origin's storage: how much is used of the quota, and whether the
// browser may evict it under pressure (persisted or not), with a button to
// ask for persistence. The library says all of it (`storageStatus`,
// `requestPersistence`), the same way as to any app.
import { requestPersistence, storageStatus } from '../src/index.ts';
import { byId } from './dom.ts';
import { formatBytes } from './format.ts';
import { act, guard, showNotice } from './notices.ts';

export class StoragePanel {
  private readonly usage = byId('storage-usage');
  private readonly persisted = byId('storage-persisted');
  private readonly persist = byId<HTMLButtonElement>('persist');

  constructor() {
    this.persist.addEventListener('click', () => void this.askToPersist());
  }

  refresh(): Promise<void> {
    return guard('Could not read the storage status', async () => {
      const { usage, quota, persisted } = await storageStatus();
      this.usage.textContent =
        usage === null
          ? 'Usage not reported by this browser'
          : quota === null
            ? `${formatBytes(usage)} used`
            : `${formatBytes(usage)} used of ${formatBytes(quota)}`;
      this.showPersisted(persisted);
    }).then(() => undefined);
  }

  /** Null: the browser does not say. The button shows only where it says "not persistent". */
  private showPersisted(persisted: boolean | null): void {
    this.persisted.textContent =
      persisted === null
        ? 'Persistence unknown: this browser does not say'
        : persisted
          ? 'Persistent: the browser will not evict it'
          : 'Not persistent: the browser may evict it';
    this.persisted.classList.toggle('ok', persisted === true);
    this.persist.hidden = persisted !== false;
  }

  private async askToPersist(): Promise<void> {
    await act('Could not ask for persistent storage', async () => {
      const granted = await requestPersistence();
      this.showPersisted(granted);
      showNotice(
        granted
          ? 'Storage is now persistent.'
          : 'The browser declined to make storage persistent (Chromium decides by how much the site is used; Firefox asks you).',
      );
    });
  }
}
