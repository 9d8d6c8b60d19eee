// The log explorer (`npm run demo`, index.html + demo/), driven as a person
// would: clicks, typing, a real download and a real upload. Each test keeps a
// screenshot of every screen it passes through as a test artifact.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { test, expect } from './fixtures.ts';

/** Opens the explorer and waits until it has listed the logs. */
async function openExplorer(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
}

/** A full-page screenshot, saved with the test's output and attached to its report. */
async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/**
 * Types `value` into a number input, replacing what it held, as a user would
 * (select all, type). Playwright's `fill()` on a number input appends in
 * Firefox over WebDriver BiDi instead of replacing.
 */
async function fillNumber(input: Locator, value: string): Promise<void> {
  await input.focus();
  await input.press('ControlOrMeta+A');
  await input.press('Backspace');
  if (value !== '') await input.pressSequentially(value);
  await expect(input).toHaveValue(value);
}

async function createLog(
  page: Page,
  dir: string,
  options: { keyIndex?: boolean; rollover?: number } = {},
): Promise<void> {
  const form = page.locator('#create-form');
  await form.getByLabel('Directory').fill(dir);
  await form.getByLabel('Key index').setChecked(options.keyIndex ?? true);
  if (options.rollover) await fillNumber(form.getByLabel(/Rollover/), String(options.rollover));
  await form.getByRole('button', { name: 'Create and open' }).click();
  await expect(page.locator('#log-title')).toHaveText(dir);
}

async function publish(page: Page, value: string, options: { key?: string; json?: boolean } = {}): Promise<void> {
  const form = page.locator('#publish-form');
  await form.getByLabel('Key (optional)').fill(options.key ?? '');
  await form.getByLabel(options.json ? 'JSON' : 'Text').check();
  await form.getByLabel('Value', { exact: true }).fill(value);
  await form.getByRole('button', { name: 'Publish' }).click();
}

/** The offsets of the rows the table shows, top to bottom. */
function offsets(page: Page) {
  return page
    .locator('#message-rows tr[data-offset]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-offset'))));
}

async function show(
  page: Page,
  options: { from?: string; order?: 'Newest first' | 'Oldest first'; size?: number; values?: string },
) {
  const form = page.locator('#browse-form');
  if (options.from !== undefined) await fillNumber(form.getByLabel('From offset'), options.from);
  if (options.order) await form.getByLabel('Order').selectOption({ label: options.order });
  if (options.size) await fillNumber(form.getByLabel('Per page'), String(options.size));
  if (options.values) await form.getByLabel('Show values as').selectOption({ label: options.values });
  await form.getByRole('button', { name: 'Show' }).click();
}

// Hidden banners are emptied, so a text check cannot match a stale one.
const notice = (page: Page) => page.locator('#notice');
const error = (page: Page) => page.locator('#error');
const row = (page: Page, offset: number) => page.locator(`#message-rows tr[data-offset="${offset}"]`);

