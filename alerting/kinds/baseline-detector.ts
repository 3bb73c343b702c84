import { VigilError } from '../../core/index.ts';
import { type Expr, parseExpr, type Sample } from '../promql/index.ts';
import type { Detector, DetectorQuery } from '../rules/index.ts';
import { type Labels, labelsKey, metricNameLabel } from '../store/index.ts';
import {
  type Baseline,
  type Points,
  type ReferenceSpec,
  referenceRanges,
  robustBaseline,
  robustScore,
  type ScaleFloor,
  valuesIn,
} from './baseline.ts';

/**
 * The detector behind absence, anomaly, client_errors and rate_guard: evaluates an input
 * expression at t, writes it as `vigil:<family>:value{rule="<name>", <segment labels>}`, and
 * compares it with a robust baseline taken from that same recorded series' history (so the
 * store keeps the history and a restart loses nothing). It writes, per segment:
 *
 * - `vigil:<family>:value`    the input now (0 for a segment that vanished, see below);
 * - `vigil:<family>:baseline` the median of the reference values;
 * - `vigil:<family>:score`    (value - median) / scale, when the volume is high enough;
 * - `vigil:<family>:ratio`    value / baseline, when ratios are asked for.
 *
 * A segment present in the reference but absent from the input now is "vanished": when
 * `vanishedAsZero` is set it is scored as 0 for as long as its baseline says it should have
 * traffic, which is what lets absence page on a series that stopped being exported at all.
 */

export interface BaselineDetectorSpec {
  /** Value of the `rule` label on every series written (the kind's name). */
  rule: string;
  family: string;
  input: Expr;
  /** Per-segment volume (e.g. requests/s); a segment below `minVolume` gets no score. */
  volume: Expr | undefined;
  minVolume: number;
  reference: ReferenceSpec;
  floor: ScaleFloor;
  /** Fewest reference values for a baseline. */
  minPoints: number;
  vanishedAsZero: boolean;
  /**
   * Write `ratio` = value / max(median, minBaseline); with `requireBaseline` a segment whose
   * median is below `minBaseline` gets no ratio at all (a quiet series is not "far below" it).
   */
  ratio: { minBaseline: number; requireBaseline: boolean } | undefined;
}

export const seriesName = (family: string, what: 'value' | 'baseline' | 'score' | 'ratio' | string) =>
  `vigil:${family}:${what}`;

/** A PromQL selector of one of a kind's series. */
export function ownSelector(family: string, what: string, rule: string): string {
  return `${seriesName(family, what)}{rule=${JSON.stringify(rule)}}`;
}

export class BaselineDetector implements Detector {
  private readonly history: { expr: Expr }[];

  constructor(readonly spec: BaselineDetectorSpec) {
    const own = ownSelector(spec.family, 'value', spec.rule);
    const r = spec.reference;
    // One selection per reference range, so a weekly season reads two hours, not a week.
    this.history =
      r.seasonsMs.length === 0
        ? [{ expr: parseExpr(`${own}[${r.windowMs}ms]`) }]
        : r.seasonsMs.map((s) => ({
            expr: parseExpr(
              `${own}[${2 * r.seasonWidthMs}ms]${s - r.seasonWidthMs > 0 ? ` offset ${s - r.seasonWidthMs}ms` : ''}`,
            ),
          }));
  }

  evaluate(t: number, query: DetectorQuery): Sample[] {
    const { spec } = this;
    const current = vectorAt(query, spec.input, t, 'input');
    const volumes = spec.volume
      ? new Map(vectorAt(query, spec.volume, t, 'volume').map((s) => [labelsKey(withoutName(s.labels)), s.v]))
      : undefined;
    const ranges = referenceRanges(t, spec.reference);
    // Values per segment, grouped by reference range (the history selections are one per range).
    const reference = new Map<string, { labels: Labels; values: number[][] }>();
    for (const [index, h] of this.history.entries()) {
      const value = query.instant(h.expr, t);
      if (value.type !== 'matrix')
        throw new VigilError('internal', 'history selection is not a range vector');
      for (const s of value.series) {
        const labels = withoutName(s.labels);
        const key = labelsKey(labels);
        let entry = reference.get(key);
        if (!entry) {
          entry = { labels, values: ranges.map(() => []) };
          reference.set(key, entry);
        }
        entry.values[index]!.push(...valuesIn(s as Points, ranges[index]!));
      }
    }
    const out: Sample[] = [];
    const seen = new Set<string>();
    const emit = (labels: Labels, x: number, volume: number) => {
      const key = labelsKey(labels);
      seen.add(key);
      const ref = reference.get(key);
      const baseline = ref ? robustBaseline(ref.values, spec.floor, spec.minPoints) : undefined;
      this.write(out, labels, x, volume, baseline);
    };
    for (const s of current) {
      const segment = withoutName(s.labels);
      const labels = { ...segment, rule: spec.rule };
      const volume = volumes ? (volumes.get(labelsKey(segment)) ?? 0) : Number.POSITIVE_INFINITY;
      emit(labels, s.v, volume);
    }
    if (spec.vanishedAsZero) {
      for (const [key, ref] of reference) {
        if (seen.has(key)) continue;
        const baseline = robustBaseline(ref.values, spec.floor, spec.minPoints);
        // Only while the history says there should be traffic: once the recorded zeros
        // outnumber the past, the segment is gone for good and its series go stale.
        if (!baseline || baseline.median <= 0) continue;
        if (spec.ratio?.requireBaseline && baseline.median < spec.ratio.minBaseline) continue;
        this.write(out, ref.labels, 0, 0, baseline);
      }
    }
    return out;
  }

  private write(out: Sample[], labels: Labels, x: number, volume: number, baseline: Baseline | undefined) {
    const { spec } = this;
    const named = (what: string, v: number) =>
      out.push({ labels: { ...labels, [metricNameLabel]: seriesName(spec.family, what) }, v });
    named('value', x);
    if (!baseline) return;
    named('baseline', baseline.median);
    if (volume >= spec.minVolume) named('score', robustScore(x, baseline));
    if (spec.ratio && (!spec.ratio.requireBaseline || baseline.median >= spec.ratio.minBaseline)) {
      const denominator = Math.max(baseline.median, spec.ratio.minBaseline);
      named('ratio', denominator > 0 ? x / denominator : x > 0 ? Number.POSITIVE_INFINITY : 1);
    }
  }
}

function withoutName(labels: Labels): Labels {
  if (!(metricNameLabel in labels)) return labels;
  const { [metricNameLabel]: _, ...rest } = labels;
  return rest;
}

function vectorAt(query: DetectorQuery, expr: Expr, t: number, what: string): Sample[] {
  const value = query.instant(expr, t);
  if (value.type === 'scalar') return Number.isNaN(value.v) ? [] : [{ labels: {}, v: value.v }];
  if (value.type !== 'vector')
    throw new VigilError('check_failed', `the ${what} expression did not return an instant vector`);
  return value.samples.filter((s) => !Number.isNaN(s.v));
}
