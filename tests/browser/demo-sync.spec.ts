// The explorer's Sync panel (demo/sync.ts), driven as a person would, through
// a real nats-server: push the open log to a stream and watch the status
// (state, lag, position), stop, pull the stream into a second log, and see
// an unreachable server reported as offline with its error. A screenshot of
// each screen is kept as a test artifact, as demo.spec.ts does.
import type { Page, TestInfo } from '@playwright/test';
import { freePort } from '../nats/server.ts';
import { expect, test } from './fixtures.ts';
import { readStream, serverPerTest } from './jetstream-tools.ts';

const nats = serverPerTest();

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

async function createLog(page: Page, dir: string): Promise<void> {
  const form = page.locator('#create-form');
  await form.getByLabel('Directory').fill(dir);
  await form.getByRole('button', { name: 'Create and open' }).click();
  await expect(page.locator('#log-title')).toHaveText(dir);
}

async function publish(page: Page, key: string, value: string): Promise<void> {
  const form = page.locator('#publish-form');
  await form.getByLabel('Key (optional)').fill(key);
  await form.getByLabel('Value', { exact: true }).fill(value);
  await form.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('#notice')).toContainText('Published message');
}

async function startSync(page: Page, url: string, direction: 'push' | 'pull'): Promise<void> {
  const form = page.locator('#sync-form');
  await form.getByLabel('Server URL').fill(url);
  await form.getByLabel('Stream', { exact: true }).fill('EVENTS');
  await form.getByLabel('Subject', { exact: true }).fill('events.explorer');
  await form.getByLabel('Direction').selectOption(direction);
  await form.getByRole('button', { name: 'Start sync' }).click();
}

const state = (page: Page) => page.locator('#sync-state');

test('the Sync panel pushes the open log to a stream, shows state and lag, stops; another log pulls it back', async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000);
  await page.goto('/');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  await createLog(page, 'sync/outbox');
  for (const [key, value] of [
    ['user-1', 'signed up'],
    ['user-2', 'signed up'],
    ['user-1', 'bought a hat'],
  ])
    await publish(page, key!, value!);
  await expect(state(page)).toHaveText('not syncing');

  await startSync(page, nats.server.wsUrl, 'push');
  await expect(state(page)).toHaveText('online', { timeout: 20_000 });
  await expect(page.locator('#sync-position')).toHaveText('3');
  await expect(page.locator('#sync-lag')).toHaveText('0');
  await expect(page.locator('#sync-form').getByLabel('Server URL')).toBeDisabled();
  await snap(page, testInfo, '01-pushing');

  await publish(page, 'user-2', 'left'); // live: pushed while the panel watches
  await expect(page.locator('#sync-position')).toHaveText('4');
  await page.getByRole('button', { name: 'Stop sync' }).click();
  await expect(state(page)).toHaveText('stopped');
  const stored = await readStream(nats.nc, 'EVENTS', 'events.explorer');
  expect(stored.map((p) => [p.row[0], Buffer.from(p.row[3]!, 'base64').toString()])).toEqual([
    [0, 'signed up'],
    [1, 'signed up'],
    [2, 'bought a hat'],
    [3, 'left'],
  ]);

  await createLog(page, 'sync/inbox');
  await expect(state(page)).toHaveText('not syncing');
  await startSync(page, nats.server.wsUrl, 'pull');
  await expect(state(page)).toHaveText('online', { timeout: 20_000 });
  await expect(page.locator('#sync-position')).toHaveText('4'); // the stream sequence of the last message pulled
  await expect(page.locator('#stat')).toContainText('4 messages');
  await expect(page.locator('#message-rows')).toContainText('bought a hat');
  await snap(page, testInfo, '02-pulled');
  await page.getByRole('button', { name: 'Close', exact: true }).click(); // stops the sync, then closes the log
  await expect(page.locator('#welcome')).toBeVisible();
});

test('the Sync panel shows an unreachable server as offline with its error, and stops', async ({ page }, testInfo) => {
  test.setTimeout(60_000);
  await page.goto('/');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  await createLog(page, 'sync/offline');
  const nobody = await freePort();
  await startSync(page, `ws://127.0.0.1:${nobody}`, 'push');
  await expect(state(page)).toHaveText('offline', { timeout: 20_000 });
  await expect(page.locator('#sync-error')).toContainText('Unreachable');
  await snap(page, testInfo, '01-offline');
  await page.getByRole('button', { name: 'Stop sync' }).click();
  await expect(state(page)).toHaveText('stopped');
  await expect(page.locator('#sync-form').getByRole('button', { name: 'Start sync' })).toBeEnabled();
});
