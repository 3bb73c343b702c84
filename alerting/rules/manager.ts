import { type Clock, systemClock, type TimerHandle } from '../../core/index.ts';
import { Engine, type Expr, type Sample } from '../promql/index.ts';
import { isStaleNaN, type Labels, metricNameLabel, newMatcher, type Queryable } from '../store/index.ts';
import type { DetectorQuery } from './detector.ts';
import { type AppendFunc, alertsForStateMetric, GroupEvaluator, type NotifyFunc } from './group.ts';
import type { RuleGroup } from './rule-file.ts';

/**
 * Runs rule groups on their intervals against a store: evaluation through the PromQL engine,
 * results appended to the store, transitions out through a notify function. The `for` state of
 * alerts is restored on the first evaluation after a start from ALERTS_FOR_STATE series.
 */

export interface RuleManagerOptions {
  clock?: Clock;
  /** Interval of groups that set none (Prometheus' global evaluation_interval). */
  defaultIntervalMs: number;
  /** How far back ALERTS_FOR_STATE is searched on restore (Prometheus: outage tolerance 1h). */
  outageToleranceMs?: number;
  externalLabels?: Labels;
  notify?: NotifyFunc;
  /**
   * Called after each group evaluation with the evaluator, whose alerts are then complete:
   * Alertmanager-style notification needs the whole active set and the resolved alerts, not
   * only the transitions.
   */
  onEvaluated?: (ev: GroupEvaluator, t: number) => void;
  /** Measures evaluation cost (ms); performance.now by default. */
  now?: () => number;
}

export class RuleManager {
  evaluators: GroupEvaluator[];
  private readonly timers = new Map<GroupEvaluator, TimerHandle>();
  private running = false;
  private readonly engine: Engine;
  private readonly clock: Clock;

  constructor(
    groups: readonly RuleGroup[],
    private readonly store: Queryable,
    private readonly append: AppendFunc,
    private readonly options: RuleManagerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.engine = new Engine(store, { defaultSubqueryStepMs: options.defaultIntervalMs });
    const now = options.now ?? (() => performance.now());
    this.evaluators = groups.map(
      (g) =>
        new GroupEvaluator(g, {
          externalLabels: options.externalLabels ?? {},
          now,
          detectorQuery: this.detectorQuery,
        }),
    );
  }

  /** The engine as detector rules see it. */
  readonly detectorQuery: DetectorQuery = {
    instant: (expr, t) => this.engine.instant(expr, t),
    range: (expr, start, end, step) => this.engine.range(expr, start, end, step),
  };

  intervalOf(ev: GroupEvaluator): number {
    return ev.group.intervalMs ?? this.options.defaultIntervalMs;
  }

  /** Evaluates a query for rules: vectors as they are, a scalar as one sample without labels. */
  readonly query = (expr: Expr, t: number): Sample[] => {
    const value = this.engine.instant(expr, t);
    if (value.type === 'vector') return value.samples;
    if (value.type === 'scalar') return [{ labels: {}, v: value.v }];
    return [];
  };

  /** Evaluates one group at `t` now (used by the scheduler and by tests). */
  evaluateGroup(ev: GroupEvaluator, t: number): void {
    const started = (this.options.now ?? (() => performance.now()))();
    ev.evaluate(t, this.query, this.append, this.options.notify);
    ev.lastDurationMs = (this.options.now ?? (() => performance.now()))() - started;
    this.options.onEvaluated?.(ev, t);
  }

  /** Starts every group on interval boundaries, restoring `for` state on the first run. */
  start(): void {
    this.running = true;
    for (const ev of this.evaluators) this.schedule(ev, true);
  }

  private schedule(ev: GroupEvaluator, restore: boolean): void {
    const tolerance = this.options.outageToleranceMs ?? 3_600_000;
    const interval = this.intervalOf(ev);
    if (restore) ev.restoreLookup = (labels) => this.lastForState(labels, this.clock.now(), tolerance);
    const tick = () => {
      const t = this.clock.now();
      this.timers.set(ev, this.clock.setTimeout(tick, interval - (t % interval) || interval));
      this.evaluateGroup(ev, t);
    };
    const now = this.clock.now();
    this.timers.set(ev, this.clock.setTimeout(tick, interval - (now % interval)));
  }

  /**
   * Swaps in newly loaded groups (the caller has loaded and validated all of them first, so a
   * reload is all or nothing). A group with the same file and name keeps the alert state and
   * written series of its rules with the same name and expression: a reload neither resets
   * `for` nor re-fires.
   */
  replaceGroups(groups: readonly RuleGroup[]): void {
    const now = this.options.now ?? (() => performance.now());
    const next = groups.map(
      (g) =>
        new GroupEvaluator(g, {
          externalLabels: this.options.externalLabels ?? {},
          now,
          detectorQuery: this.detectorQuery,
        }),
    );
    const adopted = new Set<GroupEvaluator>();
    for (const ev of next) {
      const old = this.evaluators.find(
        (o) => o.group.file === ev.group.file && o.group.name === ev.group.name,
      );
      if (old) {
        ev.adoptState(old);
        adopted.add(ev);
      }
    }
    const wasRunning = this.running;
    this.stop();
    this.evaluators = next;
    if (wasRunning) {
      this.running = true;
      for (const ev of next) this.schedule(ev, !adopted.has(ev));
    }
  }

  private lastForState(labels: Labels, t: number, tolerance: number): number | undefined {
    const matchers = [newMatcher(metricNameLabel, '=', alertsForStateMetric)];
    for (const [k, v] of Object.entries(labels)) matchers.push(newMatcher(k, '=', v));
    for (const series of this.store.select(matchers, t - tolerance, t)) {
      if (Object.keys(series.labels).length !== Object.keys(labels).length + 1) continue;
      for (let i = series.v.length - 1; i >= 0; i--) if (!isStaleNaN(series.v[i]!)) return series.v[i];
    }
    return undefined;
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.running = false;
  }
}
