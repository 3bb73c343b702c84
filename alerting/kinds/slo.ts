import { z } from 'zod';
import { durationSchema, VigilError } from '../../core/index.ts';
import { parseExpr, typeOf } from '../promql/index.ts';
import { type CompiledKind, defineKind, type ExportGroup, type ExportRule } from './kind.ts';

/**
 * The `slo` kind: an objective over a window on an SLI, compiled into the recording rules and
 * the multiwindow, multi-burn-rate alerts of the Google SRE Workbook (chapter 5, "Alerting on
 * SLOs", table 5-8), in the naming scheme of Sloth and Pyrra (`slo:sli_error:ratio_rate5m`).
 *
 * Every window's error ratio is a direct `rate()` over that window of the raw series, never an
 * average of short-window ratios (Sloth's optimisation for the SLO period): an average of
 * ratios weighs a quiet night the same as the peak hour, so it no longer is "the share of
 * requests that failed in the last 30 days" that the budget is defined on. The cost of long
 * windows is carried by the engine, whose rate() reads chunk summaries (alerting/store
 * window.ts) in time proportional to the chunks a window spans.
 */

/** The placeholder an SLI expression puts where the range goes, as Sloth writes it. */
export const windowPlaceholder = /\{\{\s*\.window\s*\}\}/g;

/** A burn-rate alert condition: the long and the short window must both burn faster than `burn_rate`. */
export interface BurnWindow {
  longMs: number;
  shortMs: number;
  burnRate: number;
}

const hour = 3_600_000;
const minute = 60_000;
const day = 24 * hour;

/**
 * The Workbook's recommended windows for a 30-day SLO (table 5-8): a page when 2% of the
 * budget burns in one hour or 5% in six, a ticket when 10% burns in a day or three. The short
 * window is 1/12 of the long one, so that the alert resets soon after the errors stop.
 */
export const defaultPageWindows: readonly BurnWindow[] = [
  { longMs: hour, shortMs: 5 * minute, burnRate: 14.4 },
  { longMs: 6 * hour, shortMs: 30 * minute, burnRate: 6 },
];
export const defaultTicketWindows: readonly BurnWindow[] = [
  { longMs: day, shortMs: 2 * hour, burnRate: 3 },
  { longMs: 3 * day, shortMs: 6 * hour, burnRate: 1 },
];

/** Windows recorded for every SLO, so dashboards find the same series whatever the alerts use. */
export const recordedWindowsMs: readonly number[] = [
  5 * minute,
  30 * minute,
  hour,
  2 * hour,
  6 * hour,
  day,
  3 * day,
];

/** Names of the generated series; every one carries the label `slo="<name>"` and the SLO's labels. */
export const sloSeries = {
  /** Share of requests that failed over the window (one per window). */
  errorRatio: (window: string) => `slo:sli_error:ratio_rate${window}`,
  /** Error ratio over the window divided by the error budget (one per window). */
  burnRate: (window: string) => `slo:burn_rate:ratio_rate${window}`,
  /** Share of requests that succeeded over the SLO window. */
  sli: (window: string) => `slo:sli:ratio_rate${window}`,
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  /** 1 - (error ratio over the SLO window / error budget): 1 untouched, 0 spent, negative overspent. */
  budgetRemaining: 'slo:error_budget_remaining:ratio',
} as const;

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
// The name goes into label values, group names and alert text: keep it free of template and
// PromQL syntax so that no escaping is ever needed.
const sloName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const labelValues = z
  .record(
    z.string().regex(labelName, { error: 'invalid label name' }),
    z.union([z.string(), z.number(), z.boolean()]).transform(String),
  )
  .optional();

/** An SLI expression with `{{.window}}` where the range goes; checked by parsing it with a 5m range. */
const windowedExpr = z.string({ error: 'expected a PromQL expression' }).superRefine((text, ctx) => {
  if (!new RegExp(windowPlaceholder.source).test(text)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected the placeholder {{.window}} where the range goes, e.g. rate(x[{{.window}}])',
    });
    return;
  }
  const message = exprProblem(withWindow(text, '5m'));
  if (message) ctx.addIssue({ code: 'custom', message });
});

function exprProblem(text: string): string | undefined {
  try {
    const type = typeOf(parseExpr(text));
    return type === 'vector' ? undefined : `expected an instant vector expression, got a ${type}`;
  } catch (err) {
    return (err as Error).message;
  }
}

