/**
 * alerting/kinds: vigil's rule kinds, written beside `groups:` in a vigil rule file and
 * compiled into rule groups for the embedded engine and plain Prometheus groups for export.
 */

export {
  type BacktestOptions,
  type BacktestResult,
  backtestStore,
  type FiredAlert,
  formatBacktest,
  type Incident,
  incidentsSchema,
  type LoadReport,
  OpenMetricsLoader,
  type RuleError,
  type RuleScore,
  runBacktest,
  scoreBacktest,
} from './backtest.ts';
export { backtestSvg } from './backtest-svg.ts';
export { type Breaker, type BreakerState, closedBreaker, isTripped, reset, trip } from './breaker.ts';
export {
  type ExportFormat,
  exportFormats,
  exportGroups,
  exportRuleFile,
  plainExportGroup,
} from './export.ts';
export { GuardStore, guardNames, guardsFileName } from './guard-store.ts';
export {
  type CompileContext,
  type CompiledKind,
  defineKind,
  type ExportGroup,
  type ExportRule,
  type RuleKind,
} from './kind.ts';
export { loadOpenMetricsFile } from './openmetrics-file.ts';
export { guardLabel } from './rate-guard.ts';
export { kinds } from './registry.ts';
export {
  type BurnWindow,
  defaultPageWindows,
  defaultTicketWindows,
  errorBudget,
  errorRatioExpr,
  recordedWindowsMs,
  type SloSpec,
  slo,
  sloGroup,
  sloSeries,
  sloSpecSchema,
  windowName,
  windowPlaceholder,
} from './slo.ts';
