import type { Notification } from '../../../../alerting/notify/index.ts';

/** A group of two DiskFull alerts, one firing and one resolved, as the dispatcher hands it over. */
export const t0 = Date.parse('2026-01-01T00:00:00Z');

export function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: 'n-1',
    receiver: 'ops',
    groupKey: '{}/{severity="page"}:{alertname="DiskFull"}',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull', severity: 'page' },
    commonAnnotations: { runbook: 'https://runbooks/disk' },
    status: 'firing',
    alerts: [
      {
        labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'page' },
        annotations: { runbook: 'https://runbooks/disk', summary: 'db-1 disk 97% full' },
        startsAt: t0,
        endsAt: undefined,
        generatorURL: 'http://vigil:9090/graph?g0.expr=disk&g0.tab=1',
        fingerprint: '1a2b3c4d5e6f7081',
      },
      {
        labels: { alertname: 'DiskFull', instance: 'db-2:9100', severity: 'page' },
        annotations: { runbook: 'https://runbooks/disk', summary: 'db-2 disk 96% full' },
        startsAt: t0 + 1500,
        endsAt: t0 + 60_250,
        generatorURL: 'http://vigil:9090/graph?g0.expr=disk&g0.tab=1',
        fingerprint: '2a2b3c4d5e6f7082',
      },
    ],
    externalURL: 'http://vigil.example:9090',
    createdAt: t0 + 120_000,
    ...overrides,
  };
}

/** The same group once both alerts resolved. */
export function resolvedNotification(overrides: Partial<Notification> = {}): Notification {
  const n = notification();
  return {
    ...n,
    id: 'n-2',
    status: 'resolved',
    alerts: n.alerts.map((a) => ({ ...a, endsAt: a.endsAt ?? t0 + 300_000 })),
    ...overrides,
  };
}
