// The demo page (`npm run demo`) works: it opens its log, publishes what is
// typed, lists it, and still lists it after a reload.
import { test, expect } from './fixtures.ts';

test('the demo page publishes and lists messages, also after a reload', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('0 message(s).');

  for (const [i, text] of ['hello', 'world'].entries()) {
    await page.locator('#value').fill(text);
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect(page.locator('#messages li')).toHaveCount(i + 1);
  }
  await expect(page.locator('#messages li').last()).toContainText('#1');
  await expect(page.locator('#messages li').last()).toContainText('world');

  await page.reload();
  await expect(page.locator('#status')).toHaveText('2 message(s).');
  await expect(page.locator('#messages li').first()).toContainText('hello');
});
