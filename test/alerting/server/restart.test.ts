import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

/**
 * kill -9 the server while one alert is firing and another pending: after a restart, the
 * firing one is firing from its first evaluation with the same activeAt (no new pending
 * phase, no new firing), and the pending one keeps its activeAt (its `for` is not re-waited).
 */

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-restart-'));
let target: Server;
let targetPort = 0;
const children: ChildProcess[] = [];

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE app_errors gauge\napp_errors{kind="a"} 1\napp_errors{kind="b"} 1\n');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as { port: number }).port;
  writeFileSync(
    join(dir, 'rules.yml'),
    `groups:
  - name: restart
    rules:
      - alert: FiresSoon
        expr: app_errors{kind="a"} > 0
        for: 3s
      - alert: StaysPending
        expr: app_errors{kind="b"} > 0
        for: 10m
`,
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise<void>((resolve) => target.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  writeFileSync(
    join(dir, 'vigil.yaml'),
    `apiVersion: vigil/v1
listen: 127.0.0.1:${port}
data_dir: data
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ['127.0.0.1:${targetPort}']
`,
  );
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'vigil.js'), 'server', '-c', join(dir, 'vigil.yaml')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) process.stderr.write(`vigil server exited ${code}: ${stderr}\n`);
  });
  await waitForPort(port, '127.0.0.1', 30_000);
  return { child, port };
}

async function alerts(port: number): Promise<ApiAlert[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: ApiAlert[] } };
  return body.data.alerts;
}

describe('vigil server restart', () => {
  it('keeps firing and pending alerts across kill -9 without re-waiting or re-firing', async () => {
    const first = await startServer();
    const before = await waitFor(
      'one firing and one pending alert',
      async () => {
        const list = await alerts(first.port);
        const a = list.find((x) => x.labels.alertname === 'FiresSoon' && x.state === 'firing');
        const b = list.find((x) => x.labels.alertname === 'StaysPending' && x.state === 'pending');
        return a && b ? { a, b } : undefined;
      },
      40_000,
    );
    // Let one more flush of the log happen, then kill without warning.
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startServer();
    const seen = await waitFor(
      'both alerts after restart',
      async () => {
        const list = await alerts(second.port);
        return list.length >= 2 ? list : undefined;
      },
      40_000,
    );
    const a = seen.find((x) => x.labels.alertname === 'FiresSoon');
    const b = seen.find((x) => x.labels.alertname === 'StaysPending');
    expect(a?.state).toBe('firing');
    expect(a?.activeAt).toBe(before.a.activeAt);
    expect(b?.state).toBe('pending');
    expect(b?.activeAt).toBe(before.b.activeAt);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 120_000);
});
