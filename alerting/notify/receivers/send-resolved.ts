import type { Notification } from '../types.ts';

/**
 * Alertmanager's send_resolved, applied before any integration builds its message: without it
 * resolved alerts are left out, and a notification that had only resolved alerts is not sent
 * at all (undefined). The status is recomputed from what remains.
 */
export function forIntegration(n: Notification, sendResolved: boolean): Notification | undefined {
  if (sendResolved) return n;
  const alerts = n.alerts.filter((a) => a.endsAt === undefined);
  if (alerts.length === 0) return undefined;
  return alerts.length === n.alerts.length ? n : { ...n, alerts, status: 'firing' };
}
