import { medianAbsoluteDeviation, median as ssMedian } from 'simple-statistics';

/**
 * Robust baselines for the detector kinds: the median and the median absolute deviation (MAD)
 * of a reference set of past values, and a score in "robust standard deviations". The median
 * and MAD are used instead of mean and standard deviation because an incident that is still in
 * the reference window must not become its own baseline: both stay put until half the
 * reference is bad (breakdown point 50%, against 0% for the mean). Pure: points in, numbers out.
 */

/**
 * MAD times this estimates the standard deviation of normally distributed values
 * (1 / Φ⁻¹(3/4)), so a score of 3 means what a z-score of 3 means on well-behaved data.
 */
export const madToSigma = 1.4826;

/** Points of one series in time order; NaN (a staleness marker) is skipped. */
export interface Points {
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

export interface ReferenceSpec {
  /** Trailing window (ms) used when there are no seasons. */
  windowMs: number;
  /** Seasonal offsets (ms), e.g. one day and one week: the reference is the same time then. */
  seasonsMs: readonly number[];
  /** Half width (ms) of the window taken around each seasonal reference time. */
  seasonWidthMs: number;
  /**
   * The most recent part of the trailing window (ms) left out of the reference, so that a
   * change lasting up to this long is compared with the time before it.
   */
  excludeRecentMs: number;
}

/**
 * The time ranges (ms, inclusive) whose points form the reference at `t`.
 *
 * @example
 * referenceRanges(t, { windowMs: 864e5, seasonsMs: [], seasonWidthMs: 0, excludeRecentMs: 0 });
 * // [[t - 864e5, t]]
 */
export function referenceRanges(t: number, spec: ReferenceSpec): [number, number][] {
  if (spec.seasonsMs.length === 0) return [[t - spec.windowMs, t - spec.excludeRecentMs]];
  return spec.seasonsMs.map((s) => [t - s - spec.seasonWidthMs, t - s + spec.seasonWidthMs]);
}

/** Finite values of `points` whose time lies in `[from, to]`. */
export function valuesIn(points: Points, [from, to]: readonly [number, number]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.t.length; i++) {
    const ts = points.t[i]!;
    const v = points.v[i]!;
    if (Number.isFinite(v) && ts >= from && ts <= to) out.push(v);
  }
  return out;
}

export interface Baseline {
  median: number;
  /** The spread used to scale scores: MAD x 1.4826, never below the floors. */
  scale: number;
  /** How many reference values it was computed from. */
  n: number;
}

export interface ScaleFloor {
  /** Smallest scale in the series' own unit (a constant series would otherwise score ±∞). */
  absolute: number;
  /** Smallest scale as a share of |median|: a change of a few percent is never an anomaly. */
  relative: number;
}

/**
 * The robust baseline of reference values grouped by the range they came from (one group for
 * a trailing window, one per season), or undefined with fewer than `minPoints` values in all.
 * The median is the median of the groups' medians, and the spread the MAD of each value from
 * its own group's median: so yesterday being a Sunday and last week a Monday moves the
 * baseline between the two, but does not count as noise that would hide a real drop.
 * For a single group these are its plain median and MAD.
 *
 * @example
 * robustBaseline([[10, 11, 9, 10, 50]], { absolute: 0, relative: 0 }, 3); // { median: 10, scale: 1.4826, n: 5 }
 */
export function robustBaseline(
  groups: number[][],
  floor: ScaleFloor,
  minPoints: number,
): Baseline | undefined {
  const filled = groups.filter((g) => g.length > 0);
  const n = filled.reduce((sum, g) => sum + g.length, 0);
  if (n === 0 || n < minPoints) return undefined;
  const medians = filled.map((g) => ssMedian(g));
  const median = medians.length === 1 ? medians[0]! : ssMedian(medians);
  let mad: number;
  if (filled.length === 1) mad = n > 1 ? medianAbsoluteDeviation(filled[0]!) : 0;
  else {
    const deviations: number[] = [];
    filled.forEach((g, i) => {
      for (const v of g) deviations.push(Math.abs(v - medians[i]!));
    });
    mad = ssMedian(deviations);
  }
  const scale = Math.max(mad * madToSigma, floor.absolute, floor.relative * Math.abs(median));
  return { median, scale, n };
}

/**
 * How many scales `x` lies from the baseline (positive above). A zero scale (no floors and a
 * constant reference) gives ±Infinity for any change and 0 for none.
 */
export function robustScore(x: number, baseline: Baseline): number {
  const d = x - baseline.median;
  if (d === 0) return 0;
  return baseline.scale > 0
    ? d / baseline.scale
    : d > 0
      ? Number.POSITIVE_INFINITY
      : Number.NEGATIVE_INFINITY;
}

/** Which way a change must go to count. */
export type Direction = 'up' | 'down' | 'both';

/** The score seen from `direction`: large and positive when the change goes the watched way. */
export function directedScore(score: number, direction: Direction): number {
  return direction === 'up' ? score : direction === 'down' ? -score : Math.abs(score);
}
