/** alerting/api: the Prometheus-compatible HTTP API. */
export { type ApiDeps, handleApi, parseTime } from './prometheus-api.ts';
