import type { Labels } from '../../store/index.ts';
import type { Notification, Receiver } from '../types.ts';
import type { WebhookConfig } from './config.ts';
import { formatGoTime, type HttpDeps, postJSON } from './http.ts';
import { forIntegration } from './send-resolved.ts';

/**
 * Alertmanager's webhook (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config):
 * the payload version "4" field by field, so anything that consumes Alertmanager's webhooks
 * (alerta, custom bots, incident tools) consumes vigil's unchanged.
 */

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/**
 * The message for one notification (undefined when send_resolved leaves nothing to send);
 * `max_alerts` > 0 keeps the first alerts and counts the rest in truncatedAlerts.
 */
export function webhookMessage(
  config: WebhookConfig,
  receiver: string,
  notification: Notification,
): WebhookMessage | undefined {
  const n = forIntegration(notification, config.send_resolved);
  if (!n) return undefined;
  const keep = config.max_alerts > 0 ? n.alerts.slice(0, config.max_alerts) : n.alerts;
  return {
    receiver,
    status: n.status,
    alerts: keep.map((a) => ({
      status: a.endsAt === undefined ? 'firing' : 'resolved',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: formatGoTime(a.startsAt),
      endsAt: formatGoTime(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    externalURL: n.externalURL,
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - keep.length,
  };
}

/**
 * @example
 * await webhookReceiver('ops', config, {}).send(notification, signal);
 */
export function webhookReceiver(name: string, config: WebhookConfig, deps: HttpDeps): Receiver {
  return {
    name,
    kind: 'webhook',
    async send(notification, signal) {
      const message = webhookMessage(config, name, notification);
      if (!message) return;
      await postJSON(`webhook receiver "${name}"`, config.url.reveal(), message, signal, deps);
    },
  };
}
