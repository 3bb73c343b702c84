import { z } from 'zod';
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
import { type CompileContext, type CompiledKind, defineKind } from './kind.ts';

/**
 * The `rate_guards` kind: destructive operations (deletes, purges, evictions) far above their
 * normal rate page at once; "we cleaned up everything" is not a condition to wait on. Its
 * alert carries the label `vigil_guard="<name>"`, which trips the circuit breaker of the same
 * name (alerting/kinds/breaker.ts): the job that deletes polls
 * `GET /api/v1/guards/<name>` and stops itself while it is tripped, and only a person resets it.
 *
 * @example
 * rate_guards:
 *   - name: GcDeletes
 *     expr: sum(rate(demo_gc_deleted_objects_total[5m]))
 *     factor: 100
 *     min_rate: 1
 */

export const rateGuardSpecSchema = z.strictObject({
  ...alertFields,
  /** The rate of the destructive operation (per second), one series per guarded thing. */
  expr: vectorExprSchema,
  /** Pages when the rate is at least this many times its baseline. */
  factor: z.number().gt(1).default(100),
  /** ... and at least this rate: deleting 3 objects where 0.01/s is normal is not a cleanup gone wrong. */
  min_rate: z.number().min(0).default(0),
  /**
   * The baseline never counts as lower than this (default: min_rate / factor), so that a job
   * which normally deletes nothing does not trip on its first delete.
   */
  min_baseline: z.number().gt(0).optional(),
  /** Set false for a page without a circuit breaker. */
  breaker: z.boolean().default(true),
  baseline: baselineSchema.default(defaultBaseline()),
});

export type RateGuardSpec = z.output<typeof rateGuardSpecSchema>;

/** The alert label that names the circuit breaker an alert trips. */
export const guardLabel = 'vigil_guard';

export const rateGuards = defineKind({
  key: 'rate_guards',
  schema: z.array(rateGuardSpecSchema),
  compile: (specs, ctx) => compileEach(specs, (spec) => compileRateGuard(spec, ctx)),
});

/** The lowest baseline a ratio is taken against. */
export function minBaselineOf(spec: Pick<RateGuardSpec, 'min_baseline' | 'min_rate' | 'factor'>): number {
  // Without either, a thousandth of an operation per second: the ratio stays finite.
  return spec.min_baseline ?? (spec.min_rate > 0 ? spec.min_rate / spec.factor : 0.001);
}

function compileRateGuard(spec: RateGuardSpec, ctx: CompileContext): CompiledKind {
  const family = 'rate_guard';
  const minBaseline = minBaselineOf(spec);
  return compileDetectorKind({
    ctx,
    family,
    name: spec.name,
    interval: spec.interval,
    inputText: spec.expr.text,
    volumeText: undefined,
    baseline: spec.baseline,
    keepFiringForMs: spec.keep_firing_for,
    alerts: [
      {
        alert: spec.name,
        expr: `${own(family, 'ratio', spec.name)} >= ${spec.factor} and ${own(family, 'value', spec.name)} >= ${spec.min_rate}`,
        // At once: every minute of a runaway delete is data gone.
        for: spec.for === undefined ? '0s' : `${spec.for / 1000}s`,
        labels: { severity: 'page', ...spec.labels, ...(spec.breaker ? { [guardLabel]: spec.name } : {}) },
        annotations: {
          summary: `${spec.name}: {{ $labels }} runs at {{ $value | printf "%.0f" }}x its usual rate`,
          ...(spec.breaker
            ? {
                description: `The circuit breaker ${spec.name} is tripped: jobs polling /api/v1/guards/${spec.name} stop. A person resets it with POST /api/v1/guards/${spec.name}/reset.`,
              }
            : {}),
          ...spec.annotations,
        },
      },
    ],
    detector: {
      rule: spec.name,
      family,
      input: spec.expr.expr,
      volume: undefined,
      minVolume: 0,
      reference: referenceOf(spec.baseline),
      floor: { absolute: 0, relative: 0 },
      minPoints: spec.baseline.min_points,
      vanishedAsZero: false,
      ratio: { minBaseline, requireBaseline: false },
    },
  });
}
