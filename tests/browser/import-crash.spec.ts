// The whole browser SIGKILLed during a large `importArchive(…, { overwrite: true })`,
// at several moments (while the archive is verified, while the new segments
// are written, around the commit, after random delays), then relaunched on the
// same profile: the log is the old one or the imported one, whole, and its
// directory holds nothing but segment files.
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';

// Each test here kills the browser: a browser of its own, on a fresh profile.
test.use({ browserPerTest: true });

const OLD = { tag: 'old', messages: 3_000, rollover: 256 * 1024 };
const NEW = { tag: 'new', messages: 24_000, rollover: 1024 * 1024 };
const VALUE_BYTES = 1_000;
const ARCHIVE_FILE = 'import-crash-archive.zip'; // kept in OPFS: a Blob in the page dies with it

declare global {
  interface Window {
    importing?: { done: boolean; error: string | null };
  }
}

/** Publishes `messages` values `<tag>:<offset>:` padded with varied bytes (so the archive is as large as the log). */
async function fill(page: Page, dir: string, log: typeof OLD): Promise<void> {
  await page.evaluate(
    async ([d, l, bytes]) => {
      const { lib } = window.harness;
      const target = await lib.open(d, { createDirs: true, rollover: l.rollover });
      const encoder = new TextEncoder();
      for (let offset = 0; offset < l.messages; ) {
        const batch = [];
        for (const end = Math.min(l.messages, offset + 1000); offset < end; offset++) {
          const value = new Uint8Array(bytes);
          for (let i = 0; i < bytes; i++) value[i] = 97 + ((offset * 31 + i * 7) % 26);
          encoder.encodeInto(`${l.tag}:${offset}:`, value);
          batch.push({ value });
        }
        await target.publish(batch);
      }
      await target.close();
    },
    [dir, log, VALUE_BYTES] as const,
  );
}

/** Exports the log at `dir` and keeps the archive as a file of OPFS's root. */
async function keepArchive(page: Page, dir: string): Promise<number> {
  return page.evaluate(
    async ([d, name]) => {
      const { lib } = window.harness;
      const log = await lib.open(d, { readonly: true });
      const file = await lib.exportArchive(log);
      await log.close();
      const handle = await (await navigator.storage.getDirectory()).getFileHandle(name, { create: true });
      const out = await handle.createWritable();
      await out.write(file);
      await out.close();
      return file.size;
    },
    [dir, ARCHIVE_FILE] as const,
  );
}

/** Starts the import over `dir` without waiting for it. */
async function startImport(page: Page, dir: string): Promise<void> {
  await page.evaluate(
    async ([d, name]) => {
      const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
      const state: { done: boolean; error: string | null } = (window.importing = { done: false, error: null });
      window.harness.lib.importArchive(d, file, { overwrite: true }).then(
        () => (state.done = true),
        (err: unknown) => (state.error = String(err)),
      );
    },
    [dir, ARCHIVE_FILE] as const,
  );
}

