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
  type VerifyPhase,
  type VerifyStep,
} from './model.ts';
export { formatEvent, formatResult, gateExitCode, toJsonReport, toJUnit } from './report.ts';
export { checkAllowed, openVerifiable } from './resolve.ts';
export {
  type ExperimentResult,
  planExperiment,
  type RunOptions,
  type RunStatus,
  runExperiment,
  type TimelineEvent,
} from './runner.ts';
export {
  type VerificationFinding,
  type VerificationOutcome,
  VerificationSession,
  verificationFailures,
  verifyStepName,
} from './verification.ts';
