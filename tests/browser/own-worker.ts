// A dedicated module worker of the page's own that uses opfs-log (its engine
// in place, loaded with import()): it answers one message with what it saw.
import { exportArchive, importArchive, OffsetOldest, open } from '../../src/index.ts';

const scope = globalThis as unknown as { postMessage(message: unknown): void };

globalThis.addEventListener('message', async () => {
  try {
    const text = new TextEncoder();
    const log = await open('own/events', { createDirs: true, keyIndex: true });
    const next = await log.publish([
      { key: text.encode('k'), value: text.encode('one') },
      { value: text.encode('two') },
    ]);
    const batch = await log.consume(OffsetOldest, 10);
    const archive = await exportArchive(log);
    await log.close();
    const info = await importArchive('own/restored', archive);
    const restored = await open('own/restored', info.options);
    const byKey = await restored.getByKey(text.encode('k'));
    await restored.close();
    const decode = (v: Uint8Array | null) => (v === null ? null : new TextDecoder().decode(v));
    scope.postMessage({
      ok: true,
      next,
      values: batch.messages.map((m) => decode(m.value)),
      restored: decode(byKey.value),
    });
  } catch (err) {
    scope.postMessage({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
});
