/** alerting/notify/receivers: one file per integration, their config, and building them. */
import type { Receiver } from '../types.ts';
import type { ReceiverConfig } from './config.ts';
import type { HttpDeps } from './http.ts';
import { pagerDutyReceiver } from './pagerduty.ts';
import { slackReceiver } from './slack.ts';
import { webhookReceiver } from './webhook.ts';

export {
  defaultPagerDutyURL,
  makeReceiverSchema,
  type PagerDutyConfig,
  type ReceiverConfig,
  receiverSchema,
  Secret,
  type SlackConfig,
  type WebhookConfig,
} from './config.ts';
export {
  formatGoTime,
  goZeroTime,
  type HttpDeps,
  HttpStatusError,
  parseRetryAfter,
  truncateRunes,
} from './http.ts';
export { dedupKey, enqueueURL, type PagerDutyEvent, pagerDutyEvent, pagerDutyReceiver } from './pagerduty.ts';
export { forIntegration } from './send-resolved.ts';
export { type SlackMessage, slackMessage, slackReceiver } from './slack.ts';
export { compileNotifyTemplate, type NotifyTemplate, subject, textAlertList } from './template.ts';
export { type WebhookMessage, webhookMessage, webhookReceiver } from './webhook.ts';

/** The integrations, listed explicitly (no registration side effects). */
export const receivers = { pagerduty: pagerDutyReceiver, webhook: webhookReceiver, slack: slackReceiver };

/** Per-integration send timeouts from the config (`timeout:`), by the Receiver they belong to. */
export const configuredTimeouts = new WeakMap<Receiver, number>();

/**
 * The integrations of one `receivers:` entry, in a stable order (pagerduty, webhook, slack,
 * each in config order), which the delivery layer uses to name them `pagerduty[0]` and so on.
 *
 * @example
 * const list = buildReceivers(parsedEntry, {});
 */
export function buildReceivers(entry: ReceiverConfig, deps: HttpDeps = {}): Receiver[] {
  const out: Receiver[] = [];
  const add = (r: Receiver, timeout: number | undefined) => {
    if (timeout !== undefined && timeout > 0) configuredTimeouts.set(r, timeout);
    out.push(r);
  };
  for (const c of entry.pagerduty_configs) add(pagerDutyReceiver(entry.name, c, deps), c.timeout);
  for (const c of entry.webhook_configs) add(webhookReceiver(entry.name, c, deps), c.timeout);
  for (const c of entry.slack_configs) add(slackReceiver(entry.name, c, deps), c.timeout);
  return out;
}
