/**
 * opfs-log/react on the server: `renderToString` of the README's cart component (as the browser
 * tier renders it) gives the projection's initial state, though the projection has folded more,
 * and the hooks touch nothing but `initial`: no subscribe, no state, no read of the log, no
 * browser API (there is none in Node; the wrappers below count what is touched).
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { projection, type Projection } from '../../src/projection/projection.ts';
import { useLatestMessages, useProjection, useProjectionStatus } from '../../src/react.ts';
import { json, string } from '../../src/typed/codecs.ts';
import { typed } from '../../src/typed/typed.ts';
import type { Log } from '../../src/types.ts';
import { CartView } from '../browser/bindings/readme/Cart.tsx';
import type { Cart, CartEvent } from '../browser/bindings/readme/cart.ts';
import { freshEnv, openLog } from './helpers.ts';

/** `target` with every property read recorded in `touched`. */
function watched<T extends object>(target: T, touched: string[]): T {
  return new Proxy(target, {
    get(t, key) {
      touched.push(String(key));
      const value = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/** What the three hooks return, pushed to `seen`. */
function Probe({ p, initial, seen }: { p: Projection<{ n: number }> | null; initial: { n: number }; seen: unknown[] }) {
  seen.push(useProjection(p, initial), useProjectionStatus(p), useLatestMessages(null as Log | null, 3));
  return null;
}

describe('opfs-log/react on the server', () => {
  it('renders the initial state and touches nothing of the projection but initial, nor the log', async () => {
    expect(typeof window).toBe('undefined');
    const log = await openLog(freshEnv());
    const events = typed(log, { key: string(), value: json<CartEvent>() });
    await events.publish([{ key: 'tea', value: { type: 'added', price: 4 } }]);
    const cart = projection(events, {
      name: 'cart',
      version: 1,
      initial: { items: {}, total: 0 } as Cart,
      apply: ({ items, total }, { key, value }) =>
        value!.type === 'added'
          ? { items: { ...items, [key!]: value!.price }, total: total + value!.price }
          : { items, total },
      snapshots: false,
    });
    expect((await cart.ready).total).toBe(4);

    const touchedCart: string[] = [];
    const touchedLog: string[] = [];
    const watchedEvents = typed(watched(log, touchedLog), { key: string(), value: json<CartEvent>() });
    touchedLog.length = 0; // typed() checked it was a log
    const html = renderToString(createElement(CartView, { cart: watched(cart, touchedCart), events: watchedEvents }));
    expect(html).toContain('loading'); // status on the server: loading
    expect(html).toContain('folded to <!-- -->0');
    expect(html).not.toContain('<li>');
    expect([...new Set(touchedCart)]).toEqual(['initial']);
    expect(touchedLog).toEqual([]);
    await cart.close();
    await log.close();
  });

  it('useProjection gives initial before a projection is there, and its own initial over the argument', () => {
    const initial = { n: 1 };
    const own = { n: 2 };
    const fake = { initial: own } as Projection<{ n: number }>;
    const seen: unknown[] = [];
    renderToString(createElement(Probe, { p: null, initial, seen }));
    renderToString(createElement(Probe, { p: fake, initial, seen }));
    expect(seen[0]).toBe(initial);
    expect(seen[3]).toBe(own);
    expect(seen[1]).toEqual({ status: 'loading', offset: 0, error: null, snapshot: null });
    expect(seen[4]).toBe(seen[1]); // the one object, whatever the projection
    expect(seen[2]).toEqual([]);
  });
});
