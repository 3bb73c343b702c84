import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerHandle, startServer } from '../../../alerting/index.ts';
import { ManualClock } from '../../../core/index.ts';
import { waitFor } from '../../support/wait.ts';

/**
 * A reload that changes a receiver's URL rebuilds the notifier, as Alertmanager rebuilds its
 * dispatcher: silences stay, the notification log keeps an alert notified before the reload
 * from being notified again (to the new URL or the old), and new alerts go to the new URL.
 * Receivers are local HTTP servers recording what they are sent.
 */

interface Hook {
  server: Server;
  url: string;
  got: { status: string; alerts: { labels: Record<string, string> }[] }[];
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-reload-'));
const hooks: Hook[] = [];
let server: ServerHandle | undefined;

async function hook(): Promise<Hook> {
  const h: Hook = { server: createServer(), url: '', got: [] };
  h.server.on('request', (req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      h.got.push(JSON.parse(text));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => h.server.listen(0, '127.0.0.1', resolve));
  h.url = `http://127.0.0.1:${(h.server.address() as { port: number }).port}/hook`;
  hooks.push(h);
  return h;
}

beforeAll(() => {
  writeFileSync(
    join(dir, 'before.yml'),
    'groups:\n  - name: before\n    rules:\n      - alert: Before\n        expr: vector(1)\n',
  );
  writeFileSync(
    join(dir, 'after.yml'),
    'groups:\n  - name: after\n    rules:\n      - alert: After\n        expr: vector(1)\n      - alert: Muted\n        expr: vector(1)\n',
  );
});

afterAll(async () => {
  await server?.close();
  for (const h of hooks) await new Promise<void>((resolve) => h.server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(ruleFiles: string[], url: string): string {
  const file = join(dir, 'vigil.yaml');
  writeFileSync(
    file,
    `apiVersion: vigil/v1
listen: 127.0.0.1:0
data_dir: data
rule_files: [${ruleFiles.join(', ')}]
notify:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 10s
    group_interval: 1m
    repeat_interval: 4h
  receivers:
    - name: hook
      webhook_configs:
        - url: ${url}
`,
  );
  return file;
}

const alertnames = (h: Hook) =>
  h.got.map((n) => `${n.status}:${n.alerts.map((a) => a.labels.alertname).join(',')}`);

describe('reload: notify', () => {
  it('keeps silences and the notification log, and sends new alerts to the changed receiver URL', async () => {
    const oldHook = await hook();
    const newHook = await hook();
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const clock = new ManualClock(t0);
    server = await startServer(loadServerConfig(writeConfig(['before.yml'], oldHook.url)), { clock });
    const evaluateAll = (t: number) => {
      for (const ev of server!.rules.evaluators) server!.rules.evaluateGroup(ev, t);
    };
    evaluateAll(t0);
    await clock.advance(10_000);
    await waitFor('the first notification', () => oldHook.got[0]);

    const silence = await fetch(`${server.listening.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'Muted', isRegex: false, isEqual: true }],
        startsAt: new Date(t0).toISOString(),
        endsAt: new Date(t0 + 3_600_000).toISOString(),
        createdBy: 'ana',
        comment: 'maintenance',
      }),
    });
    const { silenceID } = (await silence.json()) as { silenceID: string };
    const oldNotifier = server.notifier;

    const report = server.reload(loadServerConfig(writeConfig(['before.yml', 'after.yml'], newHook.url)));
    expect(report).toMatchObject({ groups: 2, notify: true });
    expect(server.notifier).not.toBe(oldNotifier);
    // The Alertmanager API reads the new notifier: the silence is still there.
    const silences = (await (await fetch(`${server.listening.url}/api/v2/silences`)).json()) as {
      id: string;
    }[];
    expect(silences.map((s) => s.id)).toEqual([silenceID]);

    evaluateAll(t0 + 20_000);
    // Past the new groups' group_wait and the old group's group_interval.
    await clock.advance(70_000);
    await waitFor('the new alert at the new URL', () => newHook.got[0]);
    expect(alertnames(newHook)).toEqual(['firing:After']);
    expect(alertnames(oldHook)).toEqual(['firing:Before']);
    // Only After went to delivery: Before is in the log already, Muted is silenced.
    expect(server.notifier!.dispatcher.stats.notifications).toBe(1);
    expect(server.notifier!.alerts().map((s) => [s.alert.labels.alertname, s.state])).toEqual(
      expect.arrayContaining([
        ['Before', 'active'],
        ['After', 'active'],
        ['Muted', 'suppressed'],
      ]),
    );

    // Before's group goes away and its alert resolves; the notifier is rebuilt again before
    // that resolution was sent: it is handed over, not lost.
    expect(server.reload(loadServerConfig(writeConfig(['after.yml'], newHook.url)))).toMatchObject({
      notify: false,
    });
    expect(server.reload(loadServerConfig(writeConfig(['after.yml'], oldHook.url)))).toMatchObject({
      notify: true,
    });
    await clock.advance(60_000);
    await waitFor('the resolution at the old URL again', () => oldHook.got[1]);
    expect(alertnames(oldHook)).toEqual(['firing:Before', 'resolved:Before']);
    expect(alertnames(newHook)).toEqual(['firing:After']);
  });
});
