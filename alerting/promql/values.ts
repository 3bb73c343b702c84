import { VigilError } from '../../core/index.ts';
import { formatLabels, type Labels, labelsKey, metricNameLabel } from '../store/index.ts';

/** One element of an instant vector. `t` is set only by a bare selector (for timestamp()). */
export interface Sample {
  labels: Labels;
  v: number;
  t?: number;
}

/** One series of a range vector: its points in time order. */
export interface Series {
  labels: Labels;
  t: number[] | Float64Array;
  v: number[] | Float64Array;
}

export type Value =
  | { type: 'scalar'; v: number }
  | { type: 'string'; s: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; series: Series[]; rangeStart: number; rangeEnd: number; rangeMs: number };

/** The label set without the metric name (what arithmetic and most functions return). */
export function dropName(labels: Labels): Labels {
  if (!(metricNameLabel in labels)) return labels;
  let rest = withoutName.get(labels);
  if (!rest) {
    const { [metricNameLabel]: _, ...others } = labels;
    rest = others;
    withoutName.set(labels, rest);
  }
  return rest;
}

/**
 * dropName's answers by label set. A store's series keep their labels object, so a rule that
 * reads them every step gets the same result object back, and what keys it by object
 * (rules/group.ts, a backtest's appends) finds it again instead of building a key each step.
 * Label sets are never changed once made, which makes sharing them safe.
 */
const withoutName = new WeakMap<Labels, Labels>();

/**
 * labelsKey, remembered per label set object: results that carry the same labels object
 * every evaluation (a store's series, dropName's answers, a backtest's batches) are keyed once.
 */
export function cachedLabelsKey(labels: Labels): string {
  let key = keys.get(labels);
  if (key === undefined) {
    key = labelsKey(labels);
    keys.set(labels, key);
  }
  return key;
}

const keys = new WeakMap<Labels, string>();

/** Throws Prometheus' error when a result vector holds the same label set twice. */
export function checkUniqueLabelsets(samples: readonly Sample[]): void {
  if (samples.length < 2) return;
  const seen = new Set<string>();
  for (const s of samples) {
    const key = cachedLabelsKey(s.labels);
    if (seen.has(key))
      throw new VigilError('parse', 'vector cannot contain metrics with the same labelset', {
        details: { labels: formatLabels(s.labels) },
      });
    seen.add(key);
  }
}

/**
 * Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read
 * back to the same float, never in exponent notation (count_values uses it).
 */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) {
    const intLen = exp + 1;
    return (
      sign +
      (digits.length <= intLen
        ? digits + '0'.repeat(intLen - digits.length)
        : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`)
    );
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/**
 * Formats a float as Go's strconv.FormatFloat(v, 'g', -1, 64), which is what `%v` and alert
 * templates print: shortest round-trip digits, exponent notation when the decimal exponent
 * is below -4 or at least 6 (Go: "if precision was the shortest possible, use precision 6").
 *
 * @example
 * formatFloatG(1234567); // '1.234567e+06'
 */
export function formatFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(v.toExponential())!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return formatFloatF(v);
}
