// What reading a closed segment file costs each way the pool can read one
// (src/segment/file-pool.ts): a sync access handle opened, read and closed,
// or a getFile() snapshot read. `files` files of 1 MiB; each figure the mean
// over them (performance.now() is too coarse for one).
const SIZE = 1 << 20;
const READ = 200;

/** Mean milliseconds of `op` over `items`. */
async function mean(items, op) {
  const start = performance.now();
  for (const item of items) await op(item);
  return (performance.now() - start) / items.length;
}

const at = () => Math.floor(Math.random() * (SIZE - READ));

self.onmessage = async ({ data: files }) => {
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('file-costs', { create: true });
    const bytes = new Uint8Array(SIZE).map((_, i) => i & 255);
    const handles = [];
    for (let i = 0; i < files; i++) {
      const fh = await dir.getFileHandle(`f${i}`, { create: true });
      const h = await fh.createSyncAccessHandle();
      h.write(bytes, { at: 0 });
      h.flush();
      h.close();
      handles.push(fh);
    }
    const buffer = new Uint8Array(READ);
    const out = {};
    out.handleOpenReadClose = await mean(handles, async (fh) => {
      const h = await fh.createSyncAccessHandle();
      h.read(buffer, { at: at() });
      h.close();
    });
    out.handleOpen = await mean(handles, async (fh) => (await fh.createSyncAccessHandle()).close());
    const open = await Promise.all(handles.map((fh) => fh.createSyncAccessHandle()));
    out.readOpenHandle = await mean(open, async (h) => h.read(buffer, { at: at() }));
    let closed = 0;
    out.handleClose = await mean(open, async (h) => {
      h.close();
      closed++;
    });
    out.handleOpen -= out.handleClose; // what the open alone took: the loop above also closed each
    out.snapshotRead = await mean(handles, async (fh) => {
      const file = await fh.getFile();
      const start = at();
      await file.slice(start, start + READ).arrayBuffer();
    });
    await root.removeEntry('file-costs', { recursive: true });
    postMessage({ files, closed, ...out });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