test('creates a log, publishes text and JSON, and browses it page by page in both orders', async ({
  page,
}, testInfo) => {
  await openExplorer(page);
  await expect(page.locator('#welcome')).toBeVisible();
  await expect(page.locator('#log-list-empty')).toBeVisible();
  await expect(page.locator('#storage-usage')).toContainText('used of');
  await snap(page, testInfo, '01-empty');

  await createLog(page, 'logs/events', { rollover: 400 });
  await expect(notice(page)).toHaveText('Created logs/events.');
  await expect(page.locator('#log-mode')).toHaveText('writer');
  await expect(page.locator('#log-options')).toHaveText('key index · time index · rollover 400 bytes');
  await expect(page.locator('#log-list li[data-dir="logs/events"]')).toBeVisible();

  await publish(page, 'hello', { key: 'user-1' });
  await expect(notice(page)).toHaveText('Published message #0.');
  await publish(page, '{"cart": ["hat", "scarf"], "total": 42}', { key: 'user-2', json: true });
  await expect(notice(page)).toHaveText('Published message #1.');

  // Not JSON: said in the page, and nothing is published.
  await publish(page, '{oops', { json: true });
  await expect(error(page)).toContainText('The value is not valid JSON');
  await expect(page.locator('#stat')).toContainText('2 messages');

  for (let i = 2; i < 12; i++) {
    await publish(page, `event ${i}`, { key: `user-${i % 3}` });
    await expect(notice(page)).toHaveText(`Published message #${i}.`);
  }
  await expect(error(page)).toBeHidden();
  await expect(page.locator('#stat')).toContainText('12 messages');
  await expect(page.locator('#stat')).toContainText('next offset 12');

  // Newest first from the end, twenty to a page.
  await expect.poll(() => offsets(page)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  await expect(row(page, 0).locator('td.key')).toHaveText('user-1');
  await expect(row(page, 0).locator('td.value')).toHaveText('hello');
  const time = row(page, 0).locator('td.time .iso');
  await expect(time).toHaveText(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await snap(page, testInfo, '02-published');

  // The same value as pretty JSON and as hex.
  await show(page, { values: 'Pretty JSON' });
  await expect(row(page, 1).locator('pre')).toHaveText(
    '{\n  "cart": [\n    "hat",\n    "scarf"\n  ],\n  "total": 42\n}',
  );
  await expect(row(page, 0).locator('td.value .note')).toHaveText('not JSON: shown as text');
  await snap(page, testInfo, '03-json');
  await show(page, { values: 'Hex' });
  await expect(row(page, 0).locator('pre')).toHaveText('68 65 6c 6c 6f');

  // Five to a page, oldest first, and back.
  await show(page, { order: 'Oldest first', size: 5, values: 'Text' });
  await expect.poll(() => offsets(page)).toEqual([0, 1, 2, 3, 4]);
  await expect(page.locator('#browse-status')).toHaveText('5 messages, oldest first: #0 to #4.');
  await page.getByRole('button', { name: 'Next page →' }).click();
  await expect.poll(() => offsets(page)).toEqual([5, 6, 7, 8, 9]);
  await page.getByRole('button', { name: 'Next page →' }).click();
  await expect.poll(() => offsets(page)).toEqual([10, 11]);
  await expect(page.getByRole('button', { name: 'Next page →' })).toBeDisabled();
  await page.getByRole('button', { name: '← Previous page' }).click();
  await expect.poll(() => offsets(page)).toEqual([5, 6, 7, 8, 9]);

  // Newest first from any offset.
  await show(page, { from: '7', order: 'Newest first' });
  await expect.poll(() => offsets(page)).toEqual([7, 6, 5, 4, 3]);
  await page.getByRole('button', { name: 'Next page →' }).click();
  await expect.poll(() => offsets(page)).toEqual([2, 1, 0]);
  await snap(page, testInfo, '04-paged');

  // A reload opens the same log again.
  await page.reload();
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  await expect(page.locator('#log-title')).toHaveText('logs/events');
  await expect(page.locator('#stat')).toContainText('12 messages');
});

test('finds by key, jumps to a time, deletes selected messages, and says what went wrong', async ({
  page,
}, testInfo) => {
  await openExplorer(page);
  await createLog(page, 'logs/orders');
  for (let i = 0; i < 3; i++) await publish(page, `early ${i}`, { key: i === 1 ? 'alice' : 'bob' });
  await expect(notice(page)).toHaveText('Published message #2.');
  await page.waitForTimeout(1100); // the time picker has whole seconds: start the next group in a later one
  for (let i = 3; i < 6; i++) await publish(page, `late ${i}`, { key: i === 4 ? 'alice' : 'bob' });
  await expect(notice(page)).toHaveText('Published message #5.');

  // Jump to the second in which message #3 was published: #3 is the first at or after it.
  const iso = await row(page, 3).locator('td.time .iso').textContent();
  const local = await page.evaluate((t) => {
    const d = new Date(t!);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }, iso);
  await page.locator('#time-form').getByLabel('Time').fill(local);
  await page.getByRole('button', { name: 'Jump to time' }).click();
  await expect.poll(() => offsets(page)).toEqual([3, 4, 5]);
  await expect(row(page, 3)).toHaveClass(/highlight/);
  await snap(page, testInfo, '01-time');

  // A time after every message: said in the page.
  await page.locator('#time-form').getByLabel('Time').fill('2999-01-01T00:00:00');
  await page.getByRole('button', { name: 'Jump to time' }).click();
  await expect(error(page)).toContainText('No message at or after');
  await expect(error(page)).toContainText('NotFound');

  await page.locator('#key-form').getByLabel('Key').fill('alice');
  await page.getByRole('button', { name: 'Find by key' }).click();
  await expect(error(page)).toBeHidden();
  await expect.poll(() => offsets(page)).toEqual([1, 4]);
  await expect(page.locator('#browse-status')).toHaveText(
    '2 messages with the key “alice”, oldest first; the latest is #4.',
  );
  await snap(page, testInfo, '02-key');

  // Back to all messages, in the order the time jump chose (oldest first).
  await page.getByRole('button', { name: 'Show all messages' }).click();
  await expect.poll(() => offsets(page)).toEqual([0, 1, 2, 3, 4, 5]);
  await show(page, { from: '', order: 'Newest first' });
  await expect.poll(() => offsets(page)).toEqual([5, 4, 3, 2, 1, 0]);
  await page.getByLabel('Select message 4').check();
  await page.getByLabel('Select message 1').check();
  await snap(page, testInfo, '03-selected');
  await page.getByRole('button', { name: 'Delete 2 selected' }).click();
  await expect(notice(page)).toContainText('Deleted 2 messages');
  await expect.poll(() => offsets(page)).toEqual([5, 3, 2, 0]);
  await expect(page.locator('#stat')).toContainText('4 messages');
  await expect(page.locator('#stat')).toContainText('next offset 6');

  // Alice's messages are gone, so finding her finds nothing.
  await page.locator('#key-form').getByLabel('Key').fill('alice');
  await page.getByRole('button', { name: 'Find by key' }).click();
  await expect(page.locator('#browse-status')).toHaveText('No message has the key “alice”.');

  // A log without a key index cannot find by key: the page says so.
  await createLog(page, 'logs/plain', { keyIndex: false });
  await publish(page, 'x', { key: 'k' });
  await page.locator('#key-form').getByLabel('Key').fill('k');
  await page.getByRole('button', { name: 'Find by key' }).click();
  await expect(error(page)).toContainText('NoIndex');
  await snap(page, testInfo, '04-error');
});

test.describe(() => {
  test.use({ browserPerTest: true }); // a download: the browser is launched with this test's downloads folder

  test('exports the log as a download and imports it from a file', async ({ page, download }, testInfo) => {
    await openExplorer(page);
    await createLog(page, 'logs/source', { rollover: 300 });
    for (let i = 0; i < 8; i++) await publish(page, `message ${i}`, { key: `k${i % 2}` });
    await expect(notice(page)).toHaveText('Published message #7.');
    await page.getByLabel('Select message 2').check();
    await page.getByRole('button', { name: 'Delete 1 selected' }).click();
    await expect(notice(page)).toContainText('Deleted 1 message');

    const { path: archive, name } = await download(page, () =>
      page.getByRole('button', { name: 'Export archive' }).click(),
    );
    expect(name).toMatch(/^logs_source-\d{8}-\d{6}\.zip$/);
    await expect(notice(page)).toContainText(`Exported ${name}`);
    const unzip = spawnSync('unzip', ['-l', archive], { encoding: 'utf8' });
    const listing = unzip.error ? Object.keys(unzipSync(readFileSync(archive))).join('\n') : unzip.stdout;
    expect(listing).toContain('manifest.json');
    expect(listing).toContain('segments/00000000000000000000.log');
    await snap(page, testInfo, '01-exported');

    const importForm = page.locator('#import-form');
    const importInto = async (file: string, dir: string, overwrite = false) => {
      await importForm.getByLabel('Archive (.zip)').setInputFiles(file);
      await importForm.getByLabel('Into directory').fill(dir);
      await importForm.getByLabel('Replace the log that is there').setChecked(overwrite);
      await importForm.getByRole('button', { name: 'Import' }).click();
    };
    await importInto(archive, 'logs/restored');
    await expect(notice(page)).toHaveText('Imported 7 messages into logs/restored (next offset 8).');
    await page.getByRole('button', { name: 'Open logs/restored', exact: true }).click();
    await expect(page.locator('#log-title')).toHaveText('logs/restored');
    await expect.poll(() => offsets(page)).toEqual([7, 6, 5, 4, 3, 1, 0]);
    await expect(row(page, 7).locator('td.value')).toHaveText('message 7');
    await expect(page.locator('#stat')).toContainText('next offset 8');
    await snap(page, testInfo, '02-imported');

    // Again into the same dir: refused without "replace", a readable error.
    await page.getByRole('button', { name: 'Close' }).click();
    await importInto(archive, 'logs/restored');
    await expect(error(page)).toContainText('InvalidArgument');
    await expect(error(page)).toContainText('overwrite');
    await importInto(archive, 'logs/restored', true);
    await expect(notice(page)).toHaveText('Imported 7 messages into logs/restored (next offset 8).');

    // Not an archive at all.
    const text = testInfo.outputPath('notes.zip');
    writeFileSync(text, 'These are my notes, not an archive.');
    await importInto(text, 'logs/notes');
    await expect(error(page)).toContainText('Could not import notes.zip: Corrupted: notes.zip: not a zip archive');
    await expect(page.locator('#log-list li[data-dir="logs/notes"]')).toHaveCount(0);
    await snap(page, testInfo, '03-bad-import');
  });
});

test("a second tab opens the log for writing too, and each tab sees the other's messages live", async ({
  page,
  context,
}, testInfo) => {
  await openExplorer(page);
  await createLog(page, 'logs/shared');
  await publish(page, 'first', { key: 'a' });
  await expect(notice(page)).toHaveText('Published message #0.');

  const second = await context.newPage();
  await openExplorer(second);
  await second.getByRole('button', { name: 'Open logs/shared', exact: true }).click();
  await expect(second.locator('#log-mode')).toHaveText('writer');
  await expect(second.locator('#log-owner')).toHaveText('another tab owns the files');
  await expect(page.locator('#log-owner')).toHaveText('this tab owns the files');
  await expect(second.locator('#publish-form')).toBeVisible();
  await expect.poll(() => offsets(second)).toEqual([0]);
  await snap(second, testInfo, '01-second-writer');

  // Published in the first tab, shown in the second without a click.
  await publish(page, 'second', { key: 'b' });
  await publish(page, '{"third": true}', { json: true });
  await expect(second.locator('#live-feed li')).toHaveCount(2);
  await expect(second.locator('#live-feed li').first()).toContainText('#2');
  await expect(second.locator('#live-feed li').first()).toContainText('{"third": true}');
  await expect.poll(() => offsets(second)).toEqual([2, 1, 0]);
  await expect(second.locator('#stat')).toContainText('3 messages');
  // …and in the first tab's own feed too, which has followed the log since it was created.
  await expect(page.locator('#live-feed li')).toHaveCount(3);

  // Published in the second tab (which forwards to the first), shown in the first.
  await publish(second, 'from the second tab');
  await expect(notice(second)).toHaveText('Published message #3.');
  await expect(page.locator('#live-feed li')).toHaveCount(4);
  await expect.poll(() => offsets(page)).toEqual([3, 2, 1, 0]);
  await snap(second, testInfo, '02-live');

  // A message ticked for deletion stays ticked when a new one arrives and the table redraws.
  await page.getByLabel('Select message 0').check();
  await publish(page, 'fifth');
  await expect.poll(() => offsets(page)).toEqual([4, 3, 2, 1, 0]);
  await expect(page.getByLabel('Select message 0')).toBeChecked();
  await expect(page.getByRole('button', { name: 'Delete 1 selected' })).toBeEnabled();

  // The first tab (the owner) closes; the second takes over and goes on writing.
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(notice(page)).toHaveText('Closed logs/shared: another tab may open it for writing now.');
  await publish(second, 'after the first closed');
  await expect(notice(second)).toHaveText('Published message #5.');
  await expect.poll(() => offsets(second)).toEqual([5, 4, 3, 2, 1, 0]);
  await expect(second.locator('#log-owner')).toHaveText('this tab owns the files');
});

test.describe(() => {
  test.use({ browserPerTest: true }); // persistence granted would stay with a shared browser's origin

  test('shows the storage estimate and asks for persistent storage', async ({ page }, testInfo) => {
    await openExplorer(page);
    await expect(page.locator('#storage-usage')).toHaveText(
      /^[\d.]+ (bytes|KiB|MiB|GiB) used of [\d.]+ (KiB|MiB|GiB|TiB)$/,
    );
    const persisted = page.locator('#storage-persisted');
    await expect(persisted).toHaveText(/persistent/i);
    const ask = page.getByRole('button', { name: 'Make storage persistent' });
    if (await ask.isVisible()) {
      await ask.click();
      await expect(notice(page)).toContainText(/persistent/);
    }
    await snap(page, testInfo, '01-storage');
  });
});
