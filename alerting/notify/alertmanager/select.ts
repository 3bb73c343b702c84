import type { Labels } from '../../store/index.ts';

/**
 * Which alerts go to the Alertmanagers after an evaluation, and with which times: Prometheus'
 * rules.Alert.needsSending and AlertingRule.sendAlerts, as pure functions. A firing alert is
 * sent when it has not been sent for `resendDelay`; a resolved one right after it resolves and
 * then again every `resendDelay` while the rule keeps it (15 minutes), so an Alertmanager that
 * missed one message still learns the state. endsAt of a firing alert is a lease: now + 4 x
 * max(evaluation interval, resend delay), which lets two evaluations or sends fail before
 * Alertmanager resolves the alert by itself.
 */

/** What the pusher needs of an alert; the rule engine's alerts satisfy it. */
export interface SourceAlert {
  labels: Labels;
  annotations: Labels;
  state: 'inactive' | 'pending' | 'firing';
  firedAt: number | undefined;
  resolvedAt: number | undefined;
}

/** One alert as Alertmanager's API v2 takes it (times in ms here, RFC 3339 on the wire). */
export interface PushAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
}

/** Prometheus' --rules.alert.resend-delay default. */
export const defaultResendDelayMs = 60_000;
/** Two evaluations or sends may fail before Alertmanager resolves a firing alert by itself. */
export const validityFactor = 4;

/** Prometheus' needsSending: never pending; resolved since last sent; or due for a resend. */
export function needsSending(
  alert: SourceAlert,
  lastSentAt: number | undefined,
  now: number,
  resendDelayMs: number,
): boolean {
  if (alert.state === 'pending') return false;
  if (alert.state === 'inactive' && alert.resolvedAt === undefined) return false;
  if (lastSentAt === undefined) return true;
  if (alert.resolvedAt !== undefined && alert.resolvedAt > lastSentAt) return true;
  return lastSentAt + resendDelayMs < now;
}

/** The alert as sent at `now` for a group evaluated every `intervalMs`. */
export function toPushAlert(
  alert: SourceAlert,
  now: number,
  intervalMs: number,
  resendDelayMs: number,
  generatorURL: string,
): PushAlert {
  const validUntil = now + validityFactor * Math.max(intervalMs, resendDelayMs);
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.firedAt ?? now,
    endsAt: alert.resolvedAt ?? validUntil,
    generatorURL,
  };
}

/**
 * Picks the alerts to send and records when they were sent. `sent` remembers per alert object
 * (the rule engine keeps one object per active alert), so a forgotten alert frees its entry.
 *
 * @example
 * const batch = selectAlerts(ruleAlerts, sent, now, 60_000, defaultResendDelayMs, () => url);
 */
export function selectAlerts<A extends SourceAlert>(
  alerts: Iterable<A>,
  sent: WeakMap<A, number>,
  now: number,
  intervalMs: number,
  resendDelayMs: number,
  generatorURL: (alert: A) => string,
): PushAlert[] {
  const out: PushAlert[] = [];
  for (const alert of alerts) {
    if (!needsSending(alert, sent.get(alert), now, resendDelayMs)) continue;
    sent.set(alert, now);
    out.push(toPushAlert(alert, now, intervalMs, resendDelayMs, generatorURL(alert)));
  }
  return out;
}

/** Prometheus' link from an alert back to its expression in the graph UI. */
export function generatorURLFor(externalURL: string, expr: string): string {
  // URLSearchParams escapes like Go's url.QueryEscape (a space is "+"), as Prometheus' link does.
  return `${externalURL.replace(/\/+$/, '')}/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '1' })}`;
}
