/** alerting/api: the Prometheus-compatible HTTP API and Alertmanager's v2 silences and alerts. */
export { type AlertmanagerApiDeps, handleAlertmanagerApi } from './alertmanager-api.ts';
export {
  AlertmanagerClient,
  type ApiAlertV2,
  type ApiSilence,
  type NewSilence,
  type RuleAlert,
} from './alertmanager-client.ts';
export { formatBreaker, type GuardsDeps, handleGuards, isGuardsPath } from './guards-api.ts';
export { type ApiDeps, handleApi, parseTime } from './prometheus-api.ts';
