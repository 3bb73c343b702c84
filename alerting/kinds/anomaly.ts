import { z } from 'zod';
import { formatDuration } from '../../core/index.ts';
import type { Direction } from './baseline.ts';
import {
  alertFields,
  baselineSchema,
  compileDetectorKind,
  compileEach,
  defaultBaseline,
  labelNamesSchema,
  own,
  parseGenerated,
  referenceOf,
  selectorSchema,
  vectorExprSchema,
} from './detector-spec.ts';
import { type CompileContext, type CompiledKind, defineKind } from './kind.ts';

/**
 * The `anomalies` kind: per series and per segment (a label such as customer, route or
 * region), a robust baseline (median and MAD over a trailing window, or the same time
 * yesterday and last week), a score in robust standard deviations, a threshold and a minimum
 * volume. The score is a series (`vigil:anomaly:score{rule="<name>", <segment>}`), so it can
 * be graphed and alerted on. It exists for "customer A is 100% down while the total error rate
 * is 1%": a total hides a segment, a per-segment baseline does not.
 *
 * @example
 * anomalies:
 *   - name: CustomerErrorRatio
 *     errors: http_requests_total{code=~"5.."}
 *     total: http_requests_total
 *     by: [customer]
 *     min_volume: 0.05      # requests/s in the segment
 *     threshold: 6
 */

export const anomalySpecSchema = z
  .strictObject({
    ...alertFields,
    /** The value watched, one series per segment; or errors/total/by below. */
    expr: vectorExprSchema.optional(),
    /** Per-segment volume for min_volume (e.g. requests/s), same labels as expr. */
    volume: vectorExprSchema.optional(),
    /** Counter of failed events: the value is errors/total per segment. */
    errors: selectorSchema.optional(),
    total: selectorSchema.optional(),
    by: labelNamesSchema.default([]),
    rate_window: z
      .string()
      .regex(/^\d+[smhdw]$/, { error: 'expected a PromQL range like 5m' })
      .default('5m'),
    /** Score (robust standard deviations) from which a segment pages. */
    threshold: z.number().positive().default(6),
    direction: z.enum(['up', 'down', 'both']).default('up'),
    /** Segments with less volume than this get no score (a single failure of ten requests is no signal). */
    min_volume: z.number().min(0).default(0),
    /**
     * Smallest scale in the value's unit (default 0, and 0.02 for errors/total: a segment whose
     * ratio is always 0 would otherwise score infinity on its first failure).
     */
    min_deviation: z.number().min(0).optional(),
    min_relative_deviation: z.number().min(0).default(0.05),
    baseline: baselineSchema.default(defaultBaseline()),
  })
  .superRefine((s, ctx) => {
    const structured = s.errors !== undefined || s.total !== undefined;
    if ((s.expr === undefined) === !structured || (structured && (!s.errors || !s.total)))
      ctx.addIssue({
        code: 'custom',
        message: 'set either expr (and optionally volume) or errors and total',
        path: [],
      });
    if (s.expr !== undefined && s.by.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: 'by applies to errors/total; with expr, aggregate in expr',
        path: ['by'],
      });
  });

export type AnomalySpec = z.output<typeof anomalySpecSchema>;

/** Five minutes: a blip of one bad scrape does not page; a segment that stays broken does. */
export const defaultAnomalyForMs = 5 * 60_000;

/** Two percentage points: a ratio scale below this is noise of a handful of requests. */
export const defaultRatioDeviation = 0.02;

export const anomalies = defineKind({
  key: 'anomalies',
  schema: z.array(anomalySpecSchema),
  compile: (specs, ctx) => compileEach(specs, (spec) => compileAnomaly(spec, ctx)),
});

/** The ratio and volume expressions of the errors/total form. */
export function ratioExprs(spec: Pick<AnomalySpec, 'errors' | 'total' | 'by' | 'rate_window'>) {
  const by = spec.by.length > 0 ? ` by (${spec.by.join(', ')})` : '';
  const total = `sum${by} (rate(${spec.total}[${spec.rate_window}]))`;
  // A segment without any failure has no errors series at all: it reads 0, not nothing.
  const errors = `(sum${by} (rate(${spec.errors}[${spec.rate_window}])) or 0 * ${total})`;
  return { ratio: `${errors} / ${total}`, volume: total };
}

export function scoreCondition(
  family: string,
  name: string,
  direction: Direction,
  threshold: number,
): string {
  const score = own(family, 'score', name);
  return direction === 'up'
    ? `${score} > ${threshold}`
    : direction === 'down'
      ? `${score} < -${threshold}`
      : `abs(${score}) > ${threshold}`;
}

function compileAnomaly(spec: AnomalySpec, ctx: CompileContext): CompiledKind {
  const family = 'anomaly';
  let inputText: string;
  let volumeText: string | undefined;
  if (spec.expr) {
    inputText = spec.expr.text;
    volumeText = spec.volume?.text;
  } else {
    const r = ratioExprs(spec);
    inputText = r.ratio;
    volumeText = r.volume;
  }
  const [input, volume] = parseGenerated(ctx, volumeText ? [inputText, volumeText] : [inputText]);
  return compileDetectorKind({
    ctx,
    family,
    name: spec.name,
    interval: spec.interval,
    inputText,
    volumeText,
    baseline: spec.baseline,
    keepFiringForMs: spec.keep_firing_for,
    alerts: [
      {
        alert: spec.name,
        expr: scoreCondition(family, spec.name, spec.direction, spec.threshold),
        for: formatDuration(spec.for ?? defaultAnomalyForMs),
        labels: { severity: 'page', ...spec.labels },
        annotations: {
          summary: `${spec.name}: {{ $labels }} is {{ $value | printf "%.1f" }} robust standard deviations from its baseline`,
          ...spec.annotations,
        },
      },
    ],
    detector: {
      rule: spec.name,
      family,
      input: input!,
      volume,
      minVolume: spec.min_volume,
      reference: referenceOf(spec.baseline),
      floor: {
        absolute: spec.min_deviation ?? (spec.expr ? 0 : defaultRatioDeviation),
        relative: spec.min_relative_deviation,
      },
      minPoints: spec.baseline.min_points,
      vanishedAsZero: false,
      ratio: undefined,
    },
  });
}
