import { describe, expect, it } from 'vitest';
import {
  AlertmanagerPusher,
  alertingConfigSchema,
  alertmanagerURLs,
  defaultResendDelayMs,
  generatorURLFor,
  needsSending,
  type SourceAlert,
  selectAlerts,
} from '../../../../alerting/notify/alertmanager/index.ts';
import { ManualClock, parseConfig } from '../../../../core/index.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');

function alert(over: Partial<SourceAlert> = {}): SourceAlert {
  return {
    labels: { alertname: 'DiskFull', instance: 'db-1' },
    annotations: {},
    state: 'firing',
    firedAt: t0,
    resolvedAt: undefined,
    ...over,
  };
}

describe("which alerts go to Alertmanager (Prometheus' needsSending)", () => {
  it('never pending; firing at once, then every resend delay', () => {
    expect(needsSending(alert({ state: 'pending', firedAt: undefined }), undefined, t0, 60_000)).toBe(false);
    expect(needsSending(alert(), undefined, t0, 60_000)).toBe(true);
    expect(needsSending(alert(), t0, t0 + 60_000, 60_000)).toBe(false);
    expect(needsSending(alert(), t0, t0 + 60_001, 60_000)).toBe(true);
  });

  it('resolved: at once after resolving, then every resend delay while retained', () => {
    const a = alert({ state: 'inactive', resolvedAt: t0 + 30_000 });
    expect(needsSending(a, t0 + 10_000, t0 + 30_000, 60_000)).toBe(true);
    expect(needsSending(a, t0 + 30_000, t0 + 40_000, 60_000)).toBe(false);
    expect(needsSending(a, t0 + 30_000, t0 + 90_001, 60_000)).toBe(true);
  });

  it('over evaluations: sent once per resend delay; endsAt is a lease of 4 x max(interval, resend)', () => {
    const a = alert();
    const sent = new WeakMap<SourceAlert, number>();
    const url = () => 'http://vigil/graph';
    const times: number[] = [];
    for (let t = t0; t <= t0 + 5 * 60_000; t += 15_000) {
      const out = selectAlerts([a], sent, t, 15_000, defaultResendDelayMs, url);
      if (out.length > 0) {
        times.push(t - t0);
        expect(out[0]!.endsAt).toBe(t + 4 * 60_000);
        expect(out[0]!.startsAt).toBe(t0);
      }
    }
    expect(times).toEqual([0, 75_000, 150_000, 225_000, 300_000]);
    a.state = 'inactive';
    a.resolvedAt = t0 + 310_000;
    const out = selectAlerts([a], sent, t0 + 310_000, 15_000, defaultResendDelayMs, url);
    expect(out.map((x) => x.endsAt)).toEqual([t0 + 310_000]);
  });

  it("generatorURL links to the expression the way Prometheus' does", () => {
    expect(generatorURLFor('http://vigil:9090/', 'rate(errors_total[5m]) > 0.1')).toBe(
      'http://vigil:9090/graph?g0.expr=rate%28errors_total%5B5m%5D%29+%3E+0.1&g0.tab=1',
    );
  });
});

describe('alerting: config and the bounded queue', () => {
  it("reads Prometheus' alerting section and refuses what vigil does not do", () => {
    const c = parseConfig(
      alertingConfigSchema,
      'prometheus.yml',
      `alertmanagers:
  - static_configs: [{ targets: ['am-1:9093', 'am-2:9093'] }]
    path_prefix: /am/
`,
    );
    expect(alertmanagerURLs(c)).toEqual([
      'http://am-1:9093/am/api/v2/alerts',
      'http://am-2:9093/am/api/v2/alerts',
    ]);
    expect(c.alertmanagers[0]!.timeout).toBe(10_000);
    expect(() => parseConfig(alertingConfigSchema, 'p.yml', 'alertmanagers:\n  - api_version: v1\n')).toThrow(
      /p\.yml:2: alertmanagers\[0\]\.api_version: only api_version "v2"/,
    );
    expect(() =>
      parseConfig(alertingConfigSchema, 'p.yml', 'alertmanagers:\n  - dns_sd_configs: []\n'),
    ).toThrow(/dns_sd_configs/);
  });

  it('drops the oldest alerts past capacity, counted; external labels and relabeling applied', async () => {
    const seen: unknown[][] = [];
    const pusher = new AlertmanagerPusher(
      alertingConfigSchema.parse({
        alert_relabel_configs: [{ source_labels: ['instance'], regex: 'drop-me', action: 'drop' }],
        alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:1'] }] }],
      }),
      {
        clock: new ManualClock(t0),
        queueCapacity: 100,
        externalLabels: { cluster: 'eu-1', instance: 'not-this' },
        log: () => {},
        fetch: (async (_url: string, init: { body: string }) => {
          seen.push(JSON.parse(init.body) as unknown[]);
          return new Response(null, { status: 200 });
        }) as unknown as typeof fetch,
      },
    );
    const batch = Array.from({ length: 250 }, (_, i) => ({
      labels: { alertname: 'A', instance: i === 249 ? 'drop-me' : `i-${i}` },
      annotations: {},
      startsAt: t0,
      endsAt: t0 + 240_000,
      generatorURL: '',
    }));
    pusher.push(batch);
    await pusher.flush();
    expect(pusher.dropped).toBe(149);
    const sent = seen.flat() as { labels: Record<string, string>; startsAt: string }[];
    expect(sent).toHaveLength(100);
    expect(seen.every((b) => b.length <= 64)).toBe(true);
    expect(sent[0]!.labels).toEqual({ alertname: 'A', instance: 'i-149', cluster: 'eu-1' });
    expect(sent[0]!.startsAt).toBe('2026-01-01T00:00:00.000Z');
    expect(pusher.metricsText()).toContain('vigil_alertmanager_notifications_dropped_total 149');
  });
});
