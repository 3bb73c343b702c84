/**
 * Float functions computed the way Go's math package computes them, where JavaScript's
 * built-ins may differ in the last bit: PromQL results must be identical to Prometheus',
 * not merely close.
 */

const scratch = new DataView(new ArrayBuffer(8));

/** Go's math.Frexp: v = frac * 2^exp with frac in [0.5, 1). */
export function frexp(v: number): [number, number] {
  if (v === 0 || !Number.isFinite(v)) return [v, 0];
  let x = v;
  let exp = 0;
  if (Math.abs(x) < 2.2250738585072014e-308) {
    x *= 2 ** 52;
    exp = -52;
  }
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  exp += ((hi >>> 20) & 0x7ff) - 1022;
  scratch.setUint32(0, (hi & ~(0x7ff << 20)) | (1022 << 20));
  return [scratch.getFloat64(0), exp];
}

/** Go's math.Log2: exact for powers of two. */
export function log2(x: number): number {
  const [frac, exp] = frexp(x);
  if (frac === 0.5) return exp - 1;
  // Go folds 1/Ln2 at compile time in exact arithmetic: that is LOG2E.
  return Math.log(frac) * Math.LOG2E + exp;
}

/**
 * Go's math.Log10: Log(x) * (1/Ln10) with the constant folded exactly at compile time (that is
 * Math.LOG10E), not JavaScript's Math.log10, which differs in the last bit for many inputs
 * (log10(6250): Go 3.795880017344075, Math.log10 3.7958800173440754).
 */
export function log10(x: number): number {
  return Math.log(x) * Math.LOG10E;
}

/** Go's math.Pow special cases where they differ from JavaScript's `**`. */
export function pow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

/** Go's math.Mod: the sign of the result follows x, as JavaScript's `%` does. */
export function mod(x: number, y: number): number {
  return x % y;
}

/** Neumaier-compensated summation step, as Prometheus' kahanSumInc. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  let nc = c;
  if (Math.abs(sum) >= Math.abs(inc)) nc += sum - t + inc;
  else nc += inc - t + sum;
  return [t, nc];
}
