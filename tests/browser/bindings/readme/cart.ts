import { open, typed, string, json, projection } from 'opfs-log';

export type CartEvent = { type: 'added'; price: number } | { type: 'removed' };
export type Cart = { items: Record<string, number>; total: number };

export const log = await open('apps/cart', { createDirs: true });
export const events = typed(log, { key: string(), value: json<CartEvent>() });
export const cart = projection(events, {
  name: 'cart',
  version: 1,
  initial: { items: {}, total: 0 } as Cart,
  apply: ({ items, total }, { key, value }) => {
    if (value!.type === 'added') return { items: { ...items, [key!]: value!.price }, total: total + value!.price };
    const { [key!]: gone = 0, ...rest } = items;
    return { items: rest, total: total - gone };
  },
});
