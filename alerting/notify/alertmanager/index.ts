/** alerting/notify/alertmanager: handing alerts to Alertmanagers, as Prometheus does. */
export {
  type AlertingConfig,
  type AlertmanagerConfig,
  alertingConfigSchema,
  alertmanagerConfigSchema,
  alertmanagerURLs,
} from './config.ts';
export { AlertmanagerPusher, defaultQueueCapacity, maxBatchSize, type PusherOptions } from './pusher.ts';
export {
  defaultResendDelayMs,
  generatorURLFor,
  needsSending,
  type PushAlert,
  type SourceAlert,
  selectAlerts,
  toPushAlert,
  validityFactor,
} from './select.ts';
