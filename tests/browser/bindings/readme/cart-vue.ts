import { defineComponent, h, type PropType } from 'vue';
import type { Projection, TypedLog } from 'opfs-log';
import { useLatestMessages, useProjection } from 'opfs-log/vue';
import type { Cart, CartEvent } from './cart';

// Mounted as usual, e.g. createApp(CartView, { cart, events }).mount(element); in an SFC's
// <script setup>, `const state = useProjection(cart)` is used the same way.
export const CartView = defineComponent({
  props: {
    cart: { type: Object as PropType<Projection<Cart>>, required: true },
    events: { type: Object as PropType<TypedLog<string, CartEvent>>, required: true },
  },
  setup(props) {
    const state = useProjection(props.cart); // a readonly shallow ref, unsubscribed on unmount
    const latest = useLatestMessages(props.events, 3); // the newest three events, live; closed on unmount
    return () =>
      h('section', [
        h('p', { class: 'total' }, `items: ${Object.keys(state.value.items).length}, total: ${state.value.total}`),
        h(
          'ol',
          { class: 'latest' },
          latest.value.map((m) => h('li', { key: m.offset }, `${m.key} ${m.value?.type}`)),
        ),
      ]);
  },
});
