// What reading a closed segment file costs each way the pool can read one
// (src/segment/file-pool.ts): a sync access handle opened, read and closed,
// or a getFile() snapshot read. And what a roll pays for its new file, against
// a spare made ahead and moved into place (bench/findings.md, "What a new
// segment file costs"). `files` files of 1 MiB; each figure the mean over
// them (performance.now() is too coarse for one).
const SIZE = 1 << 20;
const READ = 200;

/** Mean milliseconds of `op` over `items`. */
async function mean(items, op) {
  const start = performance.now();
  for (const item of items) await op(item);
  return (performance.now() - start) / items.length;
}

const at = () => Math.floor(Math.random() * (SIZE - READ));

/**
 * Milliseconds, each a mean over `files` files: a new file and its first
 * sync access handle (`newFile`), that handle's close once 1 MiB was written
 * and flushed (`closeWritten`); then, per file, a spare created and read
 * once ahead (not timed), looking up the name it will take (`lookUpMissing`),
 * moving it there (`moveSpare`) and opening its handle (`handleOnSpare`).
 * Returns the new files' handles.
 */
async function create(dir, files, bytes, out) {
  const handles = [];
  const sum = { newFile: 0, closeWritten: 0, lookUpMissing: 0, moveSpare: 0, handleOnSpare: 0 };
  const timed = async (key, op) => {
    const start = performance.now();
    const result = await op();
    sum[key] += performance.now() - start;
    return result;
  };
  for (let i = 0; i < files; i++) {
    const h = await timed('newFile', async () =>
      (await dir.getFileHandle(`f${i}`, { create: true })).createSyncAccessHandle(),
    );
    h.write(bytes, { at: 0 });
    h.flush();
    await timed('closeWritten', async () => h.close());
    handles.push(await dir.getFileHandle(`f${i}`));
    const spare = await dir.getFileHandle('spare', { create: true });
    await spare.getFile(); // what makes Firefox's first handle on it cheap (a file only created is not)
    await timed('lookUpMissing', () => dir.getFileHandle(`s${i}`).catch(() => null));
    await timed('moveSpare', () => spare.move(dir, `s${i}`));
    (await timed('handleOnSpare', () => spare.createSyncAccessHandle())).close();
  }
  for (const [key, ms] of Object.entries(sum)) out[key] = ms / files;
  return handles;
}

self.onmessage = async ({ data: files }) => {
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('file-costs', { create: true });
    const bytes = new Uint8Array(SIZE).map((_, i) => i & 255);
    const out = {};
    const handles = await create(dir, files, bytes, out);
    const buffer = new Uint8Array(READ);
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
