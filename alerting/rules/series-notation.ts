import { VigilError } from '../../core/index.ts';
import { parseExpr } from '../promql/index.ts';
import { type Labels, metricNameLabel, staleNaN } from '../store/index.ts';

/**
 * promtool's notation for test input: a series is `metric{label="value"}` and its values a
 * space-separated list where
 *
 * - `1 2 3` are plain values, one per interval,
 * - `a+bxN` / `a-bxN` expand to N+1 values a, a±b, ..., a±N·b (`axN` is `a+0xN`),
 * - `_` is a missing sample and `_xN` N missing samples,
 * - `stale` is a staleness marker.
 */

/** One expanded value: a number, or undefined for "no sample at this step". */
export type NotationValue = number | undefined;

const termPattern =
  /^([+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf|nan))(?:([+-])(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+))?x(\d+)$/i;

/**
 * Expands a values string.
 *
 * @example
 * expandValues('1+2x3 _ stale'); // [1, 3, 5, 7, undefined, staleNaN]
 * @throws VigilError('parse') naming the bad term.
 */
export function expandValues(text: string): NotationValue[] {
  const out: NotationValue[] = [];
  for (const term of text.trim().split(/\s+/)) {
    if (term === '') continue;
    if (term === '_') {
      out.push(undefined);
      continue;
    }
    if (term === 'stale') {
      out.push(staleNaN);
      continue;
    }
    const blanks = /^_x(\d+)$/.exec(term);
    if (blanks) {
      for (let i = 0; i < Number(blanks[1]); i++) out.push(undefined);
      continue;
    }
    const m = termPattern.exec(term);
    if (m) {
      const start = parseValue(m[1]!, term);
      const step = m[2] ? (m[2] === '-' ? -1 : 1) * parseValue(m[3]!, term) : 0;
      const times = Number(m[4]);
      if (times > 1_000_000)
        throw new VigilError('parse', `values: "${term}" expands to more than a million samples`);
      // Each value is computed from the previous one, as promtool does, so float error matches.
      let v = start;
      for (let i = 0; i <= times; i++) {
        out.push(v);
        v += step;
      }
      continue;
    }
    out.push(parseValue(term, term));
  }
  return out;
}

function parseValue(text: string, term: string): number {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  if (t === 'nan' || t === '+nan' || t === '-nan') return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text))
    throw new VigilError('parse', `values: invalid term "${term}"`);
  return Number(text);
}

/**
 * Parses a series description such as `http_requests_total{code="500"}` into labels.
 *
 * @throws VigilError('parse') when it is not a metric name with equality matchers.
 */
export function parseSeriesLabels(text: string): Labels {
  const trimmed = text.trim();
  if (trimmed === '{}') return {};
  const expr = parseExpr(trimmed);
  if (expr.kind !== 'vector' || expr.offsetMs !== 0 || expr.at) {
    throw new VigilError('parse', `series: "${text}" is not a metric with labels`);
  }
  const out: Record<string, string> = {};
  for (const m of expr.matchers) {
    if (m.type !== '=')
      throw new VigilError('parse', `series: "${text}": only = is allowed in a series description`);
    out[m.name] = m.value;
  }
  if (expr.name !== undefined) out[metricNameLabel] = expr.name;
  return out;
}
