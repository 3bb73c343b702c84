import { expandReplacement, type RelabelRegex, VigilError } from '../../core/index.ts';
import { compileMatcherRegex, type Labels, type WindowSummary } from '../store/index.ts';
import { kahanSumInc, log2, log10 } from './gomath.ts';
import { dropName, type Sample, type Series } from './values.ts';

/**
 * PromQL functions, each computed exactly as Prometheus 2.42 computes it (same order of
 * floating-point operations), because the differential tests compare results bit for bit.
 */

/** Where a range-vector function's window lies: needed by the extrapolating functions. */
export interface RangeContext {
  /** The evaluation time (predict_linear fits its line around it). */
  evalTime: number;
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
}

/** A function of one series' points in a window; undefined means "no output sample". */
export type RangeFunction = (s: Series, r: RangeContext, scalars: number[]) => number | undefined;

function extrapolatedRate(
  s: Series,
  r: RangeContext,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const n = s.t.length;
  if (n < 2) return undefined;
  let result = s.v[n - 1]! - s.v[0]!;
  if (isCounter) {
    let last = 0;
    for (const v of s.v) {
      if (v < last) result += last;
      last = v;
    }
  }
  return extrapolate(
    result,
    n,
    s.t[0]!,
    s.v[0]!,
    s.t[n - 1]!,
    r.rangeStart,
    r.rangeEnd,
    r.rangeMs,
    isCounter,
    isRate,
  );
}

/**
 * rate(), increase() or delta() from a window summary (store/window.ts) instead of the
 * window's samples: the same additions in the same order as extrapolatedRate, so the same
 * bits.
 */
export function extrapolatedRateFromSummary(
  w: WindowSummary,
  r: RangeContext,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (w.count < 2) return undefined;
  let result = w.lastV - w.firstV;
  if (isCounter) for (const previous of w.resetPrevious) result += previous;
  return extrapolate(
    result,
    w.count,
    w.firstT,
    w.firstV,
    w.lastT,
    r.rangeStart,
    r.rangeEnd,
    r.rangeMs,
    isCounter,
    isRate,
  );
}

/**
 * The same from a window's parts, its resets being `resets[from .. to)`: what a backtest's
 * window cursors give (store/window.ts WindowCursor), without a summary object per window.
 * Undefined when the window has fewer than two samples (no output sample).
 */
export function extrapolatedRateFromParts(
  count: number,
  firstT: number,
  firstV: number,
  lastT: number,
  lastV: number,
  resets: readonly number[],
  from: number,
  to: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (count < 2) return undefined;
  let result = lastV - firstV;
  if (isCounter) for (let i = from; i < to; i++) result += resets[i]!;
  return extrapolate(result, count, firstT, firstV, lastT, rangeStart, rangeEnd, rangeMs, isCounter, isRate);
}

