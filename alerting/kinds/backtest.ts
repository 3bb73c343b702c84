import { z } from 'zod';
import { type ExpositionVisitor, formatDuration, scanExposition, VigilError } from '../../core/index.ts';
import { BatchedEvaluation, Engine, type Expr, type Sample } from '../promql/index.ts';
import {
  type AlertingRule,
  alertsForStateMetric,
  alertsMetric,
  GroupEvaluator,
  type RuleGroup,
  type Transition,
} from '../rules/index.ts';
import {
  ChunkSlab,
  formatLabels,
  type Labels,
  labelsKey,
  MemoryStore,
  metricNameLabel,
} from '../store/index.ts';
import {
  type CoreScan,
  type FastAppend,
  SeriesTextCache,
  scanOpenMetricsFast,
} from './openmetrics-fast-path.ts';

/**
 * `vigil rules backtest`: recorded series replayed through rule groups on a simulated clock.
 * The data is OpenMetrics text with timestamps, the input of `promtool tsdb
 * create-blocks-from openmetrics`; it goes into an in-memory store, then every group is
 * evaluated at each step from the first sample to the last, exactly as the server would have
 * evaluated it live (a group only sees samples up to the evaluation time). Pure: no files, no
 * timers; the CLI reads the files and prints.
 */

/** What was loaded from OpenMetrics text. */
export interface LoadReport {
  series: number;
  samples: number;
  /** Samples refused because they were older than their series' newest one. */
  outOfOrder: number;
  /** First and last sample time (ms); undefined when nothing was loaded. */
  minT: number | undefined;
  maxT: number | undefined;
}

/**
 * An empty store sized for a backtest: no retention, since the whole range is replayed, and
 * chunks made full size at once from large blocks, since loaded series are long and kept
 * (growing chunks one by one cost a third of a week's load in bench/rules-backtest.ts).
 */
export function backtestStore(): MemoryStore {
  return new MemoryStore({ maxSeries: 10_000_000, retentionMs: Number.MAX_SAFE_INTEGER }, new ChunkSlab());
}

/** How an {@link OpenMetricsLoader} reads; the default is the fast path. */
export interface LoaderOptions {
  /**
   * False: every line through core's scanner, building a labels object and its key per sample
   * (the reference the fast path is tested against, and the bench's baseline). Default true.
   */
  fastPath?: boolean;
}

/**
 * Appends OpenMetrics text to a store, in one piece or in several: a file larger than a
 * JavaScript string is streamed in pieces cut at line ends, and only the last piece ends with
 * `# EOF`. Series are kept across pieces: a line whose series text was read before is appended
 * by id after reading only its value and timestamp (openmetrics-fast-path.ts); every other line
 * is read by core's scanner, whose answers and errors are the loader's.
 *
 * @example
 * const loader = new OpenMetricsLoader(backtestStore());
 * loader.load(text);
 * console.log(loader.report.samples);
 */
export class OpenMetricsLoader {
  readonly report: LoadReport = { series: 0, samples: 0, outOfOrder: 0, minT: undefined, maxT: undefined };
  private readonly ids = new Map<string, number>();
  private readonly texts = new SeriesTextCache();
  private readonly fastPath: boolean;
  private line = 1;
  /** The series of the last sample core's scanner read, for the fast path to learn its text. */
  private lastId = -1;
  private readonly visitor: ExpositionVisitor;
  private readonly append: FastAppend;
  private readonly core: CoreScan;

  constructor(
    readonly store: MemoryStore,
    options: LoaderOptions = {},
  ) {
    this.fastPath = options.fastPath ?? true;
    const report = this.report;
    const ids = this.ids;
    this.append = (id, timestampMs, value) => {
      const outcome = store.appendById(id, timestampMs, value);
      if (outcome === 'ok') {
        report.samples++;
        if (report.minT === undefined || timestampMs < report.minT) report.minT = timestampMs;
        if (report.maxT === undefined || timestampMs > report.maxT) report.maxT = timestampMs;
      } else report.outOfOrder++;
    };
    const append = this.append;
    this.visitor = {
      sample: (_name, labels, value, timestampMs) => {
        if (timestampMs === undefined)
          throw new VigilError(
            'parse',
            `sample ${formatLabels(labels).replace(/\{\}$/, '')} has no timestamp: a backtest needs every sample timed`,
          );
        // Labels objects are fresh per sample, so series are found by their labels' text.
        const key = labelsKey(labels);
        let id = ids.get(key);
        if (id === undefined) {
          id = store.seriesId(labels).id;
          ids.set(key, id);
        }
        this.lastId = id;
        append(id, timestampMs, value);
      },
    };
    this.core = (body) => {
      this.lastId = -1;
      scanExposition(body, this.visitor, { format: 'openmetrics', nameLabel: true });
      return this.lastId;
    };
  }

