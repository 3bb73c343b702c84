import type { Expr, RangeResult, Sample, Value } from '../promql/index.ts';

/**
 * The third rule variant beside recording and alerting rules: code that computes series a
 * PromQL expression cannot (robust baselines, series that vanished, seasonal references).
 * A detector reads the store only through the query API it is given, at the time it is given,
 * and returns samples; the group writes them like a recording rule's (staleness included), so
 * alerts over them are plain alerting rules with the usual `for`, restore and notifications.
 */

/** What a detector may ask: PromQL over the engine, at evaluation time or over a range. */
export interface DetectorQuery {
  /** An instant query at `t` (ms): a vector, a scalar, or a range selector's raw samples. */
  instant(expr: Expr, t: number): Value;
  /** A range query from `start` to `end` (ms, inclusive) every `step` ms. */
  range(expr: Expr, start: number, end: number, step: number): RangeResult;
}

/** One method: the samples to record at `t`. Each must carry its `__name__`. */
export interface Detector {
  evaluate(t: number, query: DetectorQuery): Sample[];
}

export interface DetectorRule {
  kind: 'detector';
  /** The name of the series it writes (its main one, when it writes several). */
  name: string;
  /** A human description (shown as the rule's query in the API; also its identity on reload). */
  exprText: string;
  detector: Detector;
}
