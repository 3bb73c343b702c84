/**
 * Prometheus marks a series that disappeared (target gone, series no longer exposed, rule no
 * longer producing it) with one special NaN, bit pattern 0x7ff0000000000002. PromQL treats a
 * sample carrying it as "no value from here on", which ends the 5m lookback early.
 *
 * The pattern is a signalling NaN; x86 quiets it (sets bit 51) when it passes through a
 * register, so the check ignores the quiet bit and looks at the payload.
 */

const scratch = new DataView(new ArrayBuffer(8));

function makeStaleNaN(): number {
  scratch.setUint32(0, 0x7ff00000);
  scratch.setUint32(4, 0x00000002);
  return scratch.getFloat64(0);
}

/** The staleness marker value, as Prometheus writes it. */
export const staleNaN: number = makeStaleNaN();

/**
 * True when `v` is Prometheus' staleness marker (and not an ordinary NaN).
 *
 * @example
 * isStaleNaN(staleNaN); // true
 * isStaleNaN(Number.NaN); // false
 */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratch.setFloat64(0, v);
  return (scratch.getUint32(0) & 0xfff7ffff) === 0x7ff00000 && scratch.getUint32(4) === 2;
}
