// Under a Content Security Policy without 'wasm-unsafe-eval' the browser
// refuses to compile WebAssembly, so the worker seals publishes with the
// JavaScript CRC-32C (src/codec/crc32c-wasm.ts falls back): the log works
// the same. Every response but the page's carries the policy: a dedicated
// worker takes its policy from its own script's response, and the page stays
// without one because Playwright's evaluate in Firefox is an eval, which the
// policy would block. Reopening the log scans its head, checking every
// checksum.
import { test, expect, HARNESS } from './fixtures.ts';

test.use({ browserPerTest: true });

const POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self' ws:; worker-src 'self' blob:";

/** Compiles the smallest module there is: 'compiled', or the refusal's message. */
function tryCompile(): string {
  try {
    new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    return 'compiled';
  } catch (err) {
    return String(err);
  }
}

test("without 'wasm-unsafe-eval' a log publishes, reopens and reads back as with WebAssembly", async ({
  launch,
  engine,
}) => {
  const context = await launch();
  await context.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = response.headers();
    if (route.request().resourceType() !== 'document') headers['content-security-policy'] = POLICY;
    await route.fulfill({ response, headers });
  });
  // A worker of the test's own that tries to compile, under the same policy: it shows the policy holds in
  // workers. Registered last, this route is tried first.
  await context.route('**/wasm-csp-probe.js', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      headers: { 'content-security-policy': POLICY },
      body: `const tryCompile = ${tryCompile.toString()};\npostMessage(tryCompile());`,
    }),
  );
  const page = await context.newPage();
  await page.goto(HARNESS);
  await page.waitForFunction(() => window.harness !== undefined);
  const probed = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        new Worker('/wasm-csp-probe.js').onmessage = (e) => resolve(e.data as string);
      }),
  );
  expect(probed).not.toBe('compiled');

  const dir = 'wasm-csp/events';
  expect(
    await page.evaluate((d) => window.harness.openAs('w', d, { createDirs: true, keyIndex: true }), dir),
  ).toMatchObject({
    ok: true,
  });
  // Where Playwright reaches into workers (Chromium), the log's own refuses to compile too. Firefox
  // 153 lists workers too, but an evaluate in its worker fails there ("Target page ... has been closed").
  const logWorker = page.workers().find((w) => !w.url().includes('wasm-csp-probe'));
  if (logWorker && engine === 'chromium') expect(await logWorker.evaluate(tryCompile)).not.toBe('compiled');

  const result = await page.evaluate(async (d) => {
    const { harness } = window;
    let log = harness.log('w');
    // Batches of ~150-byte records over more than the module's window (112 KiB), as a publish of 1,000 is.
    for (let b = 0; b < 3; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({
        key: harness.bytes(`key-${b}-${i}`),
        value: harness.bytes(`value ${b}:${i} `.padEnd(100 + (i % 50), '.')),
      }));
      await log.publish(batch);
    }
    await log.close();
    log = await harness.lib.open(d, { keyIndex: true });
    const next = await log.nextOffset();
    let read = 0;
    let wrong: string | null = null;
    while (read < next) {
      const { messages } = await log.consume(read, 1000);
      for (const m of messages) {
        const [b, i] = [Math.floor(m.offset / 1000), m.offset % 1000];
        if (harness.text(m.key) !== `key-${b}-${i}`) wrong ??= `key of ${m.offset}`;
        if (!harness.text(m.value)?.startsWith(`value ${b}:${i} `)) wrong ??= `value of ${m.offset}`;
      }
      read += messages.length;
    }
    const byKey = await log.getByKey(harness.bytes('key-2-999'));
    await log.close();
    return { next, read, wrong, byKey: byKey?.offset ?? null };
  }, dir);
  expect(result).toEqual({ next: 3000, read: 3000, wrong: null, byKey: 2999 });
});
