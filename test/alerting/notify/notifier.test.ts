import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Notification,
  Notifier,
  notifyConfigSchema,
  type SourceAlert,
} from '../../../alerting/notify/index.ts';
import { ManualClock, parseConfig } from '../../../core/index.ts';

/**
 * The notifier through its public face: rule-group alerts in, Notifications out to a
 * recording deliver function, time on a ManualClock. Timings are Alertmanager's: group_wait
 * before a group's first notification, group_interval between looks, repeat_interval for
 * unchanged groups.
 */

const t0 = Date.parse('2026-03-02T10:00:00Z'); // a Monday
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const baseConfig = `
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
    - matchers: ['team="night"']
      receiver: pager
      mute_time_intervals: [business-hours]
    - matchers: ['team="day"']
      receiver: pager
      active_time_intervals: [business-hours]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
time_intervals:
  - name: business-hours
    time_intervals:
      - times: [{ start_time: '09:00', end_time: '17:00' }]
        weekdays: ['monday:friday']
receivers:
  - name: pager
`;

function setup(options: { dataDir?: string; clock?: ManualClock; config?: string } = {}) {
  const clock = options.clock ?? new ManualClock(t0);
  const sent: Notification[] = [];
  const notifier = new Notifier({
    config: parseConfig(notifyConfigSchema, 'notify.yml', options.config ?? baseConfig),
    dataDir: options.dataDir,
    clock,
    deliver: (n) => {
      sent.push(n);
    },
  });
  return { clock, sent, notifier };
}

const firing = (labels: Record<string, string>, activeAt = t0): SourceAlert => ({
  labels,
  annotations: { summary: `${labels.alertname} on ${labels.instance ?? '?'}` },
  state: 'firing',
  activeAt,
  resolvedAt: undefined,
});
const resolved = (a: SourceAlert, at: number): SourceAlert => ({ ...a, state: 'inactive', resolvedAt: at });

const summary = (n: Notification) => ({
  at: (n.createdAt - t0) / 1000,
  status: n.status,
  alerts: n.alerts.map((a) => `${a.labels.instance}:${a.endsAt === undefined ? 'firing' : 'resolved'}`),
});

