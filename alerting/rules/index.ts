/** alerting/rules: Prometheus rule files, the alert lifecycle, and promtool-format unit tests. */
export {
  type Alert,
  type AlertCandidate,
  type AlertState,
  keepsFiring,
  resolvedRetentionMs,
  shouldFire,
  shouldForget,
  stepAlerts,
  type Transition,
} from './alert-state.ts';
export type { Detector, DetectorQuery, DetectorRule } from './detector.ts';
export {
  type AppendFunc,
  alertsForStateMetric,
  alertsMetric,
  describeRule,
  GroupEvaluator,
  type GroupOptions,
  type NotifyFunc,
  type QueryFunc,
  type RuleResult,
} from './group.ts';
export { RuleManager, type RuleManagerOptions } from './manager.ts';
export {
  type AlertingRule,
  allGroups,
  type LoadedRuleFile,
  loadRuleFile,
  loadVigilRuleFile,
  parseRuleFile,
  parseVigilRuleFile,
  type RecordingRule,
  type Rule,
  type RuleGroup,
} from './rule-file.ts';
export { expandValues, type NotationValue, parseSeriesLabels } from './series-notation.ts';
export {
  type CompiledTemplate,
  compileTemplate,
  goFormatG,
  humanize,
  type TemplateData,
} from './template.ts';
export { runUnitTestFile, type UnitTestReport } from './unit-test.ts';
