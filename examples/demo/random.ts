/**
 * A seeded random source. The traffic mix and ids draw from it, so a run (and a failing test)
 * can be replayed from its seed; Math.random is never used.
 */
export type Random = () => number;

/**
 * mulberry32: a tiny 32-bit generator with good enough spread for choosing requests. Returns
 * floats in [0, 1).
 *
 * @example
 * const random = seededRandom(42);
 * const roll = random(); // the same value on every run with seed 42
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** One element of a non-empty list. */
export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty list');
  return items[randomInt(random, items.length)]!;
}
