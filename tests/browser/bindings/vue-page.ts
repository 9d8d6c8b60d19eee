// Vue 3: the README's CartView, on useProjection and useLatestMessages.
import { createApp, type App } from 'vue';
import { CartView } from './readme/cart-vue.ts';
import { countedCart, countedEvents, expose, target } from './tools.ts';

let app: App | null = null;
expose(
  () => {
    app = createApp(CartView, { cart: countedCart, events: countedEvents });
    app.mount(target());
  },
  () => app?.unmount(),
);