  /**
   * Loads one piece; `last` says it is the one that ends with `# EOF`.
   *
   * @throws VigilError('parse') naming the line in the whole file; samples without a
   *   timestamp are refused, since a replay has no other clock to put them on.
   */
  load(text: string, last = true): void {
    let newlines: number;
    try {
      if (this.fastPath) newlines = scanOpenMetricsFast(text, last, this.texts, this.core, this.append);
      else {
        // The parser reads a piece as a whole exposition, which must end with # EOF.
        this.core(last ? text : `${text}# EOF\n`);
        newlines = countLines(text);
      }
    } catch (err) {
      const details = (err as VigilError).details as { line?: number } | undefined;
      const line = details?.line !== undefined ? this.line + details.line - 1 : undefined;
      const message = (err as Error).message.replace(/^exposition line \d+: /, '');
      throw new VigilError('parse', line !== undefined ? `line ${line}: ${message}` : message, {
        cause: err,
        details: { line },
      });
    }
    this.line += newlines;
    this.report.series = this.store.getStats().series;
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** One alert's time firing: from the evaluation that fired it to the one that resolved it. */
export interface FiredAlert {
  alertname: string;
  labels: Labels;
  /** As expanded when it fired. */
  annotations: Labels;
  /** The group and file of the rule, to tell two rules of the same name apart. */
  group: string;
  firedAt: number;
  /** Undefined: still firing at the end of the replay. */
  resolvedAt: number | undefined;
}

export interface RuleError {
  group: string;
  rule: string;
  t: number;
  error: string;
}

export interface BacktestOptions {
  start: number;
  end: number;
  /** The evaluation interval of groups without their own. */
  stepMs: number;
  externalLabels?: Labels;
  /** Called after each evaluation time; a shell shows progress from it. */
  onStep?: (t: number, done: number, total: number) => void;
  /**
   * False: every rule evaluated step by step, the reference the batches are tested against.
   * Default true: the parts of rules that read only loaded data are computed many steps at a
   * time (promql/batch.ts), with the same answers.
   */
  batch?: boolean;
  /** Steps a batch computes at once (default 720); tests make it small to cross block edges. */
  batchBlockSteps?: number;
}

export interface BacktestResult {
  start: number;
  end: number;
  evaluations: number;
  alerts: FiredAlert[];
  /** The first error of each rule (a rule that fails usually fails at every step). */
  errors: RuleError[];
}

/**
 * Evaluates every group at each of its evaluation times in `[start, end]`, in file order, and
 * collects when each alert fired and resolved. A group with its own interval is evaluated on
 * that interval's grid from `start`, like the server's.
 *
 * @example
 * const loader = new OpenMetricsLoader(backtestStore());
 * loader.load(text);
 * const { minT, maxT } = loader.report;
 * const result = runBacktest(groups, loader.store, { start: minT!, end: maxT!, stepMs: 30_000 });
 */
export function runBacktest(
  groups: readonly RuleGroup[],
  store: MemoryStore,
  options: BacktestOptions,
): BacktestResult {
  const { start, end, stepMs } = options;
  if (!(stepMs > 0)) throw new VigilError('usage', 'the step must be above 0');
  const batches =
    options.batch === false
      ? undefined
      : batchesFor(groups, store, start, end, stepMs, options.batchBlockSteps);
  const engine = new Engine(store, { defaultSubqueryStepMs: stepMs, precomputed: batches?.lookup });
  const query = (expr: Expr, t: number): Sample[] => {
    const value = engine.instant(expr, t);
    if (value.type === 'vector') return value.samples;
    if (value.type === 'scalar') return [{ labels: {}, v: value.v }];
    throw new VigilError('parse', 'rule result is not a vector or scalar');
  };
  const detectorQuery = {
    instant: (expr: Expr, t: number) => engine.instant(expr, t),
    range: (expr: Expr, s: number, e: number, step: number) => engine.range(expr, s, e, step),
  };
  const evaluators = groups.map((g) => ({
    ev: new GroupEvaluator(g, { externalLabels: options.externalLabels ?? {}, detectorQuery }),
    intervalMs: g.intervalMs ?? stepMs,
  }));
  const open = new Map<string, FiredAlert>();
  const alerts: FiredAlert[] = [];
  const errors: RuleError[] = [];
  const failed = new Set<string>();
  const seriesIds = new WeakMap<Labels, number>();
  const append = (labels: Labels, t: number, v: number) => {
    // Rule outputs mostly come back with the same labels object each step: find the
    // series by object before building its key.
    let id = seriesIds.get(labels);
    if (id === undefined) {
      // Checked once per label set, not per sample: a write to batched data is refused.
      const name = labels[metricNameLabel];
      if (batches && name !== undefined && batches.namesRead.has(name))
        throw new VigilError(
          'internal',
          `${name} is loaded data that rules read in batches, and a detector wrote to it: name the detector's output differently`,
        );
      id = store.seriesId(labels).id;
      seriesIds.set(labels, id);
    }
    store.appendById(id, t, v);
  };
  const total = Math.floor((end - start) / stepMs) + 1;
  let evaluations = 0;
  for (let i = 0; i < total; i++) {
    const t = start + i * stepMs;
    for (const { ev, intervalMs } of evaluators) {
      if ((t - start) % intervalMs !== 0) continue;
      const group = ev.group.name;
      const notify = (_rule: AlertingRule, transitions: Transition[], at: number) => {
        for (const tr of transitions) {
          const key = `${group}\u0000${formatLabels(tr.alert.labels)}`;
          if (tr.to === 'firing' && tr.from !== 'firing') {
            const fired: FiredAlert = {
              alertname: tr.alert.labels.alertname ?? '',
              labels: tr.alert.labels,
              annotations: tr.alert.annotations,
              group,
              firedAt: at,
              resolvedAt: undefined,
            };
            open.set(key, fired);
            alerts.push(fired);
          } else if (tr.from === 'firing' && tr.to !== 'firing') {
            const fired = open.get(key);
            if (fired) fired.resolvedAt = at;
            open.delete(key);
          }
        }
      };
      for (const r of ev.evaluate(t, query, append, notify)) {
        if (r.error === undefined) continue;
        const key = `${group}\u0000${r.rule.name}`;
        if (failed.has(key)) continue;
        failed.add(key);
        errors.push({ group, rule: r.rule.name, t, error: r.error });
      }
      evaluations++;
    }
    options.onStep?.(t, i + 1, total);
  }
  return { start, end, evaluations, alerts, errors };
}

/**
 * Batches for every rule expression of `groups`, over the loaded series that no rule writes:
 * every metric name in the store before the replay except recording rules' and detectors'
 * names and ALERTS.
 */
function batchesFor(
  groups: readonly RuleGroup[],
  store: MemoryStore,
  start: number,
  end: number,
  stepMs: number,
  blockSteps: number | undefined,
): BatchedEvaluation {
  const fixedNames = new Set(store.labelValues(metricNameLabel));
  fixedNames.delete(alertsMetric);
  fixedNames.delete(alertsForStateMetric);
  for (const g of groups) for (const r of g.rules) if (r.kind !== 'alerting') fixedNames.delete(r.name);
  const batches = new BatchedEvaluation(store, { fixedNames, blockSteps });
  for (const g of groups) {
    for (const r of g.rules) {
      if (r.kind !== 'detector') batches.add(r.expr, { start, end, stepMs: g.intervalMs ?? stepMs });
    }
  }
  return batches;
}

/** A labeled incident: `alert` (an alert name) was expected to fire between start and end. */
export interface Incident {
  alert: string;
  start: number;
  end: number;
}

/** How well one alert name matched the labeled incidents. */
export interface RuleScore {
  alertname: string;
  /** Firings that overlapped an incident of this alert name. */
  truePositives: number;
  /** Firings that overlapped none. */
  falsePositives: number;
  /** Incidents that some firing overlapped. */
  detected: number;
  incidents: number;
  /** truePositives / firings; undefined when it never fired. */
  precision: number | undefined;
  /** detected / incidents; undefined without incidents. */
  recall: number | undefined;
  /** Per detected incident: first firing time - incident start (ms; 0 if it was already firing). */
  delaysMs: number[];
}

/**
 * Scores firings against incidents per alert name. A firing counts for an incident when its
 * interval `[firedAt, resolvedAt]` (open-ended when still firing) overlaps `[start, end]`; an
 * incident counts as detected by the first such firing. Alert names with firings but no
 * incidents get a precision of 0 (every firing was false), names with incidents but no firing
 * a recall of 0.
 *
 * @example
 * const scores = scoreBacktest(result, [{ alert: 'ErrorBudgetBurn', start, end }]);
 */
export function scoreBacktest(result: BacktestResult, incidents: readonly Incident[]): RuleScore[] {
  const names = new Set<string>([...result.alerts.map((a) => a.alertname), ...incidents.map((i) => i.alert)]);
  const scores: RuleScore[] = [];
  for (const alertname of [...names].sort()) {
    const firings = result.alerts.filter((a) => a.alertname === alertname);
    const mine = incidents.filter((i) => i.alert === alertname);
    const overlaps = (a: FiredAlert, i: Incident) =>
      a.firedAt <= i.end && (a.resolvedAt === undefined || a.resolvedAt >= i.start);
    const truePositives = firings.filter((a) => mine.some((i) => overlaps(a, i))).length;
    const delaysMs: number[] = [];
    let detected = 0;
    for (const incident of mine) {
      const hits = firings.filter((a) => overlaps(a, incident));
      if (hits.length === 0) continue;
      detected++;
      delaysMs.push(Math.max(0, Math.min(...hits.map((a) => a.firedAt)) - incident.start));
    }
    scores.push({
      alertname,
      truePositives,
      falsePositives: firings.length - truePositives,
      detected,
      incidents: mine.length,
      precision: firings.length > 0 ? truePositives / firings.length : undefined,
      recall: mine.length > 0 ? detected / mine.length : undefined,
      delaysMs,
    });
  }
  return scores;
}

/** A time in an incidents file: RFC 3339 text, or seconds since the epoch as in OpenMetrics. */
const timeSchema = z.union([
  z.number().transform((s) => Math.round(s * 1000)),
  z.string().transform((text, ctx) => {
    const ms = Date.parse(text);
    if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an RFC 3339 time such as 2026-01-05T14:00:00Z, got "${text}"`,
      });
      return z.NEVER;
    }
    return ms;
  }),
]);

/**
 * An incidents file: a YAML list of `{alert, start, end}` (`name` is accepted for `alert`),
 * times in RFC 3339 or epoch seconds.
 */
export const incidentsSchema = z.array(
  z
    .strictObject({
      alert: z.string().min(1).optional(),
      name: z.string().min(1).optional(),
      start: timeSchema,
      end: timeSchema,
    })
    .transform((raw, ctx): Incident => {
      const alert = raw.alert ?? raw.name;
      if (alert === undefined || (raw.alert !== undefined && raw.name !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected one of "alert" or "name": the alert name the incident should fire',
        });
        return z.NEVER;
      }
      if (raw.end < raw.start) {
        ctx.addIssue({ code: 'custom', message: 'end is before start', path: ['end'] });
        return z.NEVER;
      }
      return { alert, start: raw.start, end: raw.end };
    }),
);

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The backtest report as text: every firing with its fired and resolved times, then per alert
 * name precision, recall and detection delay when incidents were given.
 */
export function formatBacktest(result: BacktestResult, scores: readonly RuleScore[] | undefined): string {
  const lines: string[] = [];
  lines.push(
    `Replayed ${iso(result.start)} .. ${iso(result.end)}: ${result.evaluations} group evaluations, ${result.alerts.length} firings`,
  );
  const sorted = [...result.alerts].sort((a, b) => a.firedAt - b.firedAt);
  for (const a of sorted) {
    const resolved = a.resolvedAt === undefined ? 'still firing' : `resolved ${iso(a.resolvedAt)}`;
    lines.push(`  fired ${iso(a.firedAt)}  ${resolved}  ${formatLabels(a.labels)}`);
  }
  for (const e of result.errors)
    lines.push(`  error in group ${e.group}, rule ${e.rule}, first at ${iso(e.t)}: ${e.error}`);
  if (scores) {
    lines.push(
      '',
      'alert                          firings  incidents  detected  precision  recall  delay (median, max)',
    );
    const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
    for (const s of scores) {
      const delays = [...s.delaysMs].sort((a, b) => a - b);
      const delay =
        delays.length === 0
          ? '-'
          : `${formatDuration(Math.round(delays[Math.floor((delays.length - 1) / 2)]!))}, ${formatDuration(Math.round(delays[delays.length - 1]!))}`;
      lines.push(
        `${s.alertname.padEnd(30)} ${String(s.truePositives + s.falsePositives).padStart(7)}  ${String(s.incidents).padStart(9)}  ${String(s.detected).padStart(8)}  ${pct(s.precision).padStart(9)}  ${pct(s.recall).padStart(6)}  ${delay}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
