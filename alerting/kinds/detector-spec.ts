import { z } from 'zod';
import { durationSchema, formatDuration, VigilError } from '../../core/index.ts';
import { type Expr, parseExpr, typeOf } from '../promql/index.ts';
import type { DetectorRule } from '../rules/index.ts';
import type { ReferenceSpec, ScaleFloor } from './baseline.ts';
import { BaselineDetector, type BaselineDetectorSpec, ownSelector, seriesName } from './baseline-detector.ts';
import type { CompileContext, CompiledKind, ExportRule } from './kind.ts';

/**
 * What the four detector kinds (absence, anomalies, client_errors, rate_guards) share: the
 * schema of a name, a PromQL expression, a baseline and the alert parts, and the one function
 * that turns a detector and its alerts into the embedded group plus the exported PromQL
 * approximation. Resolving defaults happens here, once.
 */

const hour = 3_600_000;
const day = 24 * hour;

// The name is an alert name, a `rule` label value and part of a group name: no escaping ever.
export const kindNameSchema = z
  .string({ error: 'expected a name' })
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a name like UploadsStopped (letters, digits, _)' });

/** A PromQL expression that must give an instant vector (or a scalar). */
export const vectorExprSchema = z.string({ error: 'expected a PromQL expression' }).transform((text, ctx) => {
  try {
    const expr = parseExpr(text);
    const type = typeOf(expr);
    if (type === 'vector' || type === 'scalar') return { text, expr };
    ctx.addIssue({ code: 'custom', message: `expected an instant vector expression, got a ${type}` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
  return z.NEVER;
});

export type ParsedExpr = { text: string; expr: Expr };

/** A bare series selector (`name{matchers}`), to which a kind adds its own matchers. */
export const selectorSchema = z.string({ error: 'expected a series selector' }).superRefine((text, ctx) => {
  try {
    const expr = parseExpr(text);
    if (expr.kind !== 'vector' || expr.offsetMs !== 0 || expr.at)
      ctx.addIssue({
        code: 'custom',
        message: 'expected a plain series selector like http_requests_total{job="api"}',
      });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Adds `extra` (already PromQL matcher text, e.g. `code=~"4.."`) to a selector. */
export function withMatchers(selector: string, extra: string): string {
  const s = selector.trim();
  if (s.endsWith('}')) {
    const inner = s.slice(s.indexOf('{') + 1, -1).trim();
    return `${s.slice(0, s.indexOf('{'))}{${inner === '' ? extra : `${inner}, ${extra}`}}`;
  }
  return `${s}{${extra}}`;
}

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const labelValuesSchema = z
  .record(
    z.string().regex(labelName, { error: 'invalid label name' }),
    z.union([z.string(), z.number(), z.boolean()]).transform(String),
  )
  .default({});
export const labelNamesSchema = z.array(z.string().regex(labelName, { error: 'invalid label name' }));

export const baselineSchema = z
  .strictObject({
    /** Trailing reference window. */
    window: durationSchema.default(day),
    /** Seasonal references instead of the trailing window: the same time this long ago. */
    seasons: z.array(durationSchema).default([]),
    /** Half width of the window around each seasonal reference time. */
    season_width: durationSchema.default(30 * 60_000),
    /** Leave the last part of the trailing window out of the reference. */
    exclude_recent: durationSchema.default(0),
    /** Fewest recorded values for a baseline; before that the kind stays silent. */
    min_points: z.number().int().min(1).default(10),
  })
  .superRefine((b, ctx) => {
    if (b.window <= 0) ctx.addIssue({ code: 'custom', message: 'window must be above 0', path: ['window'] });
    if (b.season_width <= 0)
      ctx.addIssue({ code: 'custom', message: 'season_width must be above 0', path: ['season_width'] });
    if (b.seasons.length === 0 && b.exclude_recent >= b.window)
      ctx.addIssue({
        code: 'custom',
        message: 'exclude_recent must be shorter than window',
        path: ['exclude_recent'],
      });
    for (const [i, s] of b.seasons.entries())
      if (s <= b.season_width)
        ctx.addIssue({
          code: 'custom',
          message: 'a season must be longer than season_width',
          path: ['seasons', i],
        });
  });

export type BaselineSpec = z.output<typeof baselineSchema>;
export const defaultBaseline = (window = day): BaselineSpec => ({
  window,
  seasons: [],
  season_width: 30 * 60_000,
  exclude_recent: 0,
  min_points: 10,
});

/**
 * A score that hovers around its threshold would resolve and page again every few minutes;
 * fifteen minutes of keep_firing_for (Prometheus 2.42's) makes that one page. Measured with
 * bench/rules-detectors.ts (60 series, seed 1): the seasonal anomaly rule went from 699
 * firings to 292 on the same series, recall unchanged at 100% (docs/rules.md).
 */
export const defaultKeepFiringForMs = 15 * 60_000;

/** The fields every detector kind has for its alerts. */
export const alertFields = {
  name: kindNameSchema,
  for: durationSchema.optional(),
  /** Default 15m (defaultKeepFiringForMs); 0 resolves as soon as the condition clears. */
  keep_firing_for: durationSchema.optional(),
  interval: durationSchema.optional(),
  labels: labelValuesSchema,
  annotations: labelValuesSchema,
};

export function referenceOf(b: BaselineSpec): ReferenceSpec {
  return {
    windowMs: b.window,
    seasonsMs: b.seasons,
    seasonWidthMs: b.season_width,
    excludeRecentMs: b.seasons.length === 0 ? b.exclude_recent : 0,
  };
}

/** Values of one of the kind's own series: `vigil:<family>:<what>{rule="<name>"}`. */
export const own = ownSelector;

/**
 * The PromQL range selections of the exported baseline, one per reference range, with a
 * quantile applied: the exported median is the average of per-range medians (PromQL cannot
 * pool several ranges into one quantile), the embedded one the median of the pooled values.
 */
export function exportQuantile(family: string, rule: string, b: BaselineSpec, q: number): string {
  const sel = own(family, 'value', rule);
  if (b.seasons.length === 0) {
    const offset = b.exclude_recent > 0 ? ` offset ${formatDuration(b.exclude_recent)}` : '';
    return `quantile_over_time(${q}, ${sel}[${formatDuration(b.window - b.exclude_recent)}]${offset})`;
  }
  const parts = b.seasons.map(
    (s) =>
      `quantile_over_time(${q}, ${sel}[${formatDuration(2 * b.season_width)}] offset ${formatDuration(s - b.season_width)})`,
  );
  return parts.length === 1 ? parts[0]! : `(${parts.join(' + ')}) / ${parts.length}`;
}

/**
 * The exported robust scale: the interquartile range / 1.349 (the IQR of a normal
 * distribution in standard deviations), since PromQL has no MAD; floored like the embedded one.
 */
export function exportScale(family: string, rule: string, b: BaselineSpec, floor: ScaleFloor): string {
  const sigma = `((${exportQuantile(family, rule, b, 0.75)} - ${exportQuantile(family, rule, b, 0.25)}) / 1.349)`;
  const baseline = own(family, 'baseline', rule);
  const relative =
    floor.relative > 0
      ? `(${sigma} >= ${floor.relative} * abs(${baseline})) or (${floor.relative} * abs(${baseline}))`
      : sigma;
  return `clamp_min(${relative}, ${floor.absolute})`;
}

export interface DetectorKindParts {
  ctx: CompileContext;
  family: string;
  name: string;
  interval: number | undefined;
  detector: BaselineDetectorSpec;
  inputText: string;
  volumeText: string | undefined;
  baseline: BaselineSpec;
  /** Alerting rules over the detector's series: the same in both views. */
  alerts: ExportRule[];
  /** Recording rules both views have (e.g. a pure PromQL spread), written before the alerts. */
  shared?: ExportRule[];
  /** keep_firing_for of every alert (ms); undefined: defaultKeepFiringForMs. */
  keepFiringForMs: number | undefined;
}

/**
 * Builds both views: the embedded group is [detector, shared recordings, alerts]; the export
 * group is [value, volume, baseline, scale, score, ratio recordings in PromQL, shared, alerts].
 */
export function compileDetectorKind(p: DetectorKindParts): CompiledKind {
  const { family, name, detector } = p;
  const groupName = `vigil-${family}-${name}`;
  const interval = p.interval === undefined ? undefined : formatDuration(p.interval);
  const rule = (what: string, expr: string): ExportRule => ({
    record: seriesName(family, what),
    expr,
    labels: { rule: name },
  });
  const sel = (what: string) => own(family, what, name);
  const approx: ExportRule[] = [rule('value', p.inputText)];
  if (p.volumeText) approx.push(rule('volume', p.volumeText));
  approx.push(rule('baseline', exportQuantile(family, name, p.baseline, 0.5)));
  approx.push(rule('scale', exportScale(family, name, p.baseline, detector.floor)));
  const scoreExpr = `(${sel('value')} - ${sel('baseline')}) / ${sel('scale')}`;
  approx.push(
    rule('score', p.volumeText ? `${scoreExpr} and ${sel('volume')} >= ${detector.minVolume}` : scoreExpr),
  );
  if (detector.ratio) {
    const { minBaseline, requireBaseline } = detector.ratio;
    approx.push(
      rule(
        'ratio',
        requireBaseline
          ? // A segment that vanished has a baseline but no value: it reads 0, as embedded.
            `${sel('value')} / (${sel('baseline')} >= ${minBaseline}) or 0 * (${sel('baseline')} >= ${minBaseline})`
          : `${sel('value')} / clamp_min(${sel('baseline')}, ${minBaseline})`,
      ),
    );
  }
  const shared = p.shared ?? [];
  const keep = p.keepFiringForMs ?? defaultKeepFiringForMs;
  const alerts = p.alerts.map((a) => (keep > 0 ? { ...a, keep_firing_for: formatDuration(keep) } : a));
  const embedded = p.ctx.ruleGroup({
    name: groupName,
    ...(interval ? { interval } : {}),
    rules: [...shared, ...alerts],
  });
  const detectorRule: DetectorRule = {
    kind: 'detector',
    name: seriesName(family, 'value'),
    exprText: describeDetector(p),
    detector: new BaselineDetector(detector),
  };
  return {
    groups: [{ ...embedded, rules: [detectorRule, ...embedded.rules] }],
    exportGroups: [
      { name: groupName, ...(interval ? { interval } : {}), rules: [...approx, ...shared, ...alerts] },
    ],
  };
}

function describeDetector(p: DetectorKindParts): string {
  const b = p.baseline;
  const reference =
    b.seasons.length === 0
      ? `trailing ${formatDuration(b.window)}${b.exclude_recent ? ` except the last ${formatDuration(b.exclude_recent)}` : ''}`
      : `same time ${b.seasons.map((s) => `${formatDuration(s)}`).join(' and ')} ago ±${formatDuration(b.season_width)}`;
  return `vigil ${p.family} detector ${p.name}: ${p.inputText} against its median and MAD over the ${reference}`;
}

/**
 * Parses generated expressions the way the file's own rules are parsed (so a generator bug is
 * refused like a bad rule, never evaluated).
 */
export function parseGenerated(ctx: CompileContext, texts: readonly string[]): Expr[] {
  const rules = ctx.ruleGroup({
    name: 'vigil-generated',
    rules: texts.map((expr) => ({ record: 'vigil:generated', expr })),
  }).rules;
  return rules.map((r) => {
    if (r.kind !== 'recording')
      throw new VigilError('internal', 'a generated recording rule did not parse as one');
    return r.expr;
  });
}

/** Compiles every entry under a kind's key and concatenates their groups. */
export function compileEach<S>(specs: readonly S[], compile: (spec: S) => CompiledKind): CompiledKind {
  const out: CompiledKind = { groups: [], exportGroups: [] };
  for (const spec of specs) {
    const c = compile(spec);
    out.groups.push(...c.groups);
    out.exportGroups.push(...c.exportGroups);
  }
  return out;
}

export { seriesName };
