// React 19: the README's CartView, always in StrictMode (its double mount must leave one of everything).
import { StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { CartView } from './readme/Cart.tsx';
import { countedCart, countedEvents, expose, target } from './tools.ts';

let root: Root | null = null;
expose(
  () => {
    root = createRoot(target());
    root.render(
      <StrictMode>
        <CartView cart={countedCart} events={countedEvents} />
      </StrictMode>,
    );
  },
  () => root?.unmount(),
);
