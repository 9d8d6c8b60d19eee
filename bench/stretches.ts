/** Which parts of a large log the scaling run reads back and probes (bench/scaling.ts, bench/handles-worker.ts), apart so a unit test can load it without the page's modules. */

/**
 * The stretches [from, to) a consume of a `total`-message log reads: the
 * whole log when it holds at most `max` messages, else `max` of them in
 * `count` equal stretches spread evenly from the start to the end.
 */
export function consumeStretches(total: number, max: number, count: number): [number, number][] {
  if (total <= max) return [[0, total]];
  const length = Math.floor(max / count);
  const gap = count > 1 ? (total - length * count) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => {
    const from = Math.round(i * (length + gap));
    return [from, from + length] as [number, number];
  });
}

/**
 * The order in which the scaling run probes a log's `n` segment files for
 * open handles (bench/handles-worker.ts): the newest (the head) first, then
 * the others in bit-reversed order (0, n/2, n/4, 3n/4, ...), so that every
 * prefix of the order is spread evenly over the log and a probe stopped by
 * its time budget leaves an even sample.
 */
export function probeOrder(n: number): number[] {
  if (n <= 0) return [];
  const order = [n - 1];
  let bits = 0;
  while (1 << bits < n - 1) bits++;
  for (let i = 0; i < 1 << bits; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    if (r < n - 1) order.push(r);
  }
  return order;
}
