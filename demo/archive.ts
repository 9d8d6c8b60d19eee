// Export the open log as a .zip download; import one from a file into a dir.
import { exportArchive, importArchive } from '../src/index.ts';
import type { ArchiveInfo, Log } from '../src/index.ts';
import { byId, el, field, onSubmit } from './dom.ts';
import { formatBytes } from './format.ts';
import { act, showNotice } from './notices.ts';

/** Hands `file` to the browser as a download, as a link with `download` would. */
function download(file: File): void {
  const url = URL.createObjectURL(file);
  const link = el('a', { href: url, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now; the URL only keeps the File alive.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function exportToDownload(log: Log): Promise<void> {
  const button = byId<HTMLButtonElement>('export');
  button.disabled = true;
  try {
    await act('Could not export the log', async () => {
      const file = await exportArchive(log);
      download(file);
      showNotice(`Exported ${file.name} (${formatBytes(file.size)}).`);
    });
  } finally {
    button.disabled = false;
  }
}

/**
 * Wires the import form. `closed` resolves once a log this tab was closing is
 * closed (an import over it needs its writer lock); `onImported` runs with the
 * target dir and what the archive held.
 */
export function wireImport(
  closed: () => Promise<unknown>,
  onImported: (dir: string, info: ArchiveInfo) => Promise<void>,
): void {
  const form = byId<HTMLFormElement>('import-form');
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  onSubmit(form, async () => {
    const file = field(form, 'file').files?.[0];
    const dir = field(form, 'dir').value.trim();
    const overwrite = field(form, 'overwrite').checked;
    if (!file) return;
    button.disabled = true;
    try {
      await act(`Could not import ${file.name}`, async () => {
        await closed();
        const info = await importArchive(dir, file, { overwrite });
        form.reset();
        await onImported(dir, info);
        showNotice(
          `Imported ${info.messages} message${info.messages === 1 ? '' : 's'} into ${dir} (next offset ${info.nextOffset}).`,
        );
      });
    } finally {
      button.disabled = false;
    }
  });
}