/** Resolves once the log's directory has a file whose name ends with `suffix`. */
async function fileAppears(page: Page, dir: string, suffix: string): Promise<void> {
  await page.evaluate(
    async ([d, s]) => {
      let handle = await navigator.storage.getDirectory();
      for (const part of d.split('/')) handle = await handle.getDirectoryHandle(part);
      const keys = handle as unknown as { keys(): AsyncIterable<string> };
      for (;;) {
        for await (const name of keys.keys()) if (name.endsWith(s)) return;
        if (window.importing?.done || window.importing?.error) throw new Error(`no *${s} before the import ended`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    [dir, suffix] as const,
  );
}

/** Opens `dir` for writing (waiting while the killed browser's lock lingers) and reads all of it. */
async function inspect(page: Page, dir: string) {
  const started = Date.now();
  for (;;) {
    const settled = await page.evaluate((d) => window.harness.openAs('t', d), dir);
    if (settled.ok || settled.code !== 'Locked' || Date.now() - started > 10_000) {
      expect(settled).toMatchObject({ ok: true });
      break;
    }
    await page.waitForTimeout(200);
  }
  return page.evaluate(
    async ([d, sizes]) => {
      const { harness } = window;
      const log = harness.log('t');
      const next = await log.nextOffset();
      const tag = sizes.find((s) => s.messages === next)?.tag ?? null;
      let problem: string | null = tag ? null : `next offset ${next} is neither log's`;
      let count = 0;
      for (let at = 0; problem === null && at < next; ) {
        const batch = await log.consume(at, 2000);
        for (const m of batch.messages) {
          const value = harness.text(m.value) ?? '';
          if (m.offset !== count) problem = `expected offset ${count}, got ${m.offset}`;
          else if (!value.startsWith(`${tag}:${m.offset}:`))
            problem = `offset ${m.offset} holds ${value.slice(0, 16)}…, not ${tag}'s`;
          if (problem !== null) break;
          count++;
        }
        if (batch.nextOffset <= at) problem ??= `consume(${at}) did not advance`;
        at = batch.nextOffset;
      }
      await log.close();
      let handle = await navigator.storage.getDirectory();
      for (const part of d.split('/')) handle = await handle.getDirectoryHandle(part);
      const files: string[] = [];
      for await (const name of (handle as unknown as { keys(): AsyncIterable<string> }).keys()) files.push(name);
      return { tag, next, count, problem, strays: files.filter((n) => !/^\d{20}\.log$/.test(n) && n !== 'changes') }; // changes: the writer's change counter
    },
    [dir, [OLD, NEW].map(({ tag, messages }) => ({ tag, messages }))] as const,
  );
}

test('a browser killed during an overwriting import leaves the old log or the new one, whole', async ({
  page,
  context,
  killBrowser,
  relaunch,
}, testInfo) => {
  test.setTimeout(300_000);
  await fill(page, 'logs/source', NEW);
  const archiveBytes = await keepArchive(page, 'logs/source');
  expect(archiveBytes).toBeGreaterThan(NEW.messages * VALUE_BYTES);

  // How long a whole import takes here, to spread the random kills over it.
  await fill(page, 'logs/probe', OLD);
  const started = Date.now();
  await startImport(page, 'logs/probe');
  await page.waitForFunction(() => window.importing?.done || window.importing?.error, undefined, {
    polling: 10,
    timeout: 120_000,
  });
  expect(await page.evaluate(() => window.importing)).toEqual({ done: true, error: null });
  const importMs = Date.now() - started;

  const moments: { name: string; kill: (p: Page, dir: string) => Promise<void> }[] = [
    { name: 'as the new segments start to be written', kill: (p, dir) => fileAppears(p, dir, '.import') },
    { name: 'as the commit marker appears', kill: (p, dir) => fileAppears(p, dir, '.commit') },
    ...[0, 1, 2].map((i) => {
      const delay = Math.round(importMs * ((i + Math.random()) / 3));
      return { name: `after ${delay} ms`, kill: (p: Page) => p.waitForTimeout(delay) };
    }),
  ];
  let current: { page: Page; context: BrowserContext } = { page, context };
  const outcomes: string[] = [];
  for (const [round, moment] of moments.entries()) {
    const dir = `logs/target-${round}`;
    await fill(current.page, dir, OLD);
    await startImport(current.page, dir);
    const reached = await moment.kill(current.page, dir).then(
      () => true,
      () => false,
    );
    const before = await current.page.evaluate(() => window.importing!);
    await killBrowser(current.context);
    current = await relaunch();
    const next = current.page;

    const found = await inspect(next, dir);
    outcomes.push(
      `${moment.name}${reached ? '' : ' (not reached)'}: import ${before.done ? 'done' : 'running'}, found the ${found.tag} log`,
    );
    expect(found.problem, moment.name).toBeNull();
    expect(found.count, moment.name).toBe(found.next);
    expect(found.strays, moment.name).toEqual([]);
  }
  testInfo.annotations.push({ type: 'outcomes', description: `whole import ${importMs} ms; ${outcomes.join('; ')}` });
});
