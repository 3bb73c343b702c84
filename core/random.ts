/**
 * Seeded randomness. Toxicity, jitter, disk-fault choices, traffic mixes and generated data draw
 * from a `RandomSource` passed in, never from Math.random, so a failing run can be replayed from
 * its seed (STYLE.md: Toxiproxy's global random source made its tests unrepeatable).
 */

/** Returns numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32: a small, fast 32-bit generator with good enough spread for fault injection and
 * workloads (not for cryptography).
 *
 * @example
 * const random = seededRandom(42);
 * random(); // the same first value on every run with seed 42
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An integer in [0, n); `n` must be a positive integer.
 *
 * @example
 * randomInt(seededRandom(1), 6); // 0..5
 */
export function randomInt(random: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * One element of a non-empty list.
 *
 * @example
 * pick(seededRandom(7), ['GET', 'PUT']);
 */
export function pick<T>(random: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty list');
  return items[randomInt(random, items.length)]!;
}
