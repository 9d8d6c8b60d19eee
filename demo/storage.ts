// The origin's storage: how much is used of the quota, and whether the
// browser may evict it under pressure (persisted or not), with a button to
// ask for persistence.
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
    return guard('Could not read the storage estimate', async () => {
      const { usage = 0, quota = 0 } = await navigator.storage.estimate();
      this.usage.textContent = `${formatBytes(usage)} used of ${formatBytes(quota)}`;
      this.showPersisted(await navigator.storage.persisted());
    }).then(() => undefined);
  }

  private showPersisted(persisted: boolean): void {
    this.persisted.textContent = persisted ? 'Persistent: the browser will not evict it' : 'Not persistent: the browser may evict it';
    this.persisted.classList.toggle('ok', persisted);
    this.persist.hidden = persisted;
  }

  private async askToPersist(): Promise<void> {
    await act('Could not ask for persistent storage', async () => {
      const granted = await navigator.storage.persist();
      this.showPersisted(granted);
      showNotice(granted ? 'Storage is now persistent.' : 'The browser declined to make storage persistent (it decides by how much the site is used).');
    });
  }
}
