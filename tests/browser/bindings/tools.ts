// What the binding pages share: the README's cart (./readme/), wrapped so that the spec can count
// what a mounted component holds: live subscriptions to the projection, and the latest-messages
// reads (consumeBlocking calls) still waiting on the log. After an unmount both must be 0.
import { typed, json, string, type Log, type Projection } from '../../../src/index.ts';
import { cart, log, type Cart, type CartEvent } from './readme/cart.ts';

/** What a binding page puts on `window.bindingsPage` for the spec. */
export interface BindingsPage {
  mount(): void;
  unmount(): void;
  /** Live subscriptions to the projection, and consumeBlocking calls waiting on the log. */
  counts(): { subscriptions: number; reads: number };
}

declare global {
  interface Window {
    bindingsPage: BindingsPage;
  }
}

let subscriptions = 0;
let reads = 0;

/** The projection, with each `subscribe` counted until its unsubscribe is called. */
export const countedCart = new Proxy(cart, {
  get(target, key) {
    if (key === 'subscribe')
      return (listener: (state: Cart) => void) => {
        const stop = target.subscribe(listener);
        subscriptions++;
        let stopped = false;
        return () => {
          if (!stopped) subscriptions--;
          stopped = true;
          stop();
        };
      };
    const value = Reflect.get(target, key, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as Projection<Cart>;

/** The log, with each `consumeBlocking` counted while it waits. */
const countedLog = new Proxy(log, {
  get(target, key) {
    if (key === 'consumeBlocking')
      return async (...args: Parameters<Log['consumeBlocking']>) => {
        reads++;
        try {
          return await target.consumeBlocking(...args);
        } finally {
          reads--;
        }
      };
    const value = Reflect.get(target, key, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

/** The cart's events, read through the counted log: what the components' latest messages read. */
export const countedEvents = typed(countedLog, { key: string(), value: json<CartEvent>() });

/** A fresh element for a component to mount in. */
export function target(): HTMLElement {
  document.getElementById('app')?.remove();
  const element = document.createElement('div');
  element.id = 'app';
  document.body.append(element);
  return element;
}

export function expose(mount: () => void, unmount: () => void): void {
  window.bindingsPage = { mount, unmount, counts: () => ({ subscriptions, reads }) };
}
