import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, serverConfigSchema, startServer } from '../../../../alerting/index.ts';
import { buildRoute, groupKeyOf, notifyConfigSchema, receivers } from '../../../../alerting/notify/index.ts';
import { ManualClock, parseConfig } from '../../../../core/index.ts';
import { freePort, waitForPort } from '../../../support/ports.ts';
import { needBinary } from '../../../support/requires.ts';
import { notification } from '../receivers/fixtures.ts';
import { Recorder } from '../receivers/recorder.ts';

/**
 * vigil hands paging to real Alertmanagers (Debian's prometheus-alertmanager 0.25, two of
 * them as an HA pair would be) through
 * `alerting: alertmanagers:`: its alerts arrive, are grouped by group_by, silenced through
 * Alertmanager's own API, and resolved; Alertmanager's webhook then reaches a local recorder.
 */

const missing = needBinary('prometheus-alertmanager');

type Webhook = {
  status: string;
  groupLabels: Record<string, string>;
  alerts: {
    status: string;
    labels: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
  }[];
};

describe.skipIf(missing)('pushing to a real Alertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-'));
  const hook = new Recorder();
  // Two Alertmanagers, as the members of an HA pair: vigil sends every alert to both.
  const ams: ChildProcess[] = [];
  const amURLs: string[] = [];
  let amURL = '';
  let amLog = '';
  let amConfig = '';
  let server: ServerHandle;
  // In the past, so that a resolve time vigil sends is already over by Alertmanager's clock.
  const t1 = Math.floor((Date.now() - 120_000) / 10_000) * 10_000;
  const clock = new ManualClock(t1);

  const webhooks = (path = '/hook-0') =>
    hook.requests.filter((r) => r.path === path).map((r) => r.body as Webhook);
  const until = async (what: string, done: () => boolean, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${ms} ms; alertmanager log:\n${amLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    await hook.start();
    const amConfigFor = (i: number) => `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['severity="page"']
      receiver: hook
receivers:
  - name: hook
    webhook_configs:
      - url: ${hook.url}/hook-${i}
        send_resolved: true
`;
    amConfig = amConfigFor(0);
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      amURLs.push(`http://127.0.0.1:${port}`);
      writeFileSync(join(dir, `alertmanager-${i}.yml`), amConfigFor(i));
      const am = spawn(
        '/usr/bin/prometheus-alertmanager',
        [
          `--config.file=${join(dir, `alertmanager-${i}.yml`)}`,
          `--storage.path=${join(dir, `am-data-${i}`)}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      ams.push(am);
      am.stdout!.on('data', (c) => {
        amLog += c;
      });
      am.stderr!.on('data', (c) => {
        amLog += c;
      });
      await waitForPort(port);
    }
    amURL = amURLs[0]!;

    writeFileSync(
      join(dir, 'rules.yml'),
      `groups:
  - name: node
    interval: 10s
    rules:
      - alert: DiskFull
        expr: disk_used_ratio > 0.9
        labels: { severity: page }
        annotations: { summary: '{{ $labels.instance }} disk full' }
      - alert: CpuHot
        expr: cpu_busy_ratio > 0.9
      - alert: MemoryLeak
        expr: mem_growth_bytes > 0
`,
    );
    const config = serverConfigSchema.parse({
      apiVersion: 'vigil/v1',
      listen: '127.0.0.1:0',
      data_dir: join(dir, 'data'),
      rule_files: [join(dir, 'rules.yml')],
      global: { external_labels: { cluster: 'eu-1' } },
      alerting: {
        alertmanagers: [{ static_configs: [{ targets: ports.map((p) => `127.0.0.1:${p}`) }], timeout: '5s' }],
      },
    });
    server = await startServer(config, { clock });
  });

  afterAll(async () => {
    await server?.close();
    for (const am of ams) {
      if (am.exitCode !== null) continue;
      const exited = new Promise((r) => am.once('exit', r));
      am.kill('SIGTERM');
      await exited;
    }
    await hook.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts arrive grouped by alertname, silenced ones are held back, resolved ones resolve', async () => {
    // A silence made in Alertmanager itself, as an on-call would with amtool.
    for (const url of amURLs) {
      const silence = await fetch(`${url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: [{ name: 'alertname', value: 'MemoryLeak', isRegex: false, isEqual: true }],
          startsAt: new Date(Date.now() - 1000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          createdBy: 'vigil-test',
          comment: 'known leak, fix deploying',
        }),
      });
      expect(silence.status).toBe(200);
    }

    const append = (name: string, instance: string, t: number, v: number) =>
      server.store.append({ __name__: name, instance }, t, v);
    append('disk_used_ratio', 'db-1', t1, 0.97);
    append('disk_used_ratio', 'db-2', t1, 0.95);
    append('cpu_busy_ratio', 'db-1', t1, 0.99);
    append('mem_growth_bytes', 'db-3', t1, 1e6);
    const group = server.rules.evaluators[0]!;
    server.rules.evaluateGroup(group, t1);

    await until('two notifications (DiskFull, CpuHot)', () => webhooks().length >= 2);
    const firing = webhooks();
    const disk = firing.find((w) => w.groupLabels.alertname === 'DiskFull')!;
    const cpu = firing.find((w) => w.groupLabels.alertname === 'CpuHot')!;
    expect(disk.status).toBe('firing');
    expect(disk.alerts.map((a) => a.labels.instance).sort()).toEqual(['db-1', 'db-2']);
    expect(disk.alerts[0]!.labels).toMatchObject({
      alertname: 'DiskFull',
      severity: 'page',
      cluster: 'eu-1',
    });
    expect(disk.alerts[0]!.startsAt).toBe(new Date(t1).toISOString().replace('.000Z', 'Z'));
    expect(disk.alerts[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(disk.alerts[0]!.generatorURL).toBe(
      `${server.listening.url}/graph?g0.expr=disk_used_ratio+%3E+0.9&g0.tab=1`,
    );
    expect(cpu.alerts).toHaveLength(1);

    // MemoryLeak reached Alertmanager and is suppressed by the silence; no webhook names it.
    const listed = (await (await fetch(`${amURL}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      endsAt: string;
      status: { state: string; silencedBy: string[] };
    }[];
    const leak = listed.find((a) => a.labels.alertname === 'MemoryLeak');
    expect(leak?.status.state).toBe('suppressed');
    expect(leak?.status.silencedBy).toHaveLength(1);
    // The lease Prometheus gives a firing alert: 4 x max(10s interval, 1m resend delay).
    expect(Date.parse(leak!.endsAt)).toBe(t1 + 4 * 60_000);

    // Vigil's webhook payload has exactly Alertmanager's fields (version 4).
    const ours = receivers.webhookMessage(
      receivers.receiverSchema.parse({ name: 'hook', webhook_configs: [{ url: 'http://x/' }] })
        .webhook_configs[0]!,
      'hook',
      notification(),
    )!;
    const theirs = hook.requests[0]!.body as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(Object.keys(ours.alerts[0]!).sort()).toEqual(
      Object.keys((theirs.alerts as Record<string, unknown>[])[0]!).sort(),
    );
    expect(theirs.version).toBe('4');

    // vigil's own notifier, given the same alertmanager.yml, builds the same group keys, so
    // its PagerDuty dedup keys (sha256 of the group key) are the ones Alertmanager would use.
    const same = parseConfig(notifyConfigSchema, 'alertmanager.yml', amConfig);
    const root = buildRoute(same.route);
    const groupKeys = new Map(
      webhooks().map((w) => [w.groupLabels.alertname, (w as { groupKey?: string }).groupKey]),
    );
    expect(groupKeys.get('DiskFull')).toBe('{}/{severity="page"}:{alertname="DiskFull"}');
    expect(groupKeys.get('CpuHot')).toBe('{}:{alertname="CpuHot"}');
    const [pageRoute] = root.routes;
    expect(groupKeyOf(pageRoute!, { alertname: 'DiskFull' })).toBe(groupKeys.get('DiskFull'));
    expect(groupKeyOf(root, { alertname: 'CpuHot' })).toBe(groupKeys.get('CpuHot'));

    // DiskFull on db-1 and db-2 ends: vigil sends endsAt, Alertmanager sends the resolve.
    const t2 = t1 + 10_000;
    append('disk_used_ratio', 'db-1', t2, 0.5);
    append('disk_used_ratio', 'db-2', t2, 0.5);
    append('cpu_busy_ratio', 'db-1', t2, 0.99);
    append('mem_growth_bytes', 'db-3', t2, 1e6);
    await clock.advanceTo(t2);
    server.rules.evaluateGroup(group, t2);
    await until('the DiskFull group resolved', () =>
      webhooks().some((w) => w.groupLabels.alertname === 'DiskFull' && w.status === 'resolved'),
    );
    const resolved = webhooks().find(
      (w) => w.groupLabels.alertname === 'DiskFull' && w.status === 'resolved',
    )!;
    expect(resolved.alerts.map((a) => [a.labels.instance, a.status, a.endsAt]).sort()).toEqual([
      ['db-1', 'resolved', new Date(t2).toISOString().replace('.000Z', 'Z')],
      ['db-2', 'resolved', new Date(t2).toISOString().replace('.000Z', 'Z')],
    ]);
    expect(webhooks().some((w) => w.alerts.some((a) => a.labels.alertname === 'MemoryLeak'))).toBe(false);

    // The second member got the same alerts: its own notifications fire and resolve alike.
    await until('the second Alertmanager resolved DiskFull too', () =>
      webhooks('/hook-1').some((w) => w.groupLabels.alertname === 'DiskFull' && w.status === 'resolved'),
    );
    const second = webhooks('/hook-1');
    expect(second.some((w) => w.groupLabels.alertname === 'CpuHot' && w.status === 'firing')).toBe(true);
    expect(second.some((w) => w.alerts.some((a) => a.labels.alertname === 'MemoryLeak'))).toBe(false);
    const metrics = await (await fetch(`${server.listening.url}/metrics`)).text();
    // 4 alerts at the first evaluation, the 2 resolves at the second (no resend due yet), to each.
    for (const url of amURLs)
      expect(metrics).toContain(
        `vigil_alertmanager_notifications_total{alertmanager="${url}/api/v2/alerts"} 6`,
      );
    expect(metrics).toMatch(/vigil_alertmanager_notification_errors_total\{[^}]*\} 0/);
  });
});
