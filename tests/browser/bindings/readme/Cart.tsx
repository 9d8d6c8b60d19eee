import type { Projection, TypedLog } from 'opfs-log';
import { useLatestMessages, useProjection, useProjectionStatus } from 'opfs-log/react';
import type { Cart, CartEvent } from './cart';

// Mounted as usual, e.g. createRoot(element).render(<CartView cart={cart} events={events} />).
export function CartView({ cart, events }: { cart: Projection<Cart>; events: TypedLog<string, CartEvent> }) {
  const { items, total } = useProjection(cart); // re-renders on every change, whichever tab published
  const { status, offset } = useProjectionStatus(cart); // changes identity only when one of them changes
  const latest = useLatestMessages(events, 3); // the newest three events, live; closed on unmount
  return (
    <section>
      <p className="total">{status === 'live' ? `items: ${Object.keys(items).length}, total: ${total}` : 'loading'}</p>
      <p className="offset">folded to {offset}</p>
      <ol className="latest">
        {latest.map((m) => (
          <li key={m.offset}>{`${m.key} ${m.value?.type}`}</li>
        ))}
      </ol>
    </section>
  );
}