describe('dispatcher timing', () => {
  it('waits group_wait so alerts that fire together arrive in one notification', async () => {
    const { clock, sent, notifier } = setup();
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    notifier.update('g', [a]);
    await clock.advance(10_000);
    const b = firing({ alertname: 'DiskFull', instance: 'db2' }, t0 + 10_000);
    notifier.update('g', [a, b]);
    await clock.advance(19_999);
    expect(sent).toEqual([]);
    await clock.advance(1);
    expect(sent.map(summary)).toEqual([{ at: 30, status: 'firing', alerts: ['db1:firing', 'db2:firing'] }]);
    expect(sent[0]!.groupKey).toBe('{}:{alertname="DiskFull"}');
    expect(sent[0]!.groupLabels).toEqual({ alertname: 'DiskFull' });
    expect(sent[0]!.commonLabels).toEqual({ alertname: 'DiskFull' });
    notifier.close();
  });

  it("counts group_wait from when an alert fires, not from when its rule's `for` began", async () => {
    const { clock, sent, notifier } = setup();
    const a = { ...firing({ alertname: 'DiskFull', instance: 'db1' }, t0 - 10 * 60_000), firedAt: t0 };
    notifier.update('g', [a]);
    await clock.advance(29_999);
    expect(sent).toEqual([]);
    await clock.advance(1);
    expect(sent.map(summary)).toEqual([{ at: 30, status: 'firing', alerts: ['db1:firing'] }]);
    expect(sent[0]!.alerts[0]!.startsAt).toBe(t0);
    notifier.close();
  });

  it('sends a new alert of a notified group at the next group_interval, not before', async () => {
    const { clock, sent, notifier } = setup();
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    notifier.update('g', [a]);
    await clock.advance(60_000);
    const b = firing({ alertname: 'DiskFull', instance: 'db2' }, t0 + 60_000);
    notifier.update('g', [a, b]);
    await clock.advance(4 * 60_000 + 29_999);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    expect(sent.map(summary)).toEqual([
      { at: 30, status: 'firing', alerts: ['db1:firing'] },
      { at: 330, status: 'firing', alerts: ['db1:firing', 'db2:firing'] },
    ]);
    notifier.close();
  });

  it('repeats an unchanged group after repeat_interval, on a group_interval tick', async () => {
    const { clock, sent, notifier } = setup();
    notifier.update('g', [firing({ alertname: 'DiskFull', instance: 'db1' })]);
    await clock.advance(3 * 3_600_000);
    // Alertmanager's DedupStage resends once the last send is strictly older than
    // repeat_interval; ticks are at 30s + k*5m, so 30s+60m is not yet, 30s+65m is.
    expect(sent.map((n) => (n.createdAt - t0) / 1000)).toEqual([30, 30 + 65 * 60, 30 + 130 * 60]);
    notifier.close();
  });

  it('sends resolved alerts once, then drops the group', async () => {
    const { clock, sent, notifier } = setup();
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    const b = firing({ alertname: 'DiskFull', instance: 'db2' });
    notifier.update('g', [a, b]);
    await clock.advance(60_000);
    notifier.update('g', [a, resolved(b, t0 + 60_000)]);
    await clock.advance(5 * 60_000);
    notifier.update('g', [resolved(a, t0 + 6 * 60_000), resolved(b, t0 + 60_000)]);
    await clock.advance(3 * 3_600_000);
    expect(sent.map(summary)).toEqual([
      { at: 30, status: 'firing', alerts: ['db1:firing', 'db2:firing'] },
      { at: 330, status: 'firing', alerts: ['db1:firing', 'db2:resolved'] },
      { at: 630, status: 'resolved', alerts: ['db1:resolved'] },
    ]);
    expect(sent[2]!.alerts[0]!.endsAt).toBe(t0 + 6 * 60_000);
    expect(notifier.dispatcher.list()).toEqual([]);
    notifier.close();
  });

  it('resolves alerts that disappear from their source (a rule removed by reload)', async () => {
    const { clock, sent, notifier } = setup();
    notifier.update('g', [firing({ alertname: 'DiskFull', instance: 'db1' })]);
    await clock.advance(60_000);
    notifier.update('g', []);
    await clock.advance(5 * 60_000);
    expect(sent.map(summary)).toEqual([
      { at: 30, status: 'firing', alerts: ['db1:firing'] },
      { at: 330, status: 'resolved', alerts: ['db1:resolved'] },
    ]);
    notifier.close();
  });

  it('groups 1,000 alerts firing at once, and a flapping fleet, into a bounded number of notifications', async () => {
    const { clock, sent, notifier } = setup();
    const fleet = Array.from({ length: 1000 }, (_, i) =>
      firing({ alertname: i % 2 ? 'DiskFull' : 'QueueStuck', instance: `node${i}` }),
    );
    notifier.update('g', fleet);
    await clock.advance(30_000);
    expect(sent.map((n) => n.alerts.length).sort()).toEqual([500, 500]);
    // An hour of flapping: every 15s evaluation half of the fleet resolves or fires again.
    for (let step = 1; step <= 240; step++) {
      notifier.update(
        'g',
        fleet.map((a, i) => ((i + step) % 2 ? a : resolved(a, clock.now()))),
      );
      await clock.advance(15_000);
    }
    // Two groups, looked at every 5 minutes for an hour: at most 2 * (1 + 12) notifications.
    expect(sent.length).toBeLessThanOrEqual(2 * 13);
    expect(sent.length).toBeGreaterThan(2);
    notifier.close();
  });
});

