/** Which parts of a large log the scaling run reads back (bench/scaling.ts), apart so a unit test can load it without the page's modules. */

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