/** Prometheus' extrapolation of a window's increase to the window's bounds. */
function extrapolate(
  result: number,
  n: number,
  firstT: number,
  firstV: number,
  lastT: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number {
  let durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  // Extrapolate to a boundary only when a sample lies within 110% of the average spacing of
  // it; otherwise assume the series starts or ends half a spacing beyond its outer samples.
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval +=
    durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval +=
    durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

/** The range functions that a window summary answers: name -> [isCounter, isRate]. */
export const summaryRangeFunctions: Readonly<Record<string, readonly [boolean, boolean]>> = {
  rate: [true, true],
  increase: [true, false],
  delta: [false, false],
};

function instantValue(s: Series, isRate: boolean): number | undefined {
  const n = s.t.length;
  if (n < 2) return undefined;
  const last = s.v[n - 1]!;
  const prev = s.v[n - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const sampledInterval = s.t[n - 1]! - s.t[n - 2]!;
  if (sampledInterval === 0) return undefined;
  if (isRate) result /= sampledInterval / 1000;
  return result;
}

/** Least-squares fit of the points, x in seconds from `interceptTime`. */
export function linearRegression(s: Series, interceptTime: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = s.v[0]!;
  let constY = true;
  for (let i = 0; i < s.t.length; i++) {
    const v = s.v[i]!;
    if (constY && i > 0 && v !== initY) constY = false;
    n += 1;
    const x = (s.t[i]! - interceptTime) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(v, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** Prometheus' quantile of a list of values (NaN sorts first), by linear interpolation. */
export function quantile(q: number, values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = Array.from(values).sort(byValueNaNFirst);
  const n = sorted.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lowerIndex]! * (1 - weight) + sorted[upperIndex]! * weight;
}

export function byValueNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}

function stdvarOverTime(s: Series): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (const v of s.v) {
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

export const rangeFunctions: Readonly<Record<string, RangeFunction>> = {
  rate: (s, r) => extrapolatedRate(s, r, true, true),
  increase: (s, r) => extrapolatedRate(s, r, true, false),
  delta: (s, r) => extrapolatedRate(s, r, false, false),
  irate: (s) => instantValue(s, true),
  idelta: (s) => instantValue(s, false),
  deriv: (s) => (s.t.length < 2 ? undefined : linearRegression(s, s.t[0]!)[0]),
  predict_linear: (s, r, [duration]) => {
    if (s.t.length < 2) return undefined;
    const [slope, intercept] = linearRegression(s, r.evalTime);
    return slope * duration! + intercept;
  },
  changes: (s) => {
    let changes = 0;
    let prev = s.v[0]!;
    for (let i = 1; i < s.v.length; i++) {
      const cur = s.v[i]!;
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
      prev = cur;
    }
    return changes;
  },
  resets: (s) => {
    let resets = 0;
    let prev = s.v[0]!;
    for (let i = 1; i < s.v.length; i++) {
      const cur = s.v[i]!;
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  },
  avg_over_time: (s) => {
    let mean = 0;
    let count = 0;
    let c = 0;
    for (const v of s.v) {
      count++;
      if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
        if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
        if (Number.isFinite(v)) continue;
      }
      [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
    }
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) return mean;
    return mean + c;
  },
  sum_over_time: (s) => {
    let sum = 0;
    let c = 0;
    for (const v of s.v) [sum, c] = kahanSumInc(v, sum, c);
    if (!Number.isFinite(sum) && !Number.isNaN(sum)) return sum;
    return sum + c;
  },
  count_over_time: (s) => s.v.length,
  min_over_time: (s) => {
    let min = s.v[0]!;
    for (const v of s.v) if (v < min || Number.isNaN(min)) min = v;
    return min;
  },
  max_over_time: (s) => {
    let max = s.v[0]!;
    for (const v of s.v) if (v > max || Number.isNaN(max)) max = v;
    return max;
  },
  stddev_over_time: (s) => Math.sqrt(stdvarOverTime(s)),
  stdvar_over_time: (s) => stdvarOverTime(s),
  last_over_time: (s) => s.v[s.v.length - 1],
  present_over_time: () => 1,
  quantile_over_time: (s, _r, [q]) => quantile(q!, s.v),
};

/** Range functions whose output keeps the metric name. */
export const keepsName = new Set(['last_over_time']);

const mathFn = (f: (v: number) => number) => (samples: Sample[]) =>
  samples.map((s) => ({ labels: dropName(s.labels), v: f(s.v) }));

/** Go's time.Unix(int64(v), 0).UTC(), for the date functions. */
function utc(v: number): Date {
  return new Date(Math.trunc(v) * 1000);
}

const dateFn = (f: (d: Date) => number) => mathFn((v) => f(utc(v)));

export type VectorFunction = (samples: Sample[], scalars: number[], strings: string[]) => Sample[];

export const vectorFunctions: Readonly<Record<string, VectorFunction>> = {
  abs: mathFn(Math.abs),
  ceil: mathFn(Math.ceil),
  floor: mathFn(Math.floor),
  exp: mathFn(Math.exp),
  ln: mathFn(Math.log),
  log2: mathFn(log2),
  log10: mathFn(log10),
  sqrt: mathFn(Math.sqrt),
  sgn: mathFn((v) => (v < 0 ? -1 : v > 0 ? 1 : v)),
  deg: mathFn((v) => (v * 180) / Math.PI),
  rad: mathFn((v) => (v * Math.PI) / 180),
  round: (samples, [toNearest = 1]) => {
    // Prometheus rounds half up, in multiples of to_nearest.
    const inverse = 1 / toNearest;
    return samples.map((s) => ({ labels: dropName(s.labels), v: Math.floor(s.v * inverse + 0.5) / inverse }));
  },
  clamp: (samples, [min, max]) => {
    if (max! < min!) return [];
    return samples.map((s) => ({ labels: dropName(s.labels), v: Math.max(min!, Math.min(max!, s.v)) }));
  },
  clamp_min: (samples, [min]) => samples.map((s) => ({ labels: dropName(s.labels), v: Math.max(min!, s.v) })),
  clamp_max: (samples, [max]) => samples.map((s) => ({ labels: dropName(s.labels), v: Math.min(max!, s.v) })),
  day_of_month: dateFn((d) => d.getUTCDate()),
  day_of_week: dateFn((d) => d.getUTCDay()),
  day_of_year: dateFn(
    (d) => Math.round((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000 - 0.5) + 1,
  ),
  days_in_month: dateFn((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()),
  hour: dateFn((d) => d.getUTCHours()),
  minute: dateFn((d) => d.getUTCMinutes()),
  month: dateFn((d) => d.getUTCMonth() + 1),
  year: dateFn((d) => d.getUTCFullYear()),
  sort: (samples) => [...samples].sort((a, b) => byValueNaNFirst(a.v, b.v)),
  sort_desc: (samples) => [...samples].sort((a, b) => byValueNaNFirst(b.v, a.v)),
  histogram_quantile: (samples, [q]) => histogramQuantile(q!, samples),
  label_replace: (samples, _scalars, [dst, replacement, src, regex]) =>
    labelReplace(samples, dst!, replacement!, src!, regex!),
  label_join: (samples, _scalars, [dst, sep, ...srcs]) => labelJoin(samples, dst!, sep!, srcs),
};

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelReplace(
  samples: Sample[],
  dst: string,
  replacement: string,
  src: string,
  regex: string,
): Sample[] {
  let re: RelabelRegex;
  try {
    re = compileMatcherRegex(regex);
  } catch {
    throw new VigilError('parse', `invalid regular expression in label_replace(): ${regex}`);
  }
  if (!labelNamePattern.test(dst))
    throw new VigilError('parse', `invalid destination label name in label_replace(): ${dst}`);
  return samples.map((s) => {
    const match = re.exec(s.labels[src] ?? '');
    if (!match) return s;
    const value = expandReplacement(replacement, re, match);
    return { labels: setLabel(s.labels, dst, value), v: s.v };
  });
}

function labelJoin(samples: Sample[], dst: string, sep: string, srcs: string[]): Sample[] {
  if (!labelNamePattern.test(dst))
    throw new VigilError('parse', `invalid destination label name in label_join(): ${dst}`);
  for (const src of srcs) {
    if (!labelNamePattern.test(src))
      throw new VigilError('parse', `invalid source label name in label_join(): ${src}`);
  }
  return samples.map((s) => ({
    labels: setLabel(s.labels, dst, srcs.map((l) => s.labels[l] ?? '').join(sep)),
    v: s.v,
  }));
}

function setLabel(labels: Labels, name: string, value: string): Labels {
  const out: Record<string, string> = { ...labels };
  if (value === '') delete out[name];
  else out[name] = value;
  return out;
}

interface Bucket {
  upperBound: number;
  count: number;
}

/** Prometheus' histogram_quantile over classic `le` buckets. */
function histogramQuantile(q: number, samples: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of samples) {
    const le = s.labels.le;
    const upperBound = le === undefined ? undefined : parseGoFloat(le);
    if (upperBound === undefined) continue;
    const { le: _, ...rest } = dropName(s.labels);
    const key = JSON.stringify(Object.entries(rest).sort());
    let group = groups.get(key);
    if (!group) {
      group = { labels: rest, buckets: [] };
      groups.set(key, group);
    }
    group.buckets.push({ upperBound, count: s.v });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, v: bucketQuantile(q, g.buckets) }));
}

/** strconv.ParseFloat for `le` values: decimals, exponents, Inf and NaN spellings. */
function parseGoFloat(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (t === 'nan') return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  return undefined;
}

function bucketQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.upperBound !== Number.POSITIVE_INFINITY)
    return Number.NaN;
  // Coalesce buckets with the same bound, then force counts to be monotonic.
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push({ ...b });
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = 0;
  {
    // sort.Search over all but the last bucket.
    let lo = 0;
    let hi = buckets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid]!.count >= rank) hi = mid;
      else lo = mid + 1;
    }
    b = lo;
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}
