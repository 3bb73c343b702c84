import { VigilError } from '../../core/index.ts';
import { cachedLabelsKey, type Expr, type Sample } from '../promql/index.ts';
import { formatLabels, type Labels, labelsKey, metricNameLabel, staleNaN } from '../store/index.ts';
import { type Alert, type AlertCandidate, stepAlerts, type Transition } from './alert-state.ts';
import type { DetectorQuery, DetectorRule } from './detector.ts';
import type { AlertingRule, RecordingRule, Rule, RuleGroup } from './rule-file.ts';

/**
 * Evaluates one rule group at a time: a query function in, samples out through an append
 * function, alert transitions out through a notify function (after prometheus/rules). The
 * group keeps the alert state of its rules and the series it wrote last time, which get
 * staleness markers when a rule stops producing them.
 */

/** Evaluates an expression at `t` (ms); a scalar comes back as one sample without labels. */
export type QueryFunc = (expr: Expr, t: number) => Sample[];
export type AppendFunc = (labels: Labels, t: number, v: number) => void;
export type NotifyFunc = (rule: AlertingRule, transitions: Transition[], t: number) => void;

export interface RuleResult {
  rule: Rule;
  error: string | undefined;
  samples: number;
  durationMs: number;
}

export interface GroupOptions {
  externalLabels?: Labels;
  externalURL?: string;
  /** Called with each evaluation's time; lets a shell measure cost without touching the core. */
  now?: () => number;
  /** The query API detector rules read through; a group with detector rules needs one. */
  detectorQuery?: DetectorQuery;
}

export const alertsMetric = 'ALERTS';
export const alertsForStateMetric = 'ALERTS_FOR_STATE';

export class GroupEvaluator {
  /** Active alerts per alerting rule, by the rule's index in the group. */
  readonly alerts = new Map<number, Map<string, Alert>>();
  private previousSeries = new Map<string, Labels>();
  lastResults: RuleResult[] = [];
  lastEvaluation = 0;
  lastDurationMs = 0;
  /**
   * Set for the first evaluation after a start: returns the last ALERTS_FOR_STATE value
   * (seconds) of an alert, so that its `for` state is restored before anything is written.
   */
  restoreLookup: ((labels: Labels) => number | undefined) | undefined;
  /**
   * Recording-rule outputs by input label set object: results that come back with the same
   * labels object every evaluation (a store's series, a backtest's batches) are labeled once.
   */
  private readonly recorded = new WeakMap<RecordingRule, WeakMap<Labels, Labels>>();

  constructor(
    readonly group: RuleGroup,
    private readonly options: GroupOptions = {},
  ) {}

  /**
   * Evaluates every rule in order at `t`; a later rule sees what an earlier one wrote.
   *
   * @example
   * evaluator.evaluate(now, (expr, t) => engineQuery(expr, t), store.append, notify);
   */
  evaluate(t: number, query: QueryFunc, append: AppendFunc, notify?: NotifyFunc): RuleResult[] {
    const written = new Map<string, Labels>();
    const results: RuleResult[] = [];
    const clock = this.options.now ?? (() => 0);
    this.group.rules.forEach((rule, index) => {
      const started = clock();
      let error: string | undefined;
      let out: Sample[] = [];
      try {
        out =
          rule.kind === 'recording'
            ? this.recording(rule, t, query)
            : rule.kind === 'detector'
              ? this.detector(rule, t)
              : this.alerting(rule, index, t, query, notify);
        if (this.group.limit > 0 && out.length > this.group.limit * (rule.kind === 'alerting' ? 2 : 1)) {
          if (rule.kind === 'alerting') this.alerts.set(index, new Map());
          throw new VigilError(
            'limit',
            `exceeded limit of ${this.group.limit} with ${rule.kind === 'alerting' ? out.length / 2 : out.length} ${rule.kind === 'alerting' ? 'alerts' : 'series'}`,
          );
        }
      } catch (err) {
        error = (err as Error).message;
        out = [];
      }
      for (const s of out) {
        try {
          append(s.labels, t, s.v);
          written.set(cachedLabelsKey(s.labels), s.labels);
        } catch (err) {
          // A full store (series limit) fails this rule's write, not the group: reported on
          // the rule, like Prometheus' "out of bounds" append errors.
          error ??= `writing results: ${(err as Error).message}`;
        }
      }
      results.push({ rule, error, samples: out.length, durationMs: clock() - started });
    });
    // Series written last time and not this time end with a staleness marker.
    for (const [key, labels] of this.previousSeries) {
      if (written.has(key)) continue;
      try {
        append(labels, t, staleNaN);
      } catch {
        // The series exists, so only a closed store can refuse it: nothing more to do.
      }
    }
    this.previousSeries = written;
    this.lastResults = results;
    this.restoreLookup = undefined;
    this.lastEvaluation = t;
    return results;
  }

  private recording(rule: RecordingRule, t: number, query: QueryFunc): Sample[] {
    const out: Sample[] = [];
    const seen = new Set<string>();
    let outputs = this.recorded.get(rule);
    if (!outputs) {
      outputs = new WeakMap();
      this.recorded.set(rule, outputs);
    }
    for (const s of query(rule.expr, t)) {
      let labels = outputs.get(s.labels);
      if (!labels) {
        const made: Record<string, string> = { ...s.labels, [metricNameLabel]: rule.name };
        for (const [k, v] of Object.entries(rule.labels)) {
          if (v === '') delete made[k];
          else made[k] = v;
        }
        labels = made;
        outputs.set(s.labels, labels);
      }
      const key = cachedLabelsKey(labels);
      if (seen.has(key))
        throw new VigilError(
          'check_failed',
          'vector contains metrics with the same labelset after applying rule labels',
        );
      seen.add(key);
      out.push({ labels, v: s.v });
    }
    return out;
  }

