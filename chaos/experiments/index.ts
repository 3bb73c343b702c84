/** chaos/experiments: the experiment format, its runner and its reports. */
export {
  type AlertView,
  type CheckResult,
  compare,
  fetchAlerts,
  firingMatch,
  judgePromql,
  queryPrometheus,
  runProbe,
  type Sample,
} from './checks.ts';
export {
  type AbortCondition,
  type Condition,
  type Experiment,
  type ExperimentStep,
  experimentSchema,
  type Fault,
  loadExperiment,
  type Phase,
  parseExperiment,
} from './model.ts';
export { formatEvent, formatResult, gateExitCode, toJsonReport, toJUnit } from './report.ts';
export { checkAllowed } from './resolve.ts';
export {
  type ExperimentResult,
  planExperiment,
  type RunOptions,
  type RunStatus,
  runExperiment,
  type TimelineEvent,
} from './runner.ts';
