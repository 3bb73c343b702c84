import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRoute, fingerprint, matchRoutes, notifyConfigSchema } from '../../../alerting/notify/index.ts';
import { parseConfig } from '../../../core/index.ts';
import { freePort, waitForPort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';

/**
 * vigil and the real Alertmanager must agree: the same route tree sends the same labels to
 * the same receivers (`amtool config routes test`), and an alert has the same fingerprint.
 */

const run = promisify(execFile);
const noAmtool = needBinary('amtool', 'prometheus-alertmanager');
const noAlertmanager = needBinary('prometheus-alertmanager');
const dir = mkdtempSync(join(tmpdir(), 'vigil-am-conformance-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const config = `route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['team="db"']
      receiver: db-pager
      routes:
        - matchers: ['severity="info"']
          receiver: db-tickets
        - matchers: ['severity!~"info|page"', 'env="prod"']
          receiver: db-prod
    - match: { team: queue }
      match_re: { severity: "page|crit.*" }
      receiver: queue-pager
      continue: true
    - matchers: ['{team=~"queue|web", env!="dev"}']
      receiver: audit
      continue: true
    - matchers: ['severity="page"']
      receiver: pager
receivers:
  - name: default
  - name: db-pager
  - name: db-tickets
  - name: db-prod
  - name: queue-pager
  - name: audit
  - name: pager
`;

describe.skipIf(noAmtool)('routing agrees with amtool config routes test', () => {
  it('sends 40 label sets to the same receivers', async () => {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, config);
    const root = buildRoute(parseConfig(notifyConfigSchema, file, config).route);
    const labelSets = fc.sample(
      fc.record(
        {
          team: fc.constantFrom('db', 'queue', 'web', 'other'),
          severity: fc.constantFrom('info', 'page', 'critical', 'warning'),
          env: fc.constantFrom('prod', 'dev', 'staging'),
        },
        { requiredKeys: [] },
      ),
      { numRuns: 40, seed: 5 },
    );
    for (const labels of labelSets) {
      const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
      const { stdout } = await run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, ...args], {
        timeout: 10_000,
      });
      const vigil = matchRoutes(root, { alertname: 'X', ...labels }).map((r) => r.receiver);
      expect(vigil.join(','), JSON.stringify(labels)).toBe(stdout.trim());
    }
  }, 60_000);
});

describe.skipIf(noAmtool)('matcher syntax agrees with amtool check-config', () => {
  it('accepts and refuses the same tricky matchers', async () => {
    const tricky = [
      'a="x,y"',
      'a=x y',
      'a="x\\"y"',
      'a=~"\\\\d+"',
      'a="unterminated',
      'a=b"c',
      '{a="1",b="2"}',
      'a!~"(x"',
      'a=',
      '=b',
      '1a=b',
      'a==b',
      'a="x"y"',
      'a=~x|y',
      ' a = "v" ',
      'a=~"[[:alpha:]]+"',
      'a!="\\n"',
    ];
    for (const [i, m] of tricky.entries()) {
      const file = join(dir, `matchers-${i}.json`);
      const text = JSON.stringify({
        route: { receiver: 'r', routes: [{ receiver: 'r', matchers: [m] }] },
        receivers: [{ name: 'r' }],
      });
      writeFileSync(file, text);
      const amtool = await run('amtool', ['check-config', file], { timeout: 10_000 }).then(
        () => 'accepted',
        () => 'refused',
      );
      let vigil = 'accepted';
      try {
        parseConfig(notifyConfigSchema, file, text);
      } catch {
        vigil = 'refused';
      }
      expect(vigil, m).toBe(amtool);
    }
  }, 60_000);
});

describe.skipIf(noAlertmanager)('fingerprints agree with Alertmanager', () => {
  it('gives an alert the fingerprint Alertmanager gives it', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'am.yml'), 'route: { receiver: x }\nreceivers: [{ name: x }]\n');
    const child = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'am.yml')}`,
        `--storage.path=${join(dir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    children.push(child);
    await waitForPort(port, '127.0.0.1', 20_000);
    const labelSets = [
      { alertname: 'DiskFull', instance: 'db1:9100', job: 'node' },
      { alertname: 'Ünïcode', summary_key: 'a "quoted" value\nwith newline', emoji: '🔥' },
      { alertname: 'x' },
    ];
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(labelSets.map((labels) => ({ labels }))),
    });
    expect(res.status).toBe(200);
    const got = (await (await fetch(`http://127.0.0.1:${port}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      fingerprint: string;
    }[];
    expect(got).toHaveLength(3);
    for (const a of got) expect(fingerprint(a.labels), JSON.stringify(a.labels)).toBe(a.fingerprint);
  }, 60_000);
});
