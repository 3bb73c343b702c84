import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../../support/ports.ts';
import { Recorder } from '../receivers/recorder.ts';
import { waitFor } from './helpers.ts';

/**
 * The check, end to end with `vigil server`: the page for a firing alert is accepted
 * while PagerDuty is failing, vigil is killed with SIGKILL, and the restarted server delivers
 * it: one accepted trigger, with the dedup key the first process had been trying.
 */

const root = resolve(import.meta.dirname, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-crash-'));
const children: ChildProcess[] = [];
const pagerduty = new Recorder();

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await pagerduty.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(port: number): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'vigil.js'), 'server', '-c', join(dir, 'vigil.yaml')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  await waitForPort(port, '127.0.0.1', 30_000);
  return { child, stderr: () => stderr };
}

describe('kill -9 of vigil server between accepting and delivering a page', () => {
  it('delivers the page after restart, once, with the same dedup key', async () => {
    await pagerduty.start();
    pagerduty.respond = () => ({ status: 503, body: 'PagerDuty is having a bad day' });
    const port = await freePort();
    writeFileSync(
      join(dir, 'rules.yml'),
      `groups:
  - name: disks
    rules:
      - alert: DiskFull
        expr: vector(1)
        labels: { severity: page }
`,
    );
    writeFileSync(
      join(dir, 'vigil.yaml'),
      `apiVersion: vigil/v1
listen: 127.0.0.1:${port}
data_dir: data
global:
  evaluation_interval: 1s
rule_files: [rules.yml]
notify:
  route:
    receiver: pager
    group_by: [alertname]
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 4h
  receivers:
    - name: pager
      pagerduty_configs:
        - routing_key: R0UT1NGKEY
          url: ${pagerduty.url}
`,
    );
    const first = await startServer(port);
    await waitFor(() => pagerduty.requests.length >= 2, 30_000).catch(() => {
      throw new Error(`no page attempts; server stderr:\n${first.stderr().slice(-3000)}`);
    });
    const exited = new Promise((r) => first.child.once('exit', (_, signal) => r(signal)));
    first.child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const tried = new Set(pagerduty.requests.map((r) => (r.body as { dedup_key: string }).dedup_key));
    expect(tried.size).toBe(1);

    pagerduty.respond = () => ({ status: 202, body: '{"status":"success"}' });
    const second = await startServer(port);
    await waitFor(() => pagerduty.accepted().length >= 1, 30_000).catch(() => {
      throw new Error(`not delivered after restart; server stderr:\n${second.stderr().slice(-3000)}`);
    });
    // A few more evaluations and group intervals: no second trigger for the same incident.
    await new Promise((r) => setTimeout(r, 3000));
    const accepted = pagerduty.accepted().map((r) => r.body as { dedup_key: string; event_action: string });
    expect(accepted.map((a) => a.event_action)).toEqual(['trigger']);
    expect(accepted[0]!.dedup_key).toBe([...tried][0]);
    expect(accepted[0]!.dedup_key).toBe(
      createHash('sha256').update('{}:{alertname="DiskFull"}').digest('hex'),
    );
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(
      /vigil_notifications_total\{receiver="pager",integration="pagerduty",result="delivered"\} 1/,
    );
    second.child.kill('SIGTERM');
  }, 90_000);
});
