// Svelte 5: the README's Cart.svelte, where the projection is a store (`$cart`).
import { mount, unmount } from 'svelte';
import Cart from './readme/Cart.svelte';
import { countedCart, countedEvents, expose, target } from './tools.ts';

let component: ReturnType<typeof mount> | null = null;
expose(
  () => {
    component = mount(Cart, { target: target(), props: { cart: countedCart, events: countedEvents } });
  },
  () => {
    if (component) void unmount(component);
  },
);
