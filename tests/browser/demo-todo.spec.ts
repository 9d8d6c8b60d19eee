// The todo list (todo.html + demo/todo/): an event-sourced app on a
// projection and the React binding, driven as a person would. Its state
// comes back after a reload (from the snapshot it shows), and a second tab
// shows the first's changes live.
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';

/** Opens the todo list and waits until it shows the list caught up with the log. */
async function openTodos(page: Page): Promise<void> {
  await page.goto('/todo.html');
  await expect(page.locator('#status')).toHaveText('live');
  await expect(page.locator('#loaded')).toContainText('showed the list');
}

async function add(page: Page, title: string): Promise<void> {
  await page.getByLabel('New todo').fill(title);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(todos(page).getByText(title, { exact: true })).toBeVisible();
}

const todos = (page: Page) => page.getByRole('list', { name: 'Todos' });
const box = (page: Page, title: string) => todos(page).getByRole('checkbox', { name: title });

test('todos added and completed come back after a reload, from the snapshot the page shows', async ({ page }) => {
  await openTodos(page);
  await expect(page.locator('#snapshot')).toHaveText('none yet');
  await add(page, 'Buy milk');
  await add(page, 'Fix the bike');
  await add(page, 'Call the plumber');
  await box(page, 'Fix the bike').click();
  await expect(box(page, 'Fix the bike')).toBeChecked();
  await expect(page.locator('#offset')).toHaveText('4');
  await expect(page.locator('#todo-count')).toHaveText('3 todos, 1 done, from 4 events');
  // The newest event first, live.
  await expect(page.locator('#events li').first()).toContainText('#3');
  await expect(page.locator('#events li').first()).toContainText('completed');
  // A snapshot is saved a moment after the events (or at once with the button).
  await page.getByRole('button', { name: 'Save a snapshot now' }).click();
  await expect(page.locator('#snapshot-offset')).toHaveText('4');

  await page.reload();
  await expect(page.locator('#status')).toHaveText('live');
  await expect(page.locator('#todo-count')).toHaveText('3 todos, 1 done, from 4 events');
  await expect(box(page, 'Fix the bike')).toBeChecked();
  await expect(box(page, 'Buy milk')).not.toBeChecked();
  await expect(page.locator('#snapshot-offset')).toHaveText('4');
  await expect(page.locator('#loaded')).toContainText('from the snapshot at offset 4, folding 0 events after it');
  await expect(page.locator('#loaded')).toHaveAttribute('data-ms', /^\d+$/);

  // Removed, it stays removed after the next reload (folded after the snapshot, or from a newer one).
  await todos(page).getByRole('button', { name: 'Remove Buy milk' }).click();
  await expect(todos(page).getByText('Buy milk')).toHaveCount(0);
  await page.reload();
  await expect(page.locator('#todo-count')).toHaveText('2 todos, 1 done, from 5 events');
});

test("a second tab shows the first's changes live, and the first the second's", async ({ page, context }) => {
  await openTodos(page);
  const second = await context.newPage();
  await openTodos(second);

  await add(page, 'Write a letter');
  await expect(todos(second).getByText('Write a letter', { exact: true })).toBeVisible();
  await expect(second.locator('#events li').first()).toContainText('“Write a letter”');

  // The box shows the list's state: checked once the event is folded (a click publishes it).
  await box(second, 'Write a letter').click();
  await expect(box(second, 'Write a letter')).toBeChecked();
  await expect(box(page, 'Write a letter')).toBeChecked();
  await add(second, 'Book tickets');
  await expect(todos(page).getByText('Book tickets', { exact: true })).toBeVisible();
  for (const tab of [page, second]) {
    await expect(tab.locator('#offset')).toHaveText('3');
    await expect(tab.locator('#todo-count')).toHaveText('2 todos, 1 done, from 3 events');
  }
});