function withWindow(text: string, window: string): string {
  return text.replace(windowPlaceholder, window);
}

/** One label matcher: name, operator, quoted value. */
const excludeMatcher = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*$/;
const negated: Record<string, string> = { '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' };

const latencySchema = z.strictObject({
  /** Base name of a classic histogram: `<histogram>_bucket` and `<histogram>_count` are read. */
  histogram: z.string().regex(metricName, { error: 'invalid metric name' }),
  /** Seconds (the histogram's unit): a request is good when it took at most this long. */
  threshold: z.number().positive({ error: 'expected a positive number (the bucket bound)' }),
  /** Matchers added to both selectors, e.g. `job="api", http_route!="/healthz"`. */
  matchers: z.string().optional(),
  /** The histogram's bucket bounds, when known: the threshold is then checked against them. */
  buckets: z.array(z.number()).optional(),
  /**
   * One matcher for requests that count as errors whatever their latency, e.g.
   * `error_type=~"server|timeout"`: the good selector gets its negation, so a fast failure is
   * not good and the SLI still reads two series per window.
   */
  exclude: z
    .string()
    .regex(excludeMatcher, { error: 'expected one matcher such as error_type=~"server|timeout"' })
    .optional(),
  /** Labels to keep (`sum by (...)`): one SLI series, and one alert, per value. Default: none. */
  by: z.array(z.string().regex(labelName, { error: 'invalid label name' })).optional(),
});

const sliSchema = z.union([
  z.strictObject({ errors: windowedExpr, total: windowedExpr }),
  z.strictObject({ good: windowedExpr, total: windowedExpr }),
  z.strictObject({ latency: latencySchema }),
]);

const windowSchema = z.strictObject({
  long: durationSchema,
  short: durationSchema,
  burn_rate: z.number().positive({ error: 'expected a burn rate above 0' }),
});

const alertSchema = z.strictObject({
  /** false: no such alert (e.g. an SLO that only tickets). */
  enabled: z.boolean().default(true),
  name: z.string().regex(metricName, { error: 'invalid alert name' }).optional(),
  for: durationSchema.optional(),
  labels: labelValues,
  annotations: labelValues,
  windows: z.array(windowSchema).min(1, { error: 'expected at least one window' }).optional(),
});

export const sloSpecSchema = z
  .strictObject({
    name: z.string({ error: 'expected the SLO name' }).regex(sloName, {
      error: 'expected letters, digits, "_", "." or "-", starting with a letter or digit',
    }),
    description: z.string().optional(),
    /** Percent of requests that must succeed, e.g. 99.9. */
    objective: z
      .number({ error: 'expected a percentage such as 99.9' })
      .gt(0, { error: 'expected a percentage above 0' })
      .lt(100, { error: 'expected a percentage below 100 (100% leaves no error budget)' }),
    window: durationSchema.default(30 * day),
    /** Evaluation interval of the SLO's group; default: the global evaluation_interval. */
    interval: durationSchema.optional(),
    sli: sliSchema,
    labels: labelValues,
    alerts: z.strictObject({ page: alertSchema.optional(), ticket: alertSchema.optional() }).default({}),
  })
  .superRefine((spec, ctx) => {
    if (spec.labels && 'slo' in spec.labels)
      ctx.addIssue({
        code: 'custom',
        message: 'the label "slo" is set by vigil to the SLO name',
        path: ['labels', 'slo'],
      });
    const budget = errorBudget(spec.objective);
    for (const severity of ['page', 'ticket'] as const) {
      const windows = spec.alerts[severity]?.windows;
      windows?.forEach((w, i) => {
        const path = ['alerts', severity, 'windows', i];
        if (w.short >= w.long)
          ctx.addIssue({
            code: 'custom',
            message: 'the short window must be shorter than the long one',
            path,
          });
        if (w.burn_rate * budget >= 1)
          ctx.addIssue({
            code: 'custom',
            message: `a burn rate of ${w.burn_rate} needs an error ratio of ${w.burn_rate * budget * 100}% at objective ${spec.objective}%: it can never fire`,
            path: [...path, 'burn_rate'],
          });
        if (w.long > spec.window)
          ctx.addIssue({
            code: 'custom',
            message: 'the long window is longer than the SLO window',
            path: [...path, 'long'],
          });
      });
    }
    const lat = 'latency' in spec.sli ? spec.sli.latency : undefined;
    if (lat?.buckets && !lat.buckets.includes(lat.threshold))
      ctx.addIssue({
        code: 'custom',
        message: `${lat.threshold} is not a bucket bound of ${lat.histogram} (${lat.buckets.join(', ')}): a latency SLI counts whole buckets`,
        path: ['sli', 'latency', 'threshold'],
      });
    for (const field of ['matchers', 'exclude'] as const) {
      const text = lat?.[field];
      if (lat === undefined || text === undefined) continue;
      const message = exprProblem(`${lat.histogram}_count{${text}}`);
      if (message) ctx.addIssue({ code: 'custom', message, path: ['sli', 'latency', field] });
    }
  });

