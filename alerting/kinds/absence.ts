import { z } from 'zod';
import { formatDuration } from '../../core/index.ts';
import {
  alertFields,
  baselineSchema,
  compileDetectorKind,
  compileEach,
  defaultBaseline,
  own,
  referenceOf,
  vectorExprSchema,
} from './detector-spec.ts';
import { type CompileContext, type CompiledKind, defineKind, type ExportRule } from './kind.ts';

/**
 * The `absence` kind: "the absence of errors is an error". Traffic (or a normal trickle of
 * errors) that falls below a floor, or far below its own baseline, pages; so does a series
 * that stops being exported at all, and a whole job whose targets are all down or gone.
 * The case it exists for: an uploader loses its permission, no uploads arrive, so no errors
 * either, and the error rate reads a perfect 0%.
 *
 * @example
 * absence:
 *   - name: UploadsStopped
 *     expr: sum by (region) (rate(uploads_total[5m]))
 *     below: 0.2            # under 20% of the same hour last week ...
 *     min_baseline: 0.5     # ... when last week saw at least 0.5 uploads/s
 *     baseline: { seasons: [1w] }
 *     for: 15m
 */

export const absenceSpecSchema = z
  .strictObject({
    ...alertFields,
    /** The traffic or trickle that should be there; its labels are the segments watched. */
    expr: vectorExprSchema,
    /** Pages when the value is below this, whatever the baseline (same unit as expr). */
    floor: z.number().min(0).optional(),
    /** Pages when the value is below this share of its baseline (0 < below < 1). */
    below: z.number().gt(0).lt(1).optional(),
    /** A baseline under this is "quiet anyway": no baseline comparison then (a night is not an outage). */
    min_baseline: z.number().min(0).default(0),
    baseline: baselineSchema.default(defaultBaseline()),
    /** Pages when every target of this scrape job is down or none is left (`up`). */
    job: z.string().min(1).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.floor === undefined && s.below === undefined && s.job === undefined)
      ctx.addIssue({ code: 'custom', message: 'set at least one of floor, below or job', path: [] });
  });

export type AbsenceSpec = z.output<typeof absenceSpecSchema>;

/** Ten minutes: a deploy's restart or a scrape gap does not page, a real stop does soon after. */
export const defaultAbsenceForMs = 10 * 60_000;

export const absence = defineKind({
  key: 'absence',
  schema: z.array(absenceSpecSchema),
  compile: (specs, ctx) => compileEach(specs, (spec) => compileAbsence(spec, ctx)),
});

function compileAbsence(spec: AbsenceSpec, ctx: CompileContext): CompiledKind {
  const family = 'absence';
  const forText = formatDuration(spec.for ?? defaultAbsenceForMs);
  const alert = (reason: string, expr: string, summary: string): ExportRule => ({
    alert: spec.name,
    expr,
    for: forText,
    labels: { severity: 'page', ...spec.labels, reason },
    annotations: { summary, ...spec.annotations },
  });
  const alerts: ExportRule[] = [];
  if (spec.below !== undefined)
    alerts.push(
      alert(
        'below_baseline',
        `${own(family, 'ratio', spec.name)} < ${spec.below}`,
        `${spec.name}: {{ $labels }} is at {{ $value | humanizePercentage }} of its usual level`,
      ),
    );
  if (spec.floor !== undefined)
    alerts.push(
      alert(
        'below_floor',
        `${own(family, 'value', spec.name)} < ${spec.floor}`,
        `${spec.name}: {{ $labels }} is at {{ $value | humanize }}, below the floor of ${spec.floor}`,
      ),
    );
  if (spec.job !== undefined) {
    const up = `up{job=${JSON.stringify(spec.job)}}`;
    alerts.push(
      alert(
        'job_down',
        `absent(${up}) or max by (job) (${up}) == 0`,
        `${spec.name}: every target of job ${spec.job} is down or gone`,
      ),
    );
  }
  return compileDetectorKind({
    ctx,
    family,
    name: spec.name,
    interval: spec.interval,
    inputText: spec.expr.text,
    volumeText: undefined,
    baseline: spec.baseline,
    keepFiringForMs: spec.keep_firing_for,
    alerts,
    detector: {
      rule: spec.name,
      family,
      input: spec.expr.expr,
      volume: undefined,
      minVolume: 0,
      reference: referenceOf(spec.baseline),
      floor: { absolute: 0, relative: 0 },
      minPoints: spec.baseline.min_points,
      vanishedAsZero: true,
      ratio: { minBaseline: spec.min_baseline, requireBaseline: true },
    },
  });
}
