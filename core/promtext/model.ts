import type { Labels } from '../labels.ts';

/**
 * The model of a metrics exposition, shared by the Prometheus text format 0.0.4 and
 * OpenMetrics 1.0: a list of metric families, each with its metadata and its samples in the
 * order they were exposed. Samples keep their full name (`http_request_duration_seconds_bucket`),
 * so a histogram is its `_bucket`, `_sum` and `_count` samples, exactly as on the wire.
 */

/** The two text formats a target may answer with. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * A family's type. The Prometheus format's `untyped` is `unknown` here (Prometheus itself maps
 * both to one type); `gaugehistogram`, `info` and `stateset` exist only in OpenMetrics.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/** Every metric type, in the order OpenMetrics lists them. */
export const metricTypes: readonly MetricType[] = [
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
];

/** An OpenMetrics exemplar: a trace-linked example observation attached to a sample. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch, when the exemplar carries a timestamp. */
  readonly timestampMs?: number;
}

/** One exposed sample. */
export interface Sample {
  /** The full sample name, suffix included (`foo_total`, `foo_bucket`). */
  readonly name: string;
  /** Labels as exposed, without `__name__`, in exposition order. */
  readonly labels: Labels;
  /** The value; NaN, +Inf and -Inf are kept as such. */
  readonly value: number;
  /** Milliseconds since the epoch, when the exposition carries one (OpenMetrics seconds are converted). */
  readonly timestampMs?: number;
  readonly exemplar?: Exemplar;
}

/** A metric family: its metadata and its samples. */
export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** The HELP text, unescaped; undefined when the exposition had no HELP line. */
  readonly help?: string;
  /** The OpenMetrics UNIT; undefined when absent. */
  readonly unit?: string;
  readonly samples: readonly Sample[];
}

/**
 * Sample name suffixes each type's samples may carry, after the family name. A sample whose
 * name is the family name plus one of these belongs to that family (as Prometheus decides
 * which metadata applies to a series).
 */
export const typeSuffixes: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [],
  unknown: [],
};

/**
 * True when a sample named `sampleName` belongs to the family `family` of type `type`.
 *
 * @example
 * belongsToFamily('rpc_seconds_bucket', 'rpc_seconds', 'histogram'); // true
 * belongsToFamily('rpc_seconds_bucket', 'rpc_seconds', 'gauge'); // false
 */
export function belongsToFamily(sampleName: string, family: string, type: MetricType): boolean {
  if (sampleName === family) return true;
  if (sampleName.length <= family.length || !sampleName.startsWith(family)) return false;
  const suffixes = typeSuffixes[type];
  for (const suffix of suffixes) {
    if (sampleName.length === family.length + suffix.length && sampleName.endsWith(suffix)) return true;
  }
  return false;
}