export type SloSpec = z.output<typeof sloSpecSchema>;

const slosSchema = z.array(sloSpecSchema).superRefine((slos, ctx) => {
  const seen = new Set<string>();
  slos.forEach((s, i) => {
    if (seen.has(s.name))
      ctx.addIssue({ code: 'custom', message: `SLO "${s.name}" is defined twice`, path: [i, 'name'] });
    seen.add(s.name);
  });
});

/**
 * The error budget as a ratio: 99.9 -> 0.001, rounded to 12 significant digits so that the
 * generated rules read `0.001`, not `0.0010000000000000009`.
 */
export function errorBudget(objectivePercent: number): number {
  return Number(((100 - objectivePercent) / 100).toPrecision(12));
}

/**
 * A window as Prometheus writes it, in one unit so that series names stay short and sortable:
 * 5m, 1h, 30d (never "4w2d").
 */
export function windowName(ms: number): string {
  for (const [unit, size] of [
    ['d', day],
    ['h', hour],
    ['m', minute],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The SLI's error ratio over a window, as PromQL. */
export function errorRatioExpr(sli: SloSpec['sli'], window: string): string {
  if ('errors' in sli) return `(${withWindow(sli.errors, window)})\n/\n(${withWindow(sli.total, window)})`;
  if ('good' in sli)
    return `1 - (\n(${withWindow(sli.good, window)})\n/\n(${withWindow(sli.total, window)})\n)`;
  const { histogram, threshold, matchers, exclude, by } = sli.latency;
  const sum = by && by.length > 0 ? `sum by (${by.join(', ')})` : 'sum';
  const sel = (extra: string[]) => {
    const all = [matchers, ...extra].filter((m): m is string => m !== undefined && m.trim() !== '');
    return all.length > 0 ? `{${all.join(', ')}}` : '';
  };
  // le is matched as Prometheus' Go client writes bounds (strconv 'g'): 0.3, 1, 2.5, 10.
  const notExcluded: string[] = [];
  if (exclude) {
    const [, name, op, value] = excludeMatcher.exec(exclude)!;
    notExcluded.push(`${name}${negated[op!]}${value}`);
  }
  const fast = `${sum}(rate(${histogram}_bucket${sel([`le="${threshold}"`, ...notExcluded])}[${window}]))`;
  const total = `${sum}(rate(${histogram}_count${sel([])}[${window}]))`;
  return `1 - (\n${fast}\n/\n${total}\n)`;
}

interface ResolvedAlert {
  severity: 'page' | 'ticket';
  name: string;
  forMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  windows: readonly BurnWindow[];
}

function resolveAlerts(spec: SloSpec): ResolvedAlert[] {
  const out: ResolvedAlert[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const a = spec.alerts[severity];
    if (a?.enabled === false) continue;
    const windows =
      a?.windows?.map((w) => ({ longMs: w.long, shortMs: w.short, burnRate: w.burn_rate })) ??
      (severity === 'page' ? defaultPageWindows : defaultTicketWindows);
    out.push({
      severity,
      name: a?.name ?? 'ErrorBudgetBurn',
      forMs: a?.for ?? 0,
      labels: { severity, ...(a?.labels ?? {}) },
      annotations: {
        summary: `SLO ${spec.name} is burning its error budget too fast (${severity})`,
        description: `${spec.description ?? `SLO ${spec.name}`}: objective ${spec.objective}% over ${windowName(spec.window)}. At this burn rate the budget is gone in ${budgetExhaustion(windows, spec.window)}.`,
        ...(a?.annotations ?? {}),
      },
      windows,
    });
  }
  return out;
}

/** "at most 2d" for the fastest window of an alert: the window / its burn rate. */
function budgetExhaustion(windows: readonly BurnWindow[], sloWindowMs: number): string {
  const fastest = Math.max(...windows.map((w) => w.burnRate));
  return `at most ${windowName(Math.round(sloWindowMs / fastest / minute) * minute)}`;
}

/** A ratio as the rules show it: 12 significant digits, so 99.9/100 reads 0.999. */
function formatNumber(v: number): string {
  return String(Number(v.toPrecision(12)));
}

/**
 * The rules of one SLO, in one group so that every alert sees this evaluation's ratios: the
 * error ratio per window, then the SLI, budget and burn-rate series, then the alerts.
 */
export function sloGroup(spec: SloSpec): ExportGroup {
  const budget = errorBudget(spec.objective);
  const labels: Record<string, string> = { slo: spec.name, ...(spec.labels ?? {}) };
  const alerts = resolveAlerts(spec);
  const windows = new Set<number>(recordedWindowsMs.filter((w) => w < spec.window));
  for (const a of alerts)
    for (const w of a.windows) {
      windows.add(w.longMs);
      windows.add(w.shortMs);
    }
  windows.add(spec.window);
  const sorted = [...windows].sort((a, b) => a - b);
  const sel = `{slo="${spec.name}"}`;
  const rules: ExportRule[] = [];
  for (const w of sorted) {
    rules.push({
      record: sloSeries.errorRatio(windowName(w)),
      expr: errorRatioExpr(spec.sli, windowName(w)),
      labels,
    });
  }
  const slow = windowName(spec.window);
  rules.push(
    { record: sloSeries.objective, expr: `vector(${formatNumber(spec.objective / 100)})`, labels },
    { record: sloSeries.errorBudget, expr: `vector(${formatNumber(budget)})`, labels },
    { record: sloSeries.sli(slow), expr: `1 - ${sloSeries.errorRatio(slow)}${sel}`, labels },
    {
      record: sloSeries.budgetRemaining,
      expr: `1 - ${sloSeries.errorRatio(slow)}${sel} / ${formatNumber(budget)}`,
      labels,
    },
  );
  for (const w of sorted) {
    const name = windowName(w);
    rules.push({
      record: sloSeries.burnRate(name),
      expr: `${sloSeries.errorRatio(name)}${sel} / ${formatNumber(budget)}`,
      labels,
    });
  }
  for (const a of alerts) {
    // The Workbook's form: compare ratios with burn rate x budget, so that an error rate
    // exactly at budget (burn rate 1) never satisfies `>`.
    const expr = a.windows
      .map((w) => {
        const threshold = `(${formatNumber(w.burnRate)} * ${formatNumber(budget)})`;
        return `(\n  ${sloSeries.errorRatio(windowName(w.longMs))}${sel} > ${threshold}\nand\n  ${sloSeries.errorRatio(windowName(w.shortMs))}${sel} > ${threshold}\n)`;
      })
      .join('\nor\n');
    const rule: ExportRule = {
      alert: a.name,
      expr,
      labels: { ...labels, ...a.labels },
      annotations: a.annotations,
    };
    if (a.forMs > 0) rule.for = windowName(a.forMs);
    rules.push(rule);
  }
  const group: ExportGroup = { name: `slo-${spec.name}`, rules };
  if (spec.interval !== undefined) group.interval = windowName(spec.interval);
  return group;
}

/**
 * `slos:` in a vigil rule file.
 *
 * @example
 * slos:
 *   - name: api-availability
 *     objective: 99.9
 *     sli:
 *       errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
 *       total: sum(rate(http_requests_total[{{.window}}]))
 */
export const slo = defineKind({
  key: 'slos',
  schema: slosSchema,
  compile(specs, ctx): CompiledKind {
    const exportGroups = specs.map(sloGroup);
    const groups = exportGroups.map((g) => {
      try {
        return ctx.ruleGroup(g);
      } catch (err) {
        // The schema checked every user expression: a failure here is vigil's own bug.
        throw new VigilError(
          'internal',
          `slo: generated group ${g.name} does not load: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    });
    return { groups, exportGroups };
  },
});
