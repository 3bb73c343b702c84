import type { Labels } from '../store/index.ts';

/**
 * The contract between the two halves of the notifier: the dispatcher (routing, grouping,
 * inhibition, silences) decides *what* to tell whom and hands a Notification to the outbox;
 * the outbox and the receivers decide *how* it gets there (retries, breaker, durability).
 * Alertmanager's vocabulary is kept on purpose, so its documentation reads across.
 */

/** One alert as the notifier sees it: Alertmanager's alert model, times in ms. */
export interface NotifyAlert {
  labels: Labels;
  annotations: Labels;
  /** When the alert started firing (its rule's activeAt). */
  startsAt: number;
  /** When it resolved; undefined while firing. */
  endsAt: number | undefined;
  generatorURL: string;
  /** Stable identity of the label set (hex), as Alertmanager's fingerprint. */
  fingerprint: string;
}

export type NotificationStatus = 'firing' | 'resolved';

/**
 * One message to one receiver about one alert group. `id` is unique per notification and is
 * the outbox key; `groupKey` is stable for the group across restarts and is what receivers
 * derive dedup keys from (PagerDuty's dedup_key), so a restart never opens a second incident.
 */
export interface Notification {
  id: string;
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  /** firing when any alert in the group fires. */
  status: NotificationStatus;
  alerts: NotifyAlert[];
  /** vigil's external URL, for links back (Alertmanager's externalURL). */
  externalURL: string;
  createdAt: number;
}

/** A receiver sends one notification; it throws DeliveryError when it should be retried or not. */
export interface Receiver {
  readonly name: string;
  /** The integration kind, for metrics and logs: pagerduty, webhook, slack. */
  readonly kind: string;
  send(notification: Notification, signal: AbortSignal): Promise<void>;
}

/** Why a send failed, and whether trying again can help (5xx, 429, timeouts: yes; 4xx: no). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** From a 429's or 503's Retry-After, when the receiver gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
