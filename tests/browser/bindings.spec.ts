// The framework bindings with the real frameworks: React 19 (opfs-log/react, in StrictMode),
// Svelte 5 (the projection is a store) and Vue 3 (opfs-log/vue). Each renders the README's cart
// component (tests/browser/bindings/readme/, the README's blocks as written) in one tab, another
// tab publishes, and the component shows it; after the unmount nothing is left subscribed and no
// read of the log waits on (the pages count both through wrappers, tests/browser/bindings/tools.ts).
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';

const DIR = 'apps/cart'; // where the README's cart.ts opens its log
const PAGES = {
  React: { url: '/tests/browser/bindings/react-page.tsx', subscriptions: 2 }, // useProjection + useProjectionStatus
  Svelte: { url: '/tests/browser/bindings/svelte-page.ts', subscriptions: 1 }, // $cart
  Vue: { url: '/tests/browser/bindings/vue-page.ts', subscriptions: 1 }, // useProjection
};

async function load(page: Page, url: string): Promise<void> {
  await page.evaluate(async (u) => {
    await import(/* @vite-ignore */ u);
  }, url);
  await page.waitForFunction(() => window.bindingsPage !== undefined);
}

/** Publishes cart events from `page` (another tab), through its own writer of the log. */
async function publish(page: Page, events: [string, object][]): Promise<void> {
  await page.evaluate(
    async ([dir, events]) => {
      const { lib } = window.harness;
      const log = window.harness.logs.get('cart') ?? (await lib.open(dir, { createDirs: true }));
      window.harness.logs.set('cart', log);
      const cart = lib.typed(log, { key: lib.string(), value: lib.json<object>() });
      await cart.publish(events.map(([key, value]) => ({ key, value })));
    },
    [DIR, events] as const,
  );
}

for (const [framework, { url, subscriptions }] of Object.entries(PAGES)) {
  test(`${framework}: the cart component shows what another tab publishes; unmounted, it leaves nothing running`, async ({
    page,
    newHarnessPage,
  }) => {
    await load(page, url);
    await page.evaluate(() => window.bindingsPage.mount());
    const total = page.locator('#app .total');
    await expect(total).toHaveText('items: 0, total: 0');

    const other = await newHarnessPage();
    await publish(other, [
      ['tea', { type: 'added', price: 4 }],
      ['cake', { type: 'added', price: 3 }],
    ]);
    await expect(total).toHaveText('items: 2, total: 7');
    await publish(other, [['tea', { type: 'removed' }]]);
    await expect(total).toHaveText('items: 1, total: 3');
    await expect(page.locator('#app .latest li')).toHaveText(['tea added', 'cake added', 'tea removed']);
    await publish(other, [['jam', { type: 'added', price: 2 }]]);
    await expect(page.locator('#app .latest li')).toHaveText(['cake added', 'tea removed', 'jam added']);
    // One of each, also after React's StrictMode mounted, unmounted and mounted again.
    expect(await page.evaluate(() => window.bindingsPage.counts())).toEqual({ subscriptions, reads: 1 });

    await page.evaluate(() => window.bindingsPage.unmount());
    await expect(page.locator('#app .total')).toHaveCount(0);
    await expect.poll(() => page.evaluate(() => window.bindingsPage.counts())).toEqual({ subscriptions: 0, reads: 0 });
  });
}

test("the README's binding examples are the components these tests render", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [
    ...readme.matchAll(
      /<!-- This block is (tests\/browser\/bindings\/readme\/\S+), rendered by[^\n]*\n```\w+\n([\s\S]*?)\n```/g,
    ),
  ];
  expect(blocks.map((b) => b[1])).toEqual([
    'tests/browser/bindings/readme/cart.ts',
    'tests/browser/bindings/readme/Cart.tsx',
    'tests/browser/bindings/readme/Cart.svelte',
    'tests/browser/bindings/readme/cart-vue.ts',
  ]);
  for (const [, path, code] of blocks) {
    expect(code, path).toBe(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8').trimEnd());
  }
});
