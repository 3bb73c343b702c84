import type { ValueType } from './ast.ts';

/**
 * The functions vigil evaluates, with Prometheus 2.42's argument and return types. A function
 * missing here is refused when a query or rule file is parsed, with its name; it is never
 * evaluated differently from Prometheus.
 */
export interface FunctionSignature {
  args: ValueType[];
  /** How many trailing arguments may be left out (a negative count: any number more of the last type). */
  optional: number;
  variadic: boolean;
  returns: ValueType;
}

const fn = (args: ValueType[], returns: ValueType, optional = 0, variadic = false): FunctionSignature => ({
  args,
  optional,
  variadic,
  returns,
});

const v: ValueType = 'vector';
const m: ValueType = 'matrix';
const s: ValueType = 'scalar';
const str: ValueType = 'string';

const mathFunctions = [
  'abs',
  'ceil',
  'floor',
  'exp',
  'ln',
  'log2',
  'log10',
  'sqrt',
  'sgn',
  'deg',
  'rad',
] as const;

const overTime = [
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'last_over_time',
  'present_over_time',
  'absent_over_time',
  'changes',
  'resets',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
] as const;

const dateFunctions = [
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'hour',
  'minute',
  'month',
  'year',
] as const;

export const signatures: Readonly<Record<string, FunctionSignature>> = {
  ...Object.fromEntries(mathFunctions.map((name) => [name, fn([v], v)])),
  ...Object.fromEntries(overTime.map((name) => [name, fn([m], v)])),
  ...Object.fromEntries(dateFunctions.map((name) => [name, fn([v], v, 1)])),
  absent: fn([v], v),
  clamp: fn([v, s, s], v),
  clamp_max: fn([v, s], v),
  clamp_min: fn([v, s], v),
  histogram_quantile: fn([s, v], v),
  label_replace: fn([v, str, str, str, str], v),
  label_join: fn([v, str, str, str], v, 1, true),
  pi: fn([], s),
  predict_linear: fn([m, s], v),
  quantile_over_time: fn([s, m], v),
  round: fn([v, s], v, 1),
  scalar: fn([v], s),
  sort: fn([v], v),
  sort_desc: fn([v], v),
  time: fn([], s),
  timestamp: fn([v], v),
  vector: fn([s], v),
};

/** Functions Prometheus has that vigil refuses, with the reason given to the user. */
export const refusedFunctions: Readonly<Record<string, string>> = {
  // Go computes these with its own polynomial approximations; JavaScript's differ in the last
  // bit, and vigil gives Prometheus' answer or none.
  ...Object.fromEntries(
    ['acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh'].map(
      (name) => [
        name,
        `${name} is not supported by vigil (its result would differ from Prometheus' in the last digits)`,
      ],
    ),
  ),
  holt_winters: 'holt_winters is not supported by vigil',
  double_exponential_smoothing: 'double_exponential_smoothing is not supported by vigil',
  histogram_count: 'native histograms are not supported by vigil (histogram_count)',
  histogram_sum: 'native histograms are not supported by vigil (histogram_sum)',
  histogram_avg: 'native histograms are not supported by vigil (histogram_avg)',
  histogram_fraction: 'native histograms are not supported by vigil (histogram_fraction)',
  histogram_stddev: 'native histograms are not supported by vigil (histogram_stddev)',
  histogram_stdvar: 'native histograms are not supported by vigil (histogram_stdvar)',
};