describe('delivery refusals', () => {
  it('tries a group again at its next group_interval when delivery refuses it', async () => {
    const clock = new ManualClock(t0);
    const accepted: Notification[] = [];
    let refuse = true;
    const notifier = new Notifier({
      config: parseConfig(notifyConfigSchema, 'notify.yml', baseConfig),
      clock,
      deliver: (n) => {
        if (refuse) throw new Error('outbox full');
        accepted.push(n);
      },
    });
    notifier.update('g', [firing({ alertname: 'DiskFull', instance: 'db1' })]);
    await clock.advance(30_000);
    expect(notifier.dispatcher.stats.deliverErrors).toBe(1);
    expect(notifier.nflog.size).toBe(0);
    refuse = false;
    await clock.advance(5 * 60_000);
    expect(accepted.map(summary)).toEqual([{ at: 330, status: 'firing', alerts: ['db1:firing'] }]);
    expect(notifier.metricsText()).toContain('vigil_notify_deliver_errors_total 1');
    notifier.close();
  });
});

describe('muting', () => {
  it('silences mute matching alerts until they expire', async () => {
    const { clock, sent, notifier } = setup();
    const id = notifier.silences.set({
      matchers: [{ name: 'instance', value: 'db1', isRegex: false, isEqual: true }],
      startsAt: t0,
      endsAt: t0 + 10 * 60_000,
      createdBy: 'ana',
      comment: 'disk swap',
    });
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    notifier.update('g', [a]);
    expect(notifier.alerts()[0]).toMatchObject({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
    await clock.advance(9 * 60_000);
    expect(sent).toEqual([]);
    await clock.advance(2 * 60_000);
    expect(sent.map(summary)).toEqual([{ at: 630, status: 'firing', alerts: ['db1:firing'] }]);
    notifier.close();
  });

  it('inhibits warnings while a critical alert of the same cluster fires', async () => {
    const { clock, sent, notifier } = setup();
    const crit = firing({ alertname: 'ClusterDown', severity: 'critical', cluster: 'eu', instance: 'c' });
    const warnEu = firing({ alertname: 'Slow', severity: 'warning', cluster: 'eu', instance: 'w-eu' });
    const warnUs = firing({ alertname: 'Slow', severity: 'warning', cluster: 'us', instance: 'w-us' });
    notifier.update('g', [crit, warnEu, warnUs]);
    await clock.advance(30_000);
    expect(sent.flatMap((n) => n.alerts.map((a) => a.labels.instance)).sort()).toEqual(['c', 'w-us']);
    const status = notifier.alerts().find((s) => s.alert.labels.instance === 'w-eu')!;
    expect(status.state).toBe('suppressed');
    expect(status.inhibitedBy).toEqual([
      notifier.alerts().find((s) => s.alert.labels.instance === 'c')!.alert.fingerprint,
    ]);
    notifier.close();
  });

  it('does not let alerts matching both sides of a rule inhibit each other', async () => {
    const config = baseConfig.replace(
      /inhibit_rules:[\s\S]*?equal: \[cluster\]/,
      `inhibit_rules:
  - source_matchers: ['alertname="Down"']
    target_matchers: ['alertname="Down"']
    equal: [cluster]`,
    );
    const { clock, sent, notifier } = setup({ config });
    notifier.update('g', [
      firing({ alertname: 'Down', cluster: 'eu', instance: 'a' }),
      firing({ alertname: 'Down', cluster: 'eu', instance: 'b' }),
    ]);
    await clock.advance(30_000);
    expect(sent.flatMap((n) => n.alerts.map((a) => a.labels.instance))).toEqual(['a', 'b']);
    notifier.close();
  });

  it('holds notifications of a route inside its mute_time_intervals', async () => {
    const { clock, sent, notifier } = setup();
    notifier.update('g', [firing({ alertname: 'Batch', team: 'night', instance: 'n1' })]);
    await clock.advance(6 * 3_600_000); // 10:00 -> 16:00, business hours
    expect(sent).toEqual([]);
    await clock.advance(3_600_000 + 5 * 60_000); // past 17:00
    expect(sent).toHaveLength(1);
    expect(new Date(sent[0]!.createdAt).toISOString()).toBe('2026-03-02T17:00:30.000Z');
    notifier.close();
  });
});

describe('active time intervals', () => {
  it('holds notifications of a route outside its active_time_intervals until one begins', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T18:00:00Z'));
    const { sent, notifier } = setup({ clock });
    notifier.update('g', [firing({ alertname: 'Backlog', team: 'day', instance: 'd1' }, clock.now())]);
    await clock.advance(14 * 3_600_000 + 59 * 60_000); // Tuesday 08:59
    expect(sent).toEqual([]);
    await clock.advance(5 * 60_000);
    expect(new Date(sent[0]!.createdAt).toISOString()).toBe('2026-03-03T09:00:30.000Z');
    notifier.close();
  });
});

describe('notification log across a restart', () => {
  it('does not notify a group again before repeat_interval, and still sends its resolution', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nflog-'));
    dirs.push(dir);
    const clock = new ManualClock(t0);
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    const first = setup({ dataDir: dir, clock });
    first.notifier.update('g', [a]);
    await clock.advance(30_000);
    expect(first.sent).toHaveLength(1);
    first.notifier.close();

    await clock.advance(60_000);
    const second = setup({ dataDir: dir, clock });
    second.notifier.update('g', [a]);
    await clock.advance(30 * 60_000);
    expect(second.sent).toEqual([]);
    second.notifier.update('g', [resolved(a, clock.now())]);
    await clock.advance(5 * 60_000);
    expect(second.sent.map((n) => [n.status, n.groupKey])).toEqual([['resolved', first.sent[0]!.groupKey]]);
    second.notifier.close();
  });

  it('sends the resolution of an alert that stopped firing while vigil was down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nflog-'));
    dirs.push(dir);
    const clock = new ManualClock(t0);
    const first = setup({ dataDir: dir, clock });
    first.notifier.update('g', [firing({ alertname: 'DiskFull', instance: 'db1' })]);
    first.notifier.update('other', [firing({ alertname: 'QueueStuck', instance: 'q1' })]);
    await clock.advance(30_000);
    expect(first.sent).toHaveLength(2);
    first.notifier.close();

    await clock.advance(10 * 60_000);
    const second = setup({ dataDir: dir, clock });
    // The group of 'other' is gone from the rule files; 'g' no longer returns the alert.
    second.notifier.retainSources(['g']);
    second.notifier.update('g', []);
    await clock.advance(5 * 60_000);
    expect(second.sent.map((n) => [n.status, n.groupKey]).sort()).toEqual([
      ['resolved', '{}:{alertname="DiskFull"}'],
      ['resolved', '{}:{alertname="QueueStuck"}'],
    ]);
    second.notifier.close();
  });

  it("logs many groups of group_by ['...'] flushing together, and stays quiet after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nflog-'));
    dirs.push(dir);
    const clock = new ManualClock(t0);
    const config = baseConfig.replace('group_by: [alertname]', "group_by: ['...']");
    // ManualClock yields to the event loop between timers, so here every group writes the log:
    // 200 groups keep the test short.
    const fleet = Array.from({ length: 200 }, (_, i) => firing({ alertname: 'Down', instance: `n${i}` }));
    const first = setup({ dataDir: dir, clock, config });
    first.notifier.update('g', fleet);
    await clock.advance(30_000);
    expect(first.sent).toHaveLength(200);
    first.notifier.close();
    const saved = JSON.parse(readFileSync(join(dir, 'notify', 'nflog.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(saved.entries).toHaveLength(200);
    const second = setup({ dataDir: dir, clock, config });
    second.notifier.update('g', fleet);
    await clock.advance(30 * 60_000);
    expect(second.sent).toEqual([]);
    second.notifier.close();
  });

  it('repeats after restart once repeat_interval has passed since the last send', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nflog-'));
    dirs.push(dir);
    const clock = new ManualClock(t0);
    const a = firing({ alertname: 'DiskFull', instance: 'db1' });
    const first = setup({ dataDir: dir, clock });
    first.notifier.update('g', [a]);
    await clock.advance(30_000);
    first.notifier.close();
    await clock.advance(2 * 3_600_000);
    const second = setup({ dataDir: dir, clock });
    second.notifier.update('g', [a]);
    await clock.advance(30_000);
    expect(second.sent).toHaveLength(1);
    second.notifier.close();
  });
});
