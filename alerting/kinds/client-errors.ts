import { z } from 'zod';
import { formatDuration } from '../../core/index.ts';
import { ratioExprs } from './anomaly.ts';
import {
  alertFields,
  baselineSchema,
  compileDetectorKind,
  compileEach,
  defaultBaseline,
  own,
  parseGenerated,
  referenceOf,
  selectorSchema,
  withMatchers,
} from './detector-spec.ts';
import { type CompileContext, type CompiledKind, defineKind, type ExportRule } from './kind.ts';

/**
 * The `client_errors` kind. SLOs leave 4xx out (the client was wrong), so a broken authorizer
 * that answers 401 to everyone hides there. Two signals, each its own alert (label `reason`):
 *
 * - jump: the share of a client-error class (e.g. 401|403) among all requests rises far above
 *   its robust baseline (score) and above an absolute share;
 * - spread: nearly every segment (user, customer, client) sees mostly that class at once. One
 *   user with an expired token is normal; all of them at once is the server.
 *
 * @example
 * client_errors:
 *   - name: Unauthorized
 *     requests: http_server_request_duration_seconds_count{job="photos"}
 *     class: "401|403"
 *     segment: user
 */

export const clientErrorsSpecSchema = z.strictObject({
  ...alertFields,
  /** The request counter, all statuses. */
  requests: selectorSchema,
  /** The label holding the status code (OpenTelemetry's name by default). */
  status_label: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/)
    .default('http_response_status_code'),
  /** A regular expression on status codes: the class watched. */
  class: z.string().min(1).default('401|403'),
  /** The label that names a user or customer: enables the spread signal. */
  segment: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/)
    .optional(),
  rate_window: z
    .string()
    .regex(/^\d+[smhdw]$/, { error: 'expected a PromQL range like 5m' })
    .default('5m'),
  /** Jump: score (robust standard deviations) of the class share from which it pages. */
  threshold: z.number().positive().default(6),
  /** Jump: and the share itself must be at least this. */
  min_share: z.number().min(0).max(1).default(0.05),
  /** Jump: fewest requests/s for a share to mean anything. */
  min_volume: z.number().min(0).default(0),
  /** Spread: share of active segments affected from which it pages. */
  spread: z.number().gt(0).max(1).default(0.8),
  /** Spread: a segment is affected when at least this share of its requests are in the class. */
  affected_share: z.number().gt(0).max(1).default(0.5),
  /** Spread: fewest active segments for a spread to mean anything. */
  min_segments: z.number().int().min(1).default(5),
  baseline: baselineSchema.default(defaultBaseline()),
});

export type ClientErrorsSpec = z.output<typeof clientErrorsSpecSchema>;

export const defaultClientErrorsForMs = 5 * 60_000;

export const clientErrors = defineKind({
  key: 'client_errors',
  schema: z.array(clientErrorsSpecSchema),
  compile: (specs, ctx) => compileEach(specs, (spec) => compileClientErrors(spec, ctx)),
});

function compileClientErrors(spec: ClientErrorsSpec, ctx: CompileContext): CompiledKind {
  const family = 'client_errors';
  const errors = withMatchers(spec.requests, `${spec.status_label}=~${JSON.stringify(spec.class)}`);
  const overall = ratioExprs({ errors, total: spec.requests, by: [], rate_window: spec.rate_window });
  const forText = formatDuration(spec.for ?? defaultClientErrorsForMs);
  const alerts: ExportRule[] = [
    {
      alert: spec.name,
      expr: `${own(family, 'score', spec.name)} > ${spec.threshold} and ${own(family, 'value', spec.name)} >= ${spec.min_share}`,
      for: forText,
      labels: { severity: 'page', ...spec.labels, reason: 'jump' },
      annotations: {
        summary: `${spec.name}: ${spec.class} answers jumped to {{ $value | printf "%.1f" }} robust standard deviations above their usual share`,
        ...spec.annotations,
      },
    },
  ];
  const shared: ExportRule[] = [];
  if (spec.segment) {
    const seg = ratioExprs({
      errors,
      total: spec.requests,
      by: [spec.segment],
      rate_window: spec.rate_window,
    });
    shared.push({
      record: `vigil:${family}:spread`,
      expr: `(count(${seg.ratio} >= ${spec.affected_share}) or vector(0)) / (count(${seg.volume} > 0) >= ${spec.min_segments})`,
      labels: { rule: spec.name },
    });
    alerts.push({
      alert: spec.name,
      expr: `${own(family, 'spread', spec.name)} >= ${spec.spread}`,
      for: forText,
      labels: { severity: 'page', ...spec.labels, reason: 'spread' },
      annotations: {
        summary: `${spec.name}: {{ $value | humanizePercentage }} of ${spec.segment}s get mostly ${spec.class}`,
        ...spec.annotations,
      },
    });
  }
  const [input, volume] = parseGenerated(ctx, [overall.ratio, overall.volume]);
  return compileDetectorKind({
    ctx,
    family,
    name: spec.name,
    interval: spec.interval,
    inputText: overall.ratio,
    volumeText: overall.volume,
    baseline: spec.baseline,
    keepFiringForMs: spec.keep_firing_for,
    shared,
    alerts,
    detector: {
      rule: spec.name,
      family,
      input: input!,
      volume,
      minVolume: spec.min_volume,
      reference: referenceOf(spec.baseline),
      // One percentage point: a share that is always 0.1% must not page on 0.2%.
      floor: { absolute: 0.01, relative: 0.05 },
      minPoints: spec.baseline.min_points,
      vanishedAsZero: false,
      ratio: undefined,
    },
  });
}