  private detector(rule: DetectorRule, t: number): Sample[] {
    const query = this.options.detectorQuery;
    if (!query)
      throw new VigilError('internal', `detector rule ${rule.name}: no query API was given to its group`);
    const out = rule.detector.evaluate(t, query);
    const seen = new Set<string>();
    for (const s of out) {
      // A detector is code, not a checked expression: refuse what the store must never hold.
      if (!s.labels[metricNameLabel])
        throw new VigilError(
          'internal',
          `detector rule ${rule.name} returned a sample without a metric name`,
        );
      const key = labelsKey(s.labels);
      if (seen.has(key))
        throw new VigilError(
          'check_failed',
          `detector rule ${rule.name} returned the labelset ${formatLabels(s.labels)} twice`,
        );
      seen.add(key);
    }
    return out;
  }

  private alerting(
    rule: AlertingRule,
    index: number,
    t: number,
    query: QueryFunc,
    notify: NotifyFunc | undefined,
  ): Sample[] {
    const candidates: AlertCandidate[] = [];
    const seen = new Set<string>();
    const external = this.options.externalLabels ?? {};
    for (const s of query(rule.expr, t)) {
      const { [metricNameLabel]: _, ...base } = s.labels;
      const data = {
        labels: base,
        externalLabels: external,
        externalURL: this.options.externalURL ?? '',
        value: s.v,
        time: t,
      };
      const labels: Record<string, string> = { ...base };
      for (const l of rule.labels) {
        const v = l.template.expand(data);
        if (v === '') delete labels[l.name];
        else labels[l.name] = v;
      }
      labels.alertname = rule.name;
      const annotations: Record<string, string> = {};
      for (const a of rule.annotations) annotations[a.name] = a.template.expand(data);
      const key = labelsKey(labels);
      if (seen.has(key))
        throw new VigilError(
          'check_failed',
          'vector contains metrics with the same labelset after applying alert labels',
        );
      seen.add(key);
      candidates.push({ labels, annotations, value: s.v });
    }
    let active = this.alerts.get(index);
    if (!active) {
      active = new Map();
      this.alerts.set(index, active);
    }
    const { transitions } = stepAlerts(active, candidates, t, rule);
    if (this.restoreLookup && rule.forMs > 0) this.restore(rule, active, t, this.restoreLookup);
    if (notify && transitions.length > 0) notify(rule, transitions, t);
    const out: Sample[] = [];
    for (const alert of active.values()) {
      if (alert.state === 'inactive') continue;
      out.push({
        labels: { ...alert.labels, [metricNameLabel]: alertsMetric, alertstate: alert.state },
        v: 1,
      });
      out.push({
        labels: { ...alert.labels, [metricNameLabel]: alertsForStateMetric },
        v: alert.activeAt / 1000,
      });
    }
    return out;
  }

  /** Takes over the state of the same rules (same name, kind and expression) from `old`. */
  adoptState(old: GroupEvaluator): void {
    this.group.rules.forEach((rule, index) => {
      const j = old.group.rules.findIndex(
        (r) => r.kind === rule.kind && r.name === rule.name && r.exprText === rule.exprText,
      );
      const alerts = j >= 0 ? old.alerts.get(j) : undefined;
      if (alerts) this.alerts.set(index, alerts);
    });
    this.previousSeries = old.previousSeries;
    this.lastEvaluation = old.lastEvaluation;
  }

  /** Active (pending or firing) alerts of every alerting rule of the group. */
  activeAlerts(): { rule: AlertingRule; alert: Alert }[] {
    const out: { rule: AlertingRule; alert: Alert }[] = [];
    this.group.rules.forEach((rule, index) => {
      if (rule.kind !== 'alerting') return;
      for (const alert of this.alerts.get(index)?.values() ?? [])
        if (alert.state !== 'inactive') out.push({ rule, alert });
    });
    return out;
  }

  /**
   * Restores `for` state after a restart: an alert that the first evaluation found again takes
   * the activeAt recorded in its ALERTS_FOR_STATE series, so that it neither waits its `for`
   * again nor fires anew. (Prometheus instead adds the downtime to a pending alert's wait; vigil
   * counts the downtime as active time, which the issue asks for: a restart does not re-wait.)
   */
  private restore(
    rule: AlertingRule,
    active: Map<string, Alert>,
    t: number,
    lookup: (labels: Labels) => number | undefined,
  ): void {
    for (const alert of active.values()) {
      if (alert.state !== 'pending' || alert.activeAt !== t) continue;
      const activeAtSeconds = lookup(alert.labels);
      if (activeAtSeconds === undefined || !Number.isFinite(activeAtSeconds) || activeAtSeconds * 1000 >= t)
        continue;
      alert.activeAt = activeAtSeconds * 1000;
      if (t - alert.activeAt >= rule.forMs) {
        alert.state = 'firing';
        alert.firedAt = t;
      }
    }
  }
}

export function describeRule(rule: Rule): string {
  return rule.kind === 'alerting'
    ? `alert ${rule.name}`
    : rule.kind === 'detector'
      ? `detector ${rule.name}`
      : `record ${rule.name}`;
}

export { formatLabels };
